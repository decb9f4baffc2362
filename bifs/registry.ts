/**
 * The one registry of native functions, keyed 'module:name/arity': the BIFs
 * of `erlang` and friends, and the replacements for OTP functions whose .beam
 * only holds an `erlang:nif_error` stub (lists:reverse/2, binary:*, ...).
 *
 * Each group of BIFs lives in its own file under bifs/ and registers itself
 * with `defineBifs`; bifs/index.ts imports every group, so importing it fills
 * the table. The loader resolves imports and exports against this table once,
 * at load time; the interpreter calls entries by index.
 *
 * Calling convention: `fn(p, args)` with the arguments in `args` (a scratch
 * array owned by the caller: read it, never keep it). The result is a term,
 * built on the process with `p.alloc` (vm/term/make.ts has the builders).
 * A BIF fails by throwing an ErlangException (vm/errors.ts: badarg(), ...),
 * exactly with the real VM's reason; it must not change anything visible
 * before it throws.
 */
import type { Process } from '../vm/process.js';
import type { Term } from '../vm/term/tags.js';

export type BifFn = (p: Process, args: Term[]) => Term;

/**
 * guard: allowed in guards (bif1/bif2 with a fail label), never allocates a
 *        GC-visible result bigger than a few words, never yields.
 * gc:    called through gc_bif (may allocate; the caller says which x registers are live).
 * bif:   an ordinary BIF (called with call_ext and friends).
 * nif:   replaces an OTP function whose .beam has only a nif_error stub.
 */
export type BifKind = 'guard' | 'gc' | 'bif' | 'nif';

export interface BifEntry {
  readonly key: string;
  readonly module: string;
  readonly name: string;
  readonly arity: number;
  readonly kind: BifKind;
  readonly fn: BifFn;
  /** Position in BIF_TABLE; the number the loader writes into code. */
  readonly index: number;
  /**
   * A native function that one embedding VM registered (vm/api.ts): it has
   * an index but no key in the registry, and only that VM's export table
   * points at it. A VM never publishes these entries itself.
   */
  readonly hostOnly?: boolean;
  /**
   * The BIF may throw BIF_RETRY: it has asked another thread for something
   * and parked its process, which runs the call again when woken (the JIT
   * leaves such calls to the interpreter).
   */
  mayRetry?: boolean;
}

/** Thrown by a BIF (marked mayRetry) whose process waits for an answer: the call is made again when it is woken. */
export const BIF_RETRY = { retry: true } as const;

export const BIF_TABLE: BifEntry[] = [];
const BY_KEY = new Map<string, BifEntry>();

/**
 * Registers a group: `defineBifs('erlang', 'bif', { 'atom_to_list/1': fn, ... })`.
 * A key registered twice is a bug and throws at start-up.
 */
export function defineBifs(module: string, kind: BifKind, fns: Record<string, BifFn>): void {
  for (const [nameArity, fn] of Object.entries(fns)) {
    const slash = nameArity.lastIndexOf('/');
    const name = nameArity.slice(0, slash);
    const arity = Number(nameArity.slice(slash + 1));
    if (slash <= 0 || !Number.isInteger(arity)) throw new Error(`bad BIF name ${nameArity}`);
    const key = `${module}:${name}/${arity}`;
    if (BY_KEY.has(key)) throw new Error(`BIF ${key} registered twice`);
    const entry: BifEntry = { key, module, name, arity, kind, fn, index: BIF_TABLE.length };
    BIF_TABLE.push(entry);
    BY_KEY.set(key, entry);
  }
}

/** How many entries sealBifRegistry put in key order (the entries every thread has at the same index). */
let sealedCount = -1;

/**
 * Puts the registered BIFs in key order, once per JS realm, before any
 * code is loaded: code names BIFs by index, and every scheduler thread's
 * bundle registers the same BIFs but in its own import order. Entries
 * added later (missing BIFs, host natives) go after them.
 */
export function sealBifRegistry(): void {
  if (sealedCount >= 0) return;
  const fixed = BIF_TABLE.filter((e) => !e.hostOnly && !MISSING.has(e.key)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rest = BIF_TABLE.filter((e) => e.hostOnly || MISSING.has(e.key));
  BIF_TABLE.length = 0;
  for (const e of [...fixed, ...rest]) {
    (e as { index: number }).index = BIF_TABLE.length;
    BIF_TABLE.push(e);
  }
  sealedCount = fixed.length;
}

export function lookupBif(module: string, name: string, arity: number): BifEntry | undefined {
  return BY_KEY.get(`${module}:${name}/${arity}`);
}

/**
 * An import that names a BIF beamjs does not implement: the module still
 * loads, and a call raises undef with the BIF as the top frame (as calling a
 * missing function does), so the gap shows where it is hit.
 */
export function missingBif(module: string, name: string, arity: number, raise: () => never): BifEntry {
  const key = `${module}:${name}/${arity}`;
  const known = BY_KEY.get(key);
  if (known !== undefined) return known;
  const entry: BifEntry = { key, module, name, arity, kind: 'bif', fn: () => raise(), index: BIF_TABLE.length };
  BIF_TABLE.push(entry);
  BY_KEY.set(key, entry);
  MISSING.add(key);
  return entry;
}

/** Keys of the BIFs that were imported but are not implemented (for diagnostics). */
export const MISSING = new Set<string>();

/**
 * A table entry for a native that one VM's host registers (vm/api.ts): not
 * found by lookupBif, so no loader and no other VM ever resolves to it; the
 * VM that made it points one export entry at it. Entries are never removed
 * (code holds their index); a host that goes away replaces `fn`'s behaviour.
 */
export function defineHostNative(module: string, name: string, arity: number, fn: BifFn): BifEntry {
  const entry: BifEntry = { key: `${module}:${name}/${arity}`, module, name, arity, kind: 'bif', fn, index: BIF_TABLE.length, hostOnly: true };
  BIF_TABLE.push(entry);
  return entry;
}
