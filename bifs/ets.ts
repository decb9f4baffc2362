/**
 * The BIFs of `ets` (the functions whose bodies in ets.beam are nif_error
 * stubs; foldl, tab2list, select_delete's fast path and the rest of ets.erl
 * run as OTP wrote them on top of these). Tables live in shared memory
 * (vm/ets/table.ts); match specifications are compiled per call
 * (vm/ets/match.ts). Errors are badarg with the real VM's error_info cause
 * (id, access, badkey, keypos, position, table_type, already_exists, owner).
 */
import { copyTerm } from '../gc/copy.js';
import { ErlangException, badarg } from '../vm/errors.js';
import { type Process } from '../vm/process.js';
import type { VM } from '../vm/vm.js';
import { ATOM_FALSE, ATOM_TRUE, ATOM_UNDEFINED } from '../vm/term/atoms.js';
import { compare, exactEqual } from '../vm/term/compare.js';
import { type Int } from '../vm/term/integers.js';
import { intValue, isTuple, listToArray, mkInt, mkList, mkTuple, mkTuple2, tupleArity, tupleElement, tupleElements } from '../vm/term/make.js';
import {
  NIL,
  SUB_REF,
  THE_NON_VALUE,
  type Term,
  isAtom,
  isBoxed,
  isImmediate,
  isLocalPid,
  isSmall,
  makeBoxed,
  makeHeader,
  makeSmall,
  ptrVal,
} from '../vm/term/tags.js';
import {
  Access,
  F_COMPRESSED,
  F_DECENTRALIZED,
  F_NAMED,
  F_READ_CONC,
  F_WRITE_CONC,
  F_WRITE_CONC_AUTO,
  O_ROOT,
  T_FIX,
  T_FIX_PID,
  T_FLAGS,
  T_GEN,
  T_HEIR,
  T_HEIR_DATA,
  T_KEYPOS,
  T_NAME,
  T_OWNER,
  TableType,
  allBlocks,
  allTables,
  clearTable,
  createTable,
  findTable,
  freeObject,
  freeTableContents,
  hasKey,
  hashCapacity,
  hashNextAfter,
  bucketBlocks,
  insertBlock,
  isEtsRef,
  lockTable,
  lookupBlocks,
  objectKey,
  objectRoot,
  orderedAt,
  orderedSearch,
  removeHashBlock,
  removeKey,
  removeOrderedAt,
  renameTable,
  replaceBlock,
  scanHash,
  storeObject,
  tableAccess,
  tableCount,
  tableMemoryWords,
  tableOfRef,
  tableRef,
  tableSize,
  tableType,
  unlockTable,
  unregisterTable,
} from '../vm/ets/table.js';
import { compileMatchSpec, fixedKeys, runMatchSpec, type MatchSpec } from '../vm/ets/match.js';
import { defineBifs, lookupBif } from './registry.js';

const a = (p: Process, name: string): Term => p.atoms.intern(name);
const err = (p: Process, cause?: string): ErlangException => badarg(cause === undefined ? undefined : a(p, cause));

// ---------------------------------------------------------------- table access

const enum Need {
  /** info and the like: no access check. */
  None,
  Read,
  Write,
}

/**
 * Finds and locks the table `tab` names, checks the caller's access and
 * runs fn with the table's header address; the lock is released after.
 */
function withTable<R>(p: Process, tab: Term, need: Need, fn: (t: number) => R): R {
  const mem = p.mem;
  const t = findTable(p, tab);
  if (t === 0) throw err(p, isAtom(tab) || isEtsRef(p, tab) ? 'id' : 'type');
  const gen = isAtom(tab) ? -1 : mem.i32[ptrVal(tab) + 2]!;
  lockTable(mem, t);
  try {
    const w = mem.i32;
    if (w[t + 2] !== 1 || (gen !== -1 && w[t + T_GEN] !== gen) || (gen === -1 && ((w[t + T_FLAGS]! & F_NAMED) === 0 || w[t + T_NAME] !== tab))) {
      throw err(p, 'id');
    }
    if (need !== Need.None) {
      const access = tableAccess(mem, t);
      if (access !== Access.Public && w[t + T_OWNER] !== p.pid) {
        if (access === Access.Private || need === Need.Write) throw err(p, 'access');
      }
    }
    return fn(t);
  } finally {
    unlockTable(mem, t);
  }
}

/** What a table is called in results: its name when named, else its id. */
function tabTerm(p: Process, t: number): Term {
  const w = p.mem.i32;
  return (w[t + T_FLAGS]! & F_NAMED) !== 0 ? w[t + T_NAME]! : tableRef(p, t);
}

const copyOut = (p: Process, block: number): Term => copyTerm(p, objectRoot(p.mem, block), p);

function objectList(p: Process, blocks: number[]): Term {
  const items = blocks.map((b) => copyOut(p, b));
  return mkList(p, items);
}

/** A valid object for the table: a tuple with at least keypos elements. */
function checkObject(p: Process, obj: Term, keypos: number): void {
  if (!isTuple(p, obj) || tupleArity(p, obj) < keypos) throw err(p);
}

function objectsArg(p: Process, objs: Term, keypos: number): Term[] {
  let list: Term[];
  if (isTuple(p, objs)) list = [objs];
  else {
    const l = listToArray(p, objs);
    if (l === undefined) throw err(p);
    list = l;
  }
  for (const o of list) checkObject(p, o, keypos);
  return list;
}

// ---------------------------------------------------------------- new

function newTable(p: Process, name: Term, opts: Term): Term {
  if (!isAtom(name)) throw err(p);
  const list = listToArray(p, opts);
  if (list === undefined) throw err(p);
  let type = TableType.Set;
  let access = Access.Protected;
  let named = false;
  let keypos = 1;
  let flags = 0;
  let heir: Term = a(p, 'none');
  let heirData: Term = THE_NON_VALUE;
  let dcGiven = false;
  const flag = (bit: number, v: Term): void => {
    if (v === ATOM_TRUE) flags |= bit;
    else if (v === ATOM_FALSE) flags &= ~bit;
    else throw err(p);
  };
  for (const o of list) {
    if (isAtom(o)) {
      switch (p.atoms.name(o)) {
        case 'set':
          // The real VM: `set` is the default and never overrides another type option.
          break;
        case 'ordered_set':
          type = TableType.OrderedSet;
          break;
        case 'bag':
          type = TableType.Bag;
          break;
        case 'duplicate_bag':
          type = TableType.DuplicateBag;
          break;
        case 'public':
          access = Access.Public;
          break;
        case 'protected':
          access = Access.Protected;
          break;
        case 'private':
          access = Access.Private;
          break;
        case 'named_table':
          named = true;
          break;
        case 'compressed':
          flags |= F_COMPRESSED;
          break;
        default:
          throw err(p);
      }
      continue;
    }
    if (!isTuple(p, o)) throw err(p);
    const el = tupleElements(p, o);
    const key = isAtom(el[0]!) ? p.atoms.name(el[0]!) : '';
    if (el.length === 2 && key === 'keypos') {
      const k = el[1]!;
      if (!isSmall(k) || (k >> 4) < 1) throw err(p);
      keypos = k >> 4;
    } else if (el.length === 2 && key === 'read_concurrency') flag(F_READ_CONC, el[1]!);
    else if (el.length === 2 && key === 'write_concurrency') {
      if (el[1] === a(p, 'auto')) flags = (flags | F_WRITE_CONC | F_WRITE_CONC_AUTO) >>> 0;
      else {
        flags &= ~F_WRITE_CONC_AUTO;
        flag(F_WRITE_CONC, el[1]!);
      }
    } else if (el.length === 2 && key === 'decentralized_counters') flag(F_DECENTRALIZED, el[1]!);
    else if (el.length === 2 && key === 'heir' && el[1] === a(p, 'none')) {
      heir = el[1]!;
      heirData = THE_NON_VALUE;
    } else if (el.length === 3 && key === 'heir') {
      if (!isLocalPid(el[1]!)) throw err(p);
      heir = el[1]!;
      heirData = el[2]!;
    } else throw err(p);
  }
  // decentralized_counters as OTP 25 settles it: only with write_concurrency;
  // then as asked, else on for write_concurrency auto and for ordered_set.
  if ((flags & F_WRITE_CONC) === 0) flags &= ~F_DECENTRALIZED;
  else if (!dcGiven && ((flags & F_WRITE_CONC_AUTO) !== 0 || type === TableType.OrderedSet)) flags |= F_DECENTRALIZED;
  const hd = heirData === THE_NON_VALUE ? 0 : storeObject(p, heirData);
  const t = createTable(p.mem, name, p.pid, { type, access, named, keypos, flags, heir, heirData: hd });
  if (t === 0) {
    if (hd !== 0) freeObject(p.mem, hd);
    throw err(p, 'already_exists');
  }
  return named ? name : tableRef(p, t);
}

// ---------------------------------------------------------------- delete, owner exit, give_away

function deleteTable(p: Process, tab: Term): Term {
  const t = withTable(p, tab, Need.Write, (t) => t);
  const gen = p.mem.i32[t + T_GEN]!;
  if (unregisterTable(p.mem, t, gen)) freeTableContents(p.mem, t);
  return ATOM_TRUE;
}

/**
 * A process has exited: each table it owns goes to its heir (with an
 * {'ETS-TRANSFER', Tab, FromPid, HeirData} message) when the heir is a live
 * process, else is deleted. Called once from the VM's exit path.
 */
export function etsOwnerExited(vm: VM, p: Process): void {
  if (tableCount(vm.mem) === 0) return;
  const mem = vm.mem;
  for (const t of allTables(mem)) {
    if (mem.i32[t + T_OWNER] !== p.pid) continue;
    let deleteIt = false;
    let gen = 0;
    lockTable(mem, t);
    try {
      const w = mem.i32;
      if (w[t + 2] !== 1 || w[t + T_OWNER] !== p.pid) continue;
      gen = w[t + T_GEN]!;
      const heir = w[t + T_HEIR]!;
      // The heir, alive on any scheduler (the shared process table); the message is built on the exiting
      // owner's heap, still whole, and copied into the heir's message block.
      const heirPcb = isLocalPid(heir) && heir !== p.pid ? vm.pcbOf(heir) : 0;
      if (heirPcb === 0) {
        deleteIt = true;
      } else {
        w[t + T_OWNER] = heir;
        const hd = w[t + T_HEIR_DATA]!;
        const data = hd === 0 ? ATOM_UNDEFINED : copyTerm(vm, mem.i32[hd + O_ROOT]!, p);
        const msg = mkTuple(p, [vm.atoms.intern('ETS-TRANSFER'), tabTerm(p, t), p.pid, data]);
        vm.deliverTo(heirPcb, msg);
      }
    } finally {
      unlockTable(mem, t);
    }
    if (deleteIt && unregisterTable(mem, t, gen)) freeTableContents(mem, t);
  }
}

function giveAway(p: Process, tab: Term, pid: Term, gift: Term): Term {
  if (!isLocalPid(pid)) throw err(p);
  return withTable(p, tab, Need.Write, (t) => {
    const w = p.mem.i32;
    if (w[t + T_OWNER] !== p.pid) throw err(p, 'not_owner');
    if (p.vm.pcbOf(pid) === 0) throw err(p);
    if (pid === p.pid) throw err(p, 'owner');
    w[t + T_OWNER] = pid;
    const msg = mkTuple(p, [a(p, 'ETS-TRANSFER'), tabTerm(p, t), p.pid, gift]);
    p.vm.send(p, pid, msg);
    return ATOM_TRUE;
  });
}

function setopts(p: Process, tab: Term, opts: Term): Term {
  const list = isTuple(p, opts) ? [opts] : listToArray(p, opts);
  if (list === undefined) throw err(p);
  return withTable(p, tab, Need.None, (t) => {
    const mem = p.mem;
    if (mem.i32[t + T_OWNER] !== p.pid) throw err(p, 'not_owner');
    for (const o of list) {
      if (!isTuple(p, o)) throw err(p);
      const el = tupleElements(p, o);
      const key = isAtom(el[0]!) ? p.atoms.name(el[0]!) : '';
      if (key === 'heir' && el.length === 2 && el[1] === a(p, 'none')) {
        const old = mem.i32[t + T_HEIR_DATA]!;
        mem.i32[t + T_HEIR] = el[1]!;
        mem.i32[t + T_HEIR_DATA] = 0;
        if (old !== 0) freeObject(mem, old);
      } else if (key === 'heir' && el.length === 3 && isLocalPid(el[1]!)) {
        const hd = storeObject(p, el[2]!);
        const old = mem.i32[t + T_HEIR_DATA]!;
        mem.i32[t + T_HEIR] = el[1]!;
        mem.i32[t + T_HEIR_DATA] = hd;
        if (old !== 0) freeObject(mem, old);
      } else if (key === 'protection' && el.length === 2 && isAtom(el[1]!)) {
        const acc = { public: Access.Public, protected: Access.Protected, private: Access.Private }[p.atoms.name(el[1]!)];
        if (acc === undefined) throw err(p);
        mem.i32[t + T_FLAGS] = (mem.i32[t + T_FLAGS]! & ~(3 << 2)) | (acc << 2);
      } else throw err(p);
    }
    return ATOM_TRUE;
  });
}

// ---------------------------------------------------------------- insert, lookup, delete

function insert(p: Process, tab: Term, objs: Term, onlyNew: boolean): Term {
  return withTable(p, tab, Need.Write, (t) => {
    const mem = p.mem;
    const keypos = mem.i32[t + T_KEYPOS]!;
    let list = objectsArg(p, objs, keypos);
    if (onlyNew) {
      const keys = list.map((o) => tupleElement(p, o, keypos));
      for (const k of keys) if (hasKey(p, t, k)) return ATOM_FALSE;
      // Keys repeated inside the list: the last object wins for a set, as with insert.
    }
    // The real VM files a list's objects into a bag last first.
    if (tableType(mem, t) === TableType.Bag && list.length > 1) list = list.slice().reverse();
    for (const o of list) {
      const block = storeObject(p, o);
      if (!insertBlock(p, t, block)) freeObject(mem, block);
    }
    return ATOM_TRUE;
  });
}

function lookup(p: Process, tab: Term, key: Term): Term {
  return withTable(p, tab, Need.Read, (t) => objectList(p, lookupBlocks(p, t, key)));
}

function lookupElement(p: Process, tab: Term, key: Term, pos: Term): Term {
  if (!isSmall(pos) || (pos >> 4) < 1) throw err(p);
  const i = pos >> 4;
  return withTable(p, tab, Need.Read, (t) => {
    const blocks = lookupBlocks(p, t, key);
    if (blocks.length === 0) throw err(p, 'badkey');
    const mem = p.mem;
    for (const b of blocks) if (tupleArity(p, objectRoot(mem, b)) < i) throw err(p);
    const vals = blocks.map((b) => copyTerm(p, tupleElement(p, objectRoot(mem, b), i), p));
    return tableType(mem, t) === TableType.Set || tableType(mem, t) === TableType.OrderedSet ? vals[0]! : mkList(p, vals);
  });
}

function take(p: Process, tab: Term, key: Term): Term {
  return withTable(p, tab, Need.Write, (t) => {
    const blocks = removeKey(p, t, key, undefined, true);
    const out = objectList(p, blocks);
    for (const b of blocks) freeObject(p.mem, b);
    return out;
  });
}

function deleteObject(p: Process, tab: Term, obj: Term): Term {
  return withTable(p, tab, Need.Write, (t) => {
    const mem = p.mem;
    const keypos = mem.i32[t + T_KEYPOS]!;
    checkObject(p, obj, keypos);
    const key = tupleElement(p, obj, keypos);
    removeKey(p, t, key, (b) => exactEqual(p, objectRoot(mem, b), obj));
    return ATOM_TRUE;
  });
}

// ---------------------------------------------------------------- update_counter, update_element

interface CounterOp {
  pos: number;
  incr: Int;
  threshold?: Int;
  setValue?: Int;
}

function counterOps(p: Process, op: Term, keypos: number): { ops: CounterOp[]; list: boolean } {
  const parse = (o: Term): CounterOp => {
    const iv = intValue(p, o);
    if (iv !== undefined) return { pos: keypos + 1, incr: iv };
    if (!isTuple(p, o)) throw err(p);
    const el = tupleElements(p, o);
    if (el.length !== 2 && el.length !== 4) throw err(p);
    if (!isSmall(el[0]!)) throw err(p, 'position');
    const vals = el.slice(1).map((x) => intValue(p, x));
    if (vals.some((v) => v === undefined)) throw err(p);
    const r: CounterOp = { pos: el[0]! >> 4, incr: vals[0]! };
    if (el.length === 4) {
      r.threshold = vals[1]!;
      r.setValue = vals[2]!;
    }
    return r;
  };
  if (isTuple(p, op) || intValue(p, op) !== undefined) return { ops: [parse(op)], list: false };
  const l = listToArray(p, op);
  if (l === undefined) throw err(p);
  return { ops: l.map(parse), list: true };
}

const big = (v: Int): bigint => (typeof v === 'bigint' ? v : BigInt(v));
function addInt(x: Int, y: Int): Int {
  if (typeof x === 'number' && typeof y === 'number') {
    const s = x + y;
    if (Number.isSafeInteger(s)) return s;
  }
  const r = big(x) + big(y);
  return r >= BigInt(Number.MIN_SAFE_INTEGER) && r <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r) : r;
}
const lt = (x: Int, y: Int): boolean => (typeof x === 'number' && typeof y === 'number' ? x < y : big(x) < big(y));

function updateCounter(p: Process, tab: Term, key: Term, op: Term, dflt?: Term): Term {
  return withTable(p, tab, Need.Write, (t) => {
    const mem = p.mem;
    const type = tableType(mem, t);
    if (type === TableType.Bag || type === TableType.DuplicateBag) throw err(p, 'table_type');
    const keypos = mem.i32[t + T_KEYPOS]!;
    const { ops, list } = counterOps(p, op, keypos);
    let blocks = lookupBlocks(p, t, key);
    let elems: Term[];
    let fresh = false;
    if (blocks.length === 0) {
      if (dflt === undefined) throw err(p, 'badkey');
      checkObject(p, dflt, keypos);
      elems = tupleElements(p, dflt);
      elems[keypos - 1] = key;
      fresh = true;
    } else elems = tupleElements(p, objectRoot(mem, blocks[0]!));
    for (const o of ops) {
      if (o.pos === keypos) throw err(p, 'keypos');
      if (o.pos < 1 || o.pos > elems.length) throw err(p, 'position');
      if (intValue(p, elems[o.pos - 1]!) === undefined) throw err(p);
    }
    const results: Int[] = [];
    const changed = new Set<number>();
    for (const o of ops) {
      const old = intValue(p, elems[o.pos - 1]!)!;
      let v = addInt(old, o.incr);
      if (o.threshold !== undefined) {
        const nonNeg = typeof o.incr === 'number' ? o.incr >= 0 : o.incr >= 0n;
        if (nonNeg ? lt(o.threshold, v) : lt(v, o.threshold)) v = o.setValue!;
      }
      results.push(v);
      elems[o.pos - 1] = mkInt(p, v);
      changed.add(o.pos);
    }
    if (!fresh && [...changed].every((i) => isImmediate(elems[i - 1]!))) {
      // In place: immediates over immediates (or over bignums, whose words just become garbage in the block).
      const root = objectRoot(mem, blocks[0]!);
      for (const i of changed) mem.i32[ptrVal(root) + i] = elems[i - 1]!;
    } else {
      const block = storeObject(p, mkTuple(p, elems));
      if (fresh) insertBlock(p, t, block);
      else replaceBlock(p, t, blocks[0]!, block);
    }
    blocks = [];
    return list ? mkList(p, results.map((r) => mkInt(p, r))) : mkInt(p, results[0]!);
  });
}

function updateElement(p: Process, tab: Term, key: Term, spec: Term): Term {
  return withTable(p, tab, Need.Write, (t) => {
    const mem = p.mem;
    const type = tableType(mem, t);
    if (type === TableType.Bag || type === TableType.DuplicateBag) throw err(p);
    const keypos = mem.i32[t + T_KEYPOS]!;
    const list = isTuple(p, spec) ? [spec] : listToArray(p, spec);
    if (list === undefined) throw err(p);
    const pairs: [number, Term][] = [];
    for (const s of list) {
      if (!isTuple(p, s) || tupleArity(p, s) !== 2) throw err(p);
      const pos = tupleElement(p, s, 1);
      if (!isSmall(pos)) throw err(p);
      pairs.push([pos >> 4, tupleElement(p, s, 2)]);
    }
    const blocks = lookupBlocks(p, t, key);
    if (blocks.length === 0) {
      for (const [pos] of pairs) if (pos === keypos) throw err(p, 'keypos');
      return ATOM_FALSE;
    }
    const elems = tupleElements(p, objectRoot(mem, blocks[0]!));
    for (const [pos] of pairs) {
      if (pos === keypos) throw err(p, 'keypos');
      if (pos < 1 || pos > elems.length) throw err(p);
    }
    for (const [pos, v] of pairs) elems[pos - 1] = v;
    if (pairs.every(([, v]) => isImmediate(v))) {
      const root = objectRoot(mem, blocks[0]!);
      for (const [pos, v] of pairs) mem.i32[ptrVal(root) + pos] = v;
    } else replaceBlock(p, t, blocks[0]!, storeObject(p, mkTuple(p, elems)));
    return ATOM_TRUE;
  });
}

// ---------------------------------------------------------------- traversal

const END = (p: Process): Term => a(p, '$end_of_table');

function firstLast(p: Process, tab: Term, last: boolean): Term {
  return withTable(p, tab, Need.Read, (t) => {
    const mem = p.mem;
    const n = tableSize(mem, t);
    if (n === 0) return END(p);
    const keypos = mem.i32[t + T_KEYPOS]!;
    if (tableType(mem, t) === TableType.OrderedSet) return copyTerm(p, objectKey(mem, orderedAt(mem, t, last ? n - 1 : 0), keypos), p);
    let found = 0;
    scanHash(mem, t, 0, 0, (b) => {
      found = b;
      return false;
    });
    return copyTerm(p, objectKey(mem, found, keypos), p);
  });
}

function nextPrev(p: Process, tab: Term, key: Term, prev: boolean): Term {
  return withTable(p, tab, Need.Read, (t) => {
    const mem = p.mem;
    const keypos = mem.i32[t + T_KEYPOS]!;
    if (tableType(mem, t) === TableType.OrderedSet) {
      const [i, found] = orderedSearch(p, t, key);
      const j = prev ? i - 1 : found ? i + 1 : i;
      if (j < 0 || j >= tableSize(mem, t)) return END(p);
      return copyTerm(p, objectKey(mem, orderedAt(mem, t, j), keypos), p);
    }
    // Hash tables: prev is next (the real VM's order for them is one way).
    const after = hashNextAfter(p, t, key);
    if (after < 0) throw err(p);
    return after === 0 ? END(p) : copyTerm(p, objectKey(mem, after, keypos), p);
  });
}

function slot(p: Process, tab: Term, i: Term): Term {
  if (!isSmall(i) || (i >> 4) < 0) throw err(p);
  const n = i >> 4;
  return withTable(p, tab, Need.Read, (t) => {
    const mem = p.mem;
    if (tableType(mem, t) === TableType.OrderedSet) {
      if (n > tableSize(mem, t)) throw err(p);
      return n === tableSize(mem, t) ? END(p) : mkList(p, [copyOut(p, orderedAt(mem, t, n))]);
    }
    const cap = hashCapacity(mem, t);
    if (n > cap) throw err(p);
    if (n === cap) return END(p);
    return objectList(p, bucketBlocks(mem, t, n));
  });
}

// ---------------------------------------------------------------- select and friends

/** Objects a spec can match, in table order (fixed keys: only those keys' objects). */
function candidates(p: Process, t: number, ms: MatchSpec, reverse: boolean): number[] {
  const mem = p.mem;
  const keypos = mem.i32[t + T_KEYPOS]!;
  const keys = fixedKeys(ms, keypos);
  let blocks: number[];
  if (keys !== undefined) {
    const seen = new Set<number>();
    blocks = [];
    const ordered = tableType(mem, t) === TableType.OrderedSet;
    const ks = ordered ? keys.slice().sort((x, y) => compare(p, x, y)) : keys;
    for (const k of ks) {
      // Hash tables: the chain's order (newest first), which the caller reverses as the real VM does.
      const run = ordered ? lookupBlocks(p, t, k) : lookupBlocks(p, t, k).reverse();
      for (const b of run) if (!seen.has(b)) (seen.add(b), blocks.push(b));
    }
  } else blocks = allBlocks(mem, t);
  if (reverse && tableType(mem, t) === TableType.OrderedSet) blocks.reverse();
  return blocks;
}

function selectAll(p: Process, tab: Term, msT: Term, reverse: boolean): Term {
  const ms = compileMatchSpec(p, msT);
  return withTable(p, tab, Need.Read, (t) => {
    const mem = p.mem;
    const vars: Term[] = new Array(ms.maxVar).fill(NIL);
    const out: Term[] = [];
    for (const b of candidates(p, t, ms, reverse)) {
      const r = runMatchSpec(p, ms, objectRoot(mem, b), vars);
      if (r !== THE_NON_VALUE) out.push(copyTerm(p, r, p));
    }
    // Hash tables: the real VM prepends each result as it goes up the buckets.
    if (tableType(mem, t) !== TableType.OrderedSet) out.reverse();
    return mkList(p, out);
  });
}

/**
 * select/3 and the continuations: at most `limit` results from position
 * `pos` on. A continuation is {'$ets_cont', Tab, MatchSpec, Limit, Reverse, Pos}
 * with Pos {Bucket, Index} for hash tables and {Key} (the last key seen) for
 * ordered_set ({} before the first). The real VM's chunking: full chunks go
 * with a continuation, the last short one with '$end_of_table'.
 */
function selectChunk(p: Process, tab: Term, msT: Term, limit: number, reverse: boolean, pos: Term): Term {
  const ms = compileMatchSpec(p, msT);
  return withTable(p, tab, Need.Read, (t) => {
    const mem = p.mem;
    const vars: Term[] = new Array(ms.maxVar).fill(NIL);
    const out: Term[] = [];
    let next: Term;
    if (tableType(mem, t) === TableType.OrderedSet) {
      const n = tableSize(mem, t);
      let i: number;
      if (tupleArity(p, pos) === 0) i = reverse ? n - 1 : 0;
      else {
        const [j, found] = orderedSearch(p, t, tupleElement(p, pos, 1));
        i = reverse ? j - 1 : found ? j + 1 : j;
      }
      let lastKey: Term = THE_NON_VALUE;
      for (; reverse ? i >= 0 : i < n; reverse ? i-- : i++) {
        const b = orderedAt(mem, t, i);
        const r = runMatchSpec(p, ms, objectRoot(mem, b), vars);
        if (r === THE_NON_VALUE) continue;
        out.push(copyTerm(p, r, p));
        if (out.length === limit) {
          lastKey = copyTerm(p, objectKey(mem, b, mem.i32[t + T_KEYPOS]!), p);
          break;
        }
      }
      next = lastKey === THE_NON_VALUE ? THE_NON_VALUE : mkTuple(p, [lastKey]);
    } else {
      const bucket = tupleElement(p, pos, 1) >> 4;
      const skip = tupleElement(p, pos, 2) >> 4;
      const [nb, ni] = scanHash(mem, t, bucket, skip, (b) => {
        const r = runMatchSpec(p, ms, objectRoot(mem, b), vars);
        if (r !== THE_NON_VALUE) out.push(copyTerm(p, r, p));
        return out.length < limit;
      });
      next = out.length === limit ? mkTuple2(p, makeSmall(nb), makeSmall(ni)) : THE_NON_VALUE;
      out.reverse();
    }
    if (out.length === 0) return END(p);
    const results = mkList(p, out);
    if (next === THE_NON_VALUE) return mkTuple2(p, results, END(p));
    const cont = mkTuple(p, [a(p, '$ets_cont'), tab, msT, makeSmall(limit), reverse ? ATOM_TRUE : ATOM_FALSE, next]);
    return mkTuple2(p, results, cont);
  });
}

function selectLimit(p: Process, tab: Term, ms: Term, limit: Term, reverse: boolean): Term {
  if (!isSmall(limit) || (limit >> 4) < 1) throw err(p);
  const ordered = withTable(p, tab, Need.Read, (t) => tableType(p.mem, t) === TableType.OrderedSet);
  const start = ordered ? mkTuple(p, []) : mkTuple2(p, makeSmall(0), makeSmall(0));
  return selectChunk(p, tab, ms, limit >> 4, reverse, start);
}

function selectCont(p: Process, cont: Term): Term {
  if (cont === END(p)) return cont;
  if (!isTuple(p, cont) || tupleArity(p, cont) !== 6 || tupleElement(p, cont, 1) !== a(p, '$ets_cont')) throw err(p);
  const [, tab, ms, limit, rev, pos] = tupleElements(p, cont) as [Term, Term, Term, Term, Term, Term];
  return selectChunk(p, tab, ms, limit >> 4, rev === ATOM_TRUE, pos);
}

/** Builds [{Pattern, [], [Body]}] for match ('$$') and match_object ('$_'). */
function patternSpec(p: Process, pattern: Term, body: string): Term {
  return mkList(p, [mkTuple(p, [pattern, NIL, mkList(p, [a(p, body)])])]);
}

function selectCount(p: Process, tab: Term, msT: Term): Term {
  const ms = compileMatchSpec(p, msT);
  return withTable(p, tab, Need.Read, (t) => {
    const vars: Term[] = new Array(ms.maxVar).fill(NIL);
    let n = 0;
    for (const b of candidates(p, t, ms, false)) if (runMatchSpec(p, ms, objectRoot(p.mem, b), vars) === ATOM_TRUE) n++;
    return makeSmall(n);
  });
}

function selectDelete(p: Process, tab: Term, msT: Term): Term {
  const ms = compileMatchSpec(p, msT);
  return withTable(p, tab, Need.Write, (t) => {
    const mem = p.mem;
    const vars: Term[] = new Array(ms.maxVar).fill(NIL);
    const ordered = tableType(mem, t) === TableType.OrderedSet;
    const doomed: number[] = [];
    for (const b of candidates(p, t, ms, false)) if (runMatchSpec(p, ms, objectRoot(mem, b), vars) === ATOM_TRUE) doomed.push(b);
    for (const b of doomed) {
      if (ordered) removeOrderedAt(mem, t, orderedSearch(p, t, objectKey(mem, b, mem.i32[t + T_KEYPOS]!))[0]);
      else removeHashBlock(mem, t, b);
      freeObject(mem, b);
    }
    return mkInt(p, doomed.length);
  });
}

function selectReplace(p: Process, tab: Term, msT: Term): Term {
  const ms = compileMatchSpec(p, msT);
  return withTable(p, tab, Need.Write, (t) => {
    const mem = p.mem;
    const type = tableType(mem, t);
    if (type === TableType.Bag || type === TableType.DuplicateBag) throw err(p, 'table_type');
    const keypos = mem.i32[t + T_KEYPOS]!;
    const vars: Term[] = new Array(ms.maxVar).fill(NIL);
    const changes: [number, Term][] = [];
    for (const b of candidates(p, t, ms, false)) {
      const r = runMatchSpec(p, ms, objectRoot(mem, b), vars);
      if (r === THE_NON_VALUE) continue;
      const key = objectKey(mem, b, keypos);
      const same = isTuple(p, r) && tupleArity(p, r) >= keypos && (type === TableType.OrderedSet ? compare(p, tupleElement(p, r, keypos), key) === 0 : exactEqual(p, tupleElement(p, r, keypos), key));
      if (!same) throw err(p);
      changes.push([b, copyTerm(p, r, p)]);
    }
    for (const [b, r] of changes) replaceBlock(p, t, b, storeObject(p, r));
    return mkInt(p, changes.length);
  });
}

function deleteAll(p: Process, tab: Term): Term {
  return withTable(p, tab, Need.Write, (t) => mkInt(p, clearTable(p.mem, t)));
}

// ---------------------------------------------------------------- info

function infoItem(p: Process, t: number, item: string): Term | undefined {
  const mem = p.mem;
  const w = mem.i32;
  const fl = w[t + T_FLAGS]!;
  const b = (bit: number): Term => ((fl & bit) !== 0 ? ATOM_TRUE : ATOM_FALSE);
  switch (item) {
    case 'id':
      return tableRef(p, t);
    case 'decentralized_counters':
      return b(F_DECENTRALIZED);
    case 'read_concurrency':
      return b(F_READ_CONC);
    case 'write_concurrency':
      return (fl & F_WRITE_CONC_AUTO) !== 0 ? a(p, 'auto') : b(F_WRITE_CONC);
    case 'compressed':
      return b(F_COMPRESSED);
    case 'memory':
      return mkInt(p, tableMemoryWords(mem, t));
    case 'owner':
      return w[t + T_OWNER]!;
    case 'heir':
      return w[t + T_HEIR]!;
    case 'name':
      return w[t + T_NAME]!;
    case 'size':
      return mkInt(p, tableSize(mem, t));
    case 'node':
      return lookupBif('erlang', 'node', 0)!.fn(p, []);
    case 'named_table':
      return b(F_NAMED);
    case 'type':
      return a(p, ['set', 'ordered_set', 'bag', 'duplicate_bag'][tableType(mem, t)]!);
    case 'keypos':
      return makeSmall(w[t + T_KEYPOS]!);
    case 'protection':
      return a(p, ['public', 'protected', 'private'][tableAccess(mem, t)]!);
    case 'fixed':
      return w[t + T_FIX]! > 0 ? ATOM_TRUE : ATOM_FALSE;
    case 'safe_fixed':
    case 'safe_fixed_monotonic_time':
      if (w[t + T_FIX]! === 0) return ATOM_FALSE;
      return mkTuple2(p, makeSmall(0), mkList(p, [mkTuple2(p, w[t + T_FIX_PID]!, makeSmall(w[t + T_FIX]!))]));
    case 'stats':
      return mkTuple(p, [makeSmall(hashCapacityOr(mem, t)), makeSmall(0), makeSmall(0), makeSmall(0), makeSmall(0), makeSmall(0), makeSmall(0)]);
    default:
      return undefined;
  }
}
const hashCapacityOr = (mem: Process['mem'], t: number): number => (tableType(mem, t) === TableType.OrderedSet ? 0 : hashCapacity(mem, t));

const INFO_ITEMS = ['id', 'decentralized_counters', 'read_concurrency', 'write_concurrency', 'compressed', 'memory', 'owner', 'heir', 'name', 'size', 'node', 'named_table', 'type', 'keypos', 'protection'];

function info(p: Process, tab: Term, item?: Term): Term {
  if (!isAtom(tab) && !isEtsRef(p, tab)) throw err(p);
  if (item !== undefined && !isAtom(item)) throw err(p);
  const t = findTable(p, tab);
  if (t === 0) return ATOM_UNDEFINED;
  try {
    return withTable(p, tab, Need.None, (t) => {
      if (item !== undefined) {
        const v = infoItem(p, t, p.atoms.name(item));
        if (v === undefined) throw err(p);
        return v;
      }
      return mkList(p, INFO_ITEMS.map((i) => mkTuple2(p, a(p, i), infoItem(p, t, i)!)));
    });
  } catch (e) {
    // A table deleted between the lookup and the lock.
    if (e instanceof ErlangException && e.cause === a(p, 'id')) return ATOM_UNDEFINED;
    throw e;
  }
}

// ---------------------------------------------------------------- compiled match specs

/** Third id word of a compiled match spec's reference. */
const MS_REF_MAGIC = 0x4d53;
/** Compiled specs of this thread, per memory, by the address of their stored copy. */
const compiledCaches = new WeakMap<object, Map<number, MatchSpec>>();

function msCompile(p: Process, ms: Term): Term {
  compileMatchSpec(p, ms); // badarg when malformed
  const block = storeObject(p, ms);
  const at = p.alloc(4);
  const w = p.mem.i32;
  w[at] = makeHeader(3, SUB_REF);
  w[at + 1] = block;
  w[at + 2] = 0;
  w[at + 3] = MS_REF_MAGIC;
  return makeBoxed(at);
}

function isCompiledMs(p: Process, t: Term): boolean {
  if (!isBoxed(t)) return false;
  const w = p.mem.i32;
  const at = ptrVal(t);
  return w[at] === makeHeader(3, SUB_REF) && w[at + 3] === MS_REF_MAGIC && w[at + 2] === 0;
}

function msRun(p: Process, list: Term, cms: Term, acc: Term): Term {
  if (!isCompiledMs(p, cms)) throw err(p);
  const block = p.mem.i32[ptrVal(cms) + 1]!;
  let compiledCache = compiledCaches.get(p.mem);
  if (compiledCache === undefined) compiledCaches.set(p.mem, (compiledCache = new Map()));
  let ms = compiledCache.get(block);
  if (ms === undefined) compiledCache.set(block, (ms = compileMatchSpec(p, objectRoot(p.mem, block))));
  const items = listToArray(p, list);
  if (items === undefined) throw err(p);
  const vars: Term[] = new Array(ms.maxVar).fill(NIL);
  let out = acc;
  for (const x of items) {
    const r = runMatchSpec(p, ms, x, vars);
    if (r !== THE_NON_VALUE) out = mkList(p, [copyTerm(p, r, p)], out);
  }
  return out;
}

function matchSpecTest(p: Process, term: Term, msT: Term, type: Term): Term {
  if (type !== a(p, 'table')) throw err(p);
  let ms: MatchSpec;
  try {
    ms = compileMatchSpec(p, msT);
  } catch (e) {
    if (e instanceof ErlangException) return mkTuple2(p, a(p, 'error'), mkList(p, [mkTuple2(p, a(p, 'error'), mkList(p, []))]));
    throw e;
  }
  const r = runMatchSpec(p, ms, term, new Array(ms.maxVar).fill(NIL));
  return mkTuple(p, [a(p, 'ok'), r === THE_NON_VALUE ? ATOM_FALSE : r, NIL, NIL]);
}

// ---------------------------------------------------------------- registration

defineBifs('ets', 'bif', {
  'new/2': (p, [n, o]) => newTable(p, n!, o!),
  'delete/1': (p, [t]) => deleteTable(p, t!),
  'delete/2': (p, [t, k]) =>
    withTable(p, t!, Need.Write, (tt) => {
      removeKey(p, tt, k!);
      return ATOM_TRUE;
    }),
  'delete_object/2': (p, [t, o]) => deleteObject(p, t!, o!),
  'internal_delete_all/2': (p, [t]) => deleteAll(p, t!),
  'internal_select_delete/2': (p, [t, ms]) => selectDelete(p, t!, ms!),
  'first/1': (p, [t]) => firstLast(p, t!, false),
  'last/1': (p, [t]) => firstLast(p, t!, true),
  'next/2': (p, [t, k]) => nextPrev(p, t!, k!, false),
  'prev/2': (p, [t, k]) => nextPrev(p, t!, k!, true),
  'give_away/3': (p, [t, pid, g]) => giveAway(p, t!, pid!, g!),
  'info/1': (p, [t]) => info(p, t!),
  'info/2': (p, [t, i]) => info(p, t!, i!),
  'insert/2': (p, [t, o]) => insert(p, t!, o!, false),
  'insert_new/2': (p, [t, o]) => insert(p, t!, o!, true),
  'is_compiled_ms/1': (p, [t]) => (isCompiledMs(p, t!) ? ATOM_TRUE : ATOM_FALSE),
  'lookup/2': (p, [t, k]) => lookup(p, t!, k!),
  'lookup_element/3': (p, [t, k, i]) => lookupElement(p, t!, k!, i!),
  'member/2': (p, [t, k]) => withTable(p, t!, Need.Read, (tt) => (hasKey(p, tt, k!) ? ATOM_TRUE : ATOM_FALSE)),
  'match/2': (p, [t, pat]) => selectAll(p, t!, patternSpec(p, pat!, '$$'), false),
  'match/3': (p, [t, pat, l]) => selectLimit(p, t!, patternSpec(p, pat!, '$$'), l!, false),
  'match/1': (p, [c]) => selectCont(p, c!),
  'match_object/2': (p, [t, pat]) => selectAll(p, t!, patternSpec(p, pat!, '$_'), false),
  'match_object/3': (p, [t, pat, l]) => selectLimit(p, t!, patternSpec(p, pat!, '$_'), l!, false),
  'match_object/1': (p, [c]) => selectCont(p, c!),
  'match_spec_compile/1': (p, [ms]) => msCompile(p, ms!),
  'match_spec_run_r/3': (p, [l, c, acc]) => msRun(p, l!, c!, acc!),
  'rename/2': (p, [t, name]) => {
    if (!isAtom(name!)) throw err(p);
    const tt = withTable(p, t!, Need.None, (tt) => {
      if (p.mem.i32[tt + T_OWNER] !== p.pid) throw err(p, 'not_owner');
      return tt;
    });
    const r = renameTable(p.mem, tt, p.mem.i32[tt + T_GEN]!, name!);
    if (r === undefined) throw err(p, 'id');
    if (!r) throw err(p, 'already_exists');
    return (p.mem.i32[tt + T_FLAGS]! & F_NAMED) !== 0 ? name! : tableRef(p, tt);
  },
  'safe_fixtable/2': (p, [t, on]) => {
    if (on !== ATOM_TRUE && on !== ATOM_FALSE) throw err(p);
    return withTable(p, t!, Need.Read, (tt) => {
      const w = p.mem.i32;
      if (on === ATOM_TRUE) {
        w[tt + T_FIX]!++;
        w[tt + T_FIX_PID] = p.pid;
      } else if (w[tt + T_FIX]! > 0) w[tt + T_FIX]!--;
      return ATOM_TRUE;
    });
  },
  'select/2': (p, [t, ms]) => selectAll(p, t!, ms!, false),
  'select/3': (p, [t, ms, l]) => selectLimit(p, t!, ms!, l!, false),
  'select/1': (p, [c]) => selectCont(p, c!),
  'select_count/2': (p, [t, ms]) => selectCount(p, t!, ms!),
  'select_replace/2': (p, [t, ms]) => selectReplace(p, t!, ms!),
  'select_reverse/2': (p, [t, ms]) => selectAll(p, t!, ms!, true),
  'select_reverse/3': (p, [t, ms, l]) => selectLimit(p, t!, ms!, l!, true),
  'select_reverse/1': (p, [c]) => selectCont(p, c!),
  'setopts/2': (p, [t, o]) => setopts(p, t!, o!),
  'slot/2': (p, [t, i]) => slot(p, t!, i!),
  'take/2': (p, [t, k]) => take(p, t!, k!),
  'update_counter/3': (p, [t, k, op]) => updateCounter(p, t!, k!, op!),
  'update_counter/4': (p, [t, k, op, d]) => updateCounter(p, t!, k!, op!, d!),
  'update_element/3': (p, [t, k, s]) => updateElement(p, t!, k!, s!),
  'whereis/1': (p, [name]) => {
    if (!isAtom(name!)) throw err(p);
    const t = findTable(p, name!);
    if (t === 0) return ATOM_UNDEFINED;
    try {
      return withTable(p, name!, Need.None, (tt) => tableRef(p, tt));
    } catch (e) {
      if (e instanceof ErlangException) return ATOM_UNDEFINED;
      throw e;
    }
  },
  'internal_request_all/0': (p) => {
    const ref = p.vm.makeRef(p);
    const tabs = allTables(p.mem).map((t) => tabTerm(p, t));
    p.vm.deliver(p, mkTuple2(p, ref, mkList(p, tabs)));
    for (let i = 1; i < p.vm.schedulers.count; i++) p.vm.deliver(p, mkTuple2(p, ref, NIL));
    return ref;
  },
});

defineBifs('erlang', 'bif', {
  'match_spec_test/3': (p, [t, ms, type]) => matchSpecTest(p, t!, ms!, type!),
});

void tableOfRef;
