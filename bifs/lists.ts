/**
 * The native functions of `lists`: in OTP's lists.beam these five are
 * `erlang:nif_error` stubs implemented in C (erl_bif_lists.c). Everything
 * else in lists.erl (reverse/1, keystore, sort, ...) is Erlang code and runs
 * as such.
 *
 * Semantics follow the real VM, including its quirks:
 *  - keyfind/keymember/keysearch take the position as a *small* integer of the
 *    64-bit VM (60 bits); a bigger one is badarg, 0 or negative too.
 *  - An integer key within that range matches an integer element of the same
 *    value or a float element equal to the key converted to a double (so
 *    2^53 + 1 finds 9007199254740992.0, as it does in erl); any other
 *    non-immediate key is compared with `==`; immediates by identity.
 *  - member/2 compares with `=:=`.
 *  - A list that turns out improper is badarg only if the walk reaches its
 *    end without a hit (lists:member(a, [a | b]) is true).
 */
import { defineBifs } from './registry.js';
import type { Process } from '../vm/process.js';
import { badarg } from '../vm/errors.js';
import { ATOM_FALSE, ATOM_TRUE } from '../vm/term/atoms.js';
import { equal, exactEqual } from '../vm/term/compare.js';
import type { TermContext } from '../vm/term/heap.js';
import type { Int } from '../vm/term/integers.js';
import { floatValue, intValue, isFloat, isInteger, mkTuple2 } from '../vm/term/make.js';
import {
  NIL,
  SUB_TUPLE,
  type Term,
  headerArity,
  headerSubtag,
  isBoxed,
  isImmediate,
  isList,
  makeList,
  ptrVal,
} from '../vm/term/tags.js';

/** The range of a small integer on the 64-bit BEAM, whose behaviour these BIFs follow. */
const SMALL64_MIN = -(2n ** 59n);
const SMALL64_MAX = 2n ** 59n - 1n;

/** The value of an integer term if the 64-bit VM would hold it as a small, else undefined. */
export function small64Value(ctx: TermContext, t: Term): Int | undefined {
  const v = intValue(ctx, t);
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  return v >= SMALL64_MIN && v <= SMALL64_MAX ? v : undefined;
}

/** Builds the predicate `keyfind` uses to compare its key with a tuple element. */
function keyMatcher(p: Process, key: Term): (element: Term) => boolean {
  if (isInteger(p, key)) {
    const k = small64Value(p, key);
    if (k !== undefined) {
      // The real VM's small-key loop: the same integer, or a float equal to (double)Key.
      const asDouble = Number(k);
      return (e) => {
        if (e === key) return true;
        if (isFloat(p, e)) return floatValue(p, e) === asDouble;
        if (isBoxed(e) && isInteger(p, e)) {
          const v = intValue(p, e)!;
          return typeof v === typeof k ? v === k : BigInt(v) === BigInt(k);
        }
        return false;
      };
    }
  }
  if (isImmediate(key)) return (e) => e === key;
  return (e) => equal(p, key, e);
}

/**
 * The common walk of keyfind/keymember/keysearch: the first tuple of `list`
 * whose element `pos` matches `key`, or undefined. Throws badarg for a bad
 * position or when the list ends improperly before a hit.
 */
function keyFind(p: Process, key: Term, posTerm: Term, list: Term): Term | undefined {
  const pos = small64Value(p, posTerm);
  if (pos === undefined || pos < 1) throw badarg();
  const matches = keyMatcher(p, key);
  const w = p.mem.i32;
  while (isList(list)) {
    const cell = ptrVal(list);
    const elem = w[cell]!;
    list = w[cell + 1]!;
    if (!isBoxed(elem)) continue;
    const hdr = w[ptrVal(elem)]!;
    if (headerSubtag(hdr) !== SUB_TUPLE || pos > headerArity(hdr)) continue;
    if (matches(w[ptrVal(elem) + Number(pos)]!)) return elem;
  }
  if (list !== NIL) throw badarg();
  return undefined;
}

function keyfind(p: Process, args: Term[]): Term {
  return keyFind(p, args[0]!, args[1]!, args[2]!) ?? ATOM_FALSE;
}

function keymember(p: Process, args: Term[]): Term {
  return keyFind(p, args[0]!, args[1]!, args[2]!) === undefined ? ATOM_FALSE : ATOM_TRUE;
}

function keysearch(p: Process, args: Term[]): Term {
  const found = keyFind(p, args[0]!, args[1]!, args[2]!);
  return found === undefined ? ATOM_FALSE : mkTuple2(p, p.atoms.intern('value'), found);
}

function member(p: Process, args: Term[]): Term {
  const elem = args[0]!;
  let list = args[1]!;
  if (list === NIL) return ATOM_FALSE;
  if (!isList(list)) throw badarg();
  const deep = !isImmediate(elem);
  const w = p.mem.i32;
  while (isList(list)) {
    const cell = ptrVal(list);
    const item = w[cell]!;
    if (item === elem || (deep && exactEqual(p, item, elem))) return ATOM_TRUE;
    list = w[cell + 1]!;
  }
  if (list !== NIL) throw badarg();
  return ATOM_FALSE;
}

/** lists:reverse(List, Tail): List must be proper; Tail can be anything. */
function reverse2(p: Process, args: Term[]): Term {
  let list = args[0]!;
  const tail = args[1]!;
  let n = 0;
  let w = p.mem.i32;
  for (let t = list; ; n++) {
    if (t === NIL) break;
    if (!isList(t)) throw badarg();
    t = w[ptrVal(t) + 1]!;
  }
  if (n === 0) return tail;
  const at = p.alloc(2 * n);
  w = p.mem.i32;
  let acc = tail;
  for (let i = 0; i < n; i++) {
    const cell = ptrVal(list);
    const dst = at + 2 * i;
    w[dst] = w[cell]!;
    w[dst + 1] = acc;
    acc = makeList(dst);
    list = w[cell + 1]!;
  }
  return acc;
}

defineBifs('lists', 'nif', {
  'keyfind/3': keyfind,
  'keymember/3': keymember,
  'keysearch/3': keysearch,
  'member/2': member,
  'reverse/2': reverse2,
});
