/**
 * Direct start-up (architecture brief, section 2) has no `init` process and
 * no `code_server`: the functions of `init` and `code` that would ask those
 * servers are answered natively from the VM's own state (its code path and
 * module table). They replace the Erlang functions when init.beam and
 * code.beam load. Boot mode, with the real servers, will not register them.
 */
import { ATOM_ERROR, ATOM_FALSE, ATOM_OK, ATOM_TRUE, commonAtom } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { NIL, isAtom, makeSmall, type Term } from '../vm/term/tags.js';
import { listToArray, listToString, mkBinary, mkInt, mkList, mkString, mkTuple, mkTuple2, mkTuple3 } from '../vm/term/make.js';
import type { Process } from '../vm/process.js';
import { join } from 'node:path';
import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { defineBifs } from './registry.js';

const atom = (p: Process, name: string): Term => p.atoms.intern(name);

function ensureLoaded(p: Process, m: Term): Term {
  if (!isAtom(m)) throw badarg();
  if (p.vm.autoload(m)) return mkTuple2(p, atom(p, 'module'), m);
  return mkTuple2(p, ATOM_ERROR, atom(p, 'nofile'));
}

function which(p: Process, m: Term): Term {
  if (!isAtom(m)) throw badarg();
  const name = p.atoms.name(m);
  for (const dir of p.vm.codePath) {
    const file = join(dir, `${name}.beam`);
    if (existsSync(file)) return mkString(p, file);
  }
  return p.vm.modules.get(m) !== undefined ? atom(p, 'preloaded') : atom(p, 'non_existing');
}

defineBifs('init', 'nif', {
  'get_arguments/0': () => NIL,
  'get_plain_arguments/0': () => NIL,
  'get_argument/1': () => ATOM_ERROR,
  'get_status/0': (p) => mkTuple2(p, atom(p, 'started'), atom(p, 'started')),
  'script_id/0': (p) => mkTuple2(p, mkString(p, 'beamjs'), mkString(p, 'direct')),
});

defineBifs('code', 'nif', {
  'ensure_loaded/1': (p, [m]) => ensureLoaded(p, m!),
  'load_file/1': (p, [m]) => ensureLoaded(p, m!),
  'is_loaded/1': (p, [m]) => {
    if (!isAtom(m!)) throw badarg();
    const loaded = p.vm.modules.get(m!);
    return loaded === undefined ? ATOM_FALSE : mkTuple2(p, atom(p, 'file'), which(p, m!));
  },
  'which/1': (p, [m]) => which(p, m!),
  'get_path/0': (p) => mkList(p, p.vm.codePath.map((d) => mkString(p, d))),
  'ensure_modules_loaded/1': (p, [ms]) => {
    const mods = listToArray(p, ms!);
    if (mods === undefined || !mods.every(isAtom)) throw badarg();
    const missing = mods.filter((m) => !p.vm.autoload(m));
    if (missing.length === 0) return ATOM_OK;
    return mkTuple2(p, ATOM_ERROR, mkList(p, missing.map((m) => mkTuple2(p, m, atom(p, 'nofile')))));
  },
  'all_loaded/0': (p) => mkList(p, p.vm.modules.all().map((m) => mkTuple2(p, m.name, which(p, m.name)))),
  'is_sticky/1': () => ATOM_FALSE,
  'get_mode/0': (p) => atom(p, 'interactive'),
  'root_dir/0': (p) => mkString(p, p.vm.erlRoot),
  'lib_dir/0': (p) => mkString(p, join(p.vm.erlRoot, 'lib')),
});

/**
 * erl_prim_loader (the boot-time file access every code loader uses: the
 * code path walk of code:where_is_file/1, the .app files that
 * application_controller reads): in direct mode there is no loader process
 * and the files are read straight from the local file system.
 */
function fileName(p: Process, t: Term): string {
  const s = listToString(p, t);
  if (s !== undefined) return s;
  if (isAtom(t)) return p.atoms.name(t);
  throw badarg();
}

function localDateTime(p: Process, d: Date): Term {
  const n = (v: number): Term => makeSmall(v);
  return mkTuple2(p, mkTuple3(p, n(d.getFullYear()), n(d.getMonth() + 1), n(d.getDate())), mkTuple3(p, n(d.getHours()), n(d.getMinutes()), n(d.getSeconds())));
}

defineBifs('erl_prim_loader', 'nif', {
  'get_file/1': (p, [f]) => {
    const name = fileName(p, f!);
    try {
      const bytes = readFileSync(name);
      return mkTuple3(p, ATOM_OK, mkBinary(p, bytes), mkString(p, name));
    } catch {
      return ATOM_ERROR;
    }
  },
  'list_dir/1': (p, [d]) => {
    try {
      return mkTuple2(p, ATOM_OK, mkList(p, readdirSync(fileName(p, d!)).map((n) => mkString(p, n))));
    } catch {
      return ATOM_ERROR;
    }
  },
  'get_cwd/0': (p) => mkTuple2(p, ATOM_OK, mkString(p, process.cwd())),
  'read_file_info/1': (p, [f]) => fileInfo(p, f!, false),
  'read_link_info/1': (p, [f]) => fileInfo(p, f!, true),
});

function fileInfo(p: Process, f: Term, link: boolean): Term {
  let st;
  try {
    st = link ? lstatSync(fileName(p, f)) : statSync(fileName(p, f));
  } catch {
    return ATOM_ERROR;
  }
  const a = (s: string): Term => atom(p, s);
  const type = st.isFile() ? 'regular' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isCharacterDevice() || st.isBlockDevice() ? 'device' : 'other';
  const mode = st.mode;
  const access = mode & 0o600 ? (mode & 0o200 ? (mode & 0o400 ? 'read_write' : 'write') : 'read') : 'none';
  return mkTuple(p, [
    a('file_info'), mkInt(p, st.size), a(type), a(access),
    localDateTime(p, st.atime), localDateTime(p, st.mtime), localDateTime(p, st.ctime),
    mkInt(p, mode), mkInt(p, st.nlink), mkInt(p, st.dev), makeSmall(0), mkInt(p, st.ino), mkInt(p, st.uid), mkInt(p, st.gid),
  ]);
}

void ATOM_TRUE;
void commonAtom;
