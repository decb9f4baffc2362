/**
 * persistent_term: terms stored once for the whole VM and read without
 * copying. A stored term is copied into a block of shared memory that no
 * process's GC ever moves (like a module's literals); replacing or erasing
 * one keeps the old copy (readers may hold it), as the real VM does until a
 * global GC — ours simply never frees it (noted in docs/architecture.md).
 */
import { ATOM_TRUE, ATOM_FALSE, ATOM_UNDEFINED } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { exactEqual } from '../vm/term/compare.js';
import { phash2 } from '../vm/term/phash.js';
import { copyTerm } from '../gc/copy.js';
import { mkList, mkTuple2, mkInt } from '../vm/term/make.js';
import type { Process } from '../vm/process.js';
import type { Term } from '../vm/term/tags.js';
import { defineBifs } from './registry.js';

interface Entry {
  key: Term;
  value: Term;
}

/** Per VM (keyed by its memory): hash of the key → entries. */
const tables = new WeakMap<object, Map<number, Entry[]>>();

function table(p: Process): Map<number, Entry[]> {
  let t = tables.get(p.mem);
  if (t === undefined) tables.set(p.mem, (t = new Map()));
  return t;
}

function find(p: Process, key: Term): Entry | undefined {
  return table(p).get(phash2(p, key))?.find((e) => e.key === key || exactEqual(p, e.key, key));
}

/** Copies a term into memory no process owns. */
function persist(p: Process, t: Term): Term {
  const b = p.vm.scratchBuilder();
  return copyTerm(p, t, b);
}

defineBifs('persistent_term', 'bif', {
  'put/2': (p, [k, v]) => {
    const e = find(p, k!);
    if (e !== undefined) e.value = persist(p, v!);
    else {
      const h = phash2(p, k!);
      const list = table(p).get(h) ?? [];
      list.push({ key: persist(p, k!), value: persist(p, v!) });
      table(p).set(h, list);
    }
    return p.atoms.intern('ok');
  },
  'get/1': (p, [k]) => {
    const e = find(p, k!);
    if (e === undefined) throw badarg();
    return e.value;
  },
  'get/2': (p, [k, d]) => find(p, k!)?.value ?? d!,
  'erase/1': (p, [k]) => {
    const list = table(p).get(phash2(p, k!));
    const i = list?.findIndex((e) => exactEqual(p, e.key, k!)) ?? -1;
    if (i < 0) return ATOM_FALSE;
    list!.splice(i, 1);
    return ATOM_TRUE;
  },
  'get/0': (p) => {
    const all: Term[] = [];
    for (const list of table(p).values()) for (const e of list) all.push(mkTuple2(p, e.key, e.value));
    return mkList(p, all);
  },
  'info/0': (p) => {
    let count = 0;
    for (const list of table(p).values()) count += list.length;
    return mkList(p, [mkTuple2(p, p.atoms.intern('count'), mkInt(p, count)), mkTuple2(p, p.atoms.intern('memory'), mkInt(p, 0))]);
  },
});

void ATOM_UNDEFINED;
