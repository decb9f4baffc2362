/**
 * The map BIFs: the `maps` functions whose maps.beam body is an
 * erlang:nif_error stub (OTP 25 implements them in C: get/2, find/2,
 * from_list/1, from_keys/2, is_key/2, keys/1, merge/2, put/3, remove/2,
 * take/2, update/3, values/1), the map guard BIFs of `erlang`, and
 * erts_internal:map_next/3, behind maps:next/1 and maps:to_list/1.
 *
 * maps:to_list/1, maps:size/1, maps:iterator/1 and maps:next/1 are Erlang
 * code in OTP 25's maps.beam (their errors carry maps.erl's file and line),
 * so they are not here: the VM runs them.
 *
 * Errors are the real VM's: {badmap, M} for a non-map, {badkey, K} for a
 * missing key, badarg for a bad list. (The error_info the real VM adds,
 * #{module => erl_stdlib_errors} for `maps` and erl_erts_errors for
 * `erlang` and `erts_internal`, comes from the module of the BIF.)
 */
import { badarg, erlError } from '../vm/errors.js';
import type { Process } from '../vm/process.js';
import { ATOM_ERROR, ATOM_FALSE, ATOM_OK, ATOM_TRUE, commonAtom } from '../vm/term/atoms.js';
import { mkInt, mkTuple2 } from '../vm/term/make.js';
import {
  MAP_NEXT_BUDGET,
  isMapTerm,
  mapFromKeys,
  mapFromList,
  mapGet,
  mapKeys,
  mapMerge,
  mapNext,
  mapPut,
  mapSize,
  mapTake,
  mapRemove,
  mapUpdate,
  mapValues,
} from '../vm/term/maps.js';
import { THE_NON_VALUE, type Term } from '../vm/term/tags.js';
import { defineBifs } from './registry.js';

const BADMAP = commonAtom('badmap');
const BADKEY = commonAtom('badkey');

const badmap = (p: Process, t: Term) => erlError(mkTuple2(p, BADMAP, t));
const badkey = (p: Process, k: Term) => erlError(mkTuple2(p, BADKEY, k));

/** The map argument, or {badmap, M}. */
function mapArg(p: Process, t: Term): Term {
  if (!isMapTerm(p, t)) throw badmap(p, t);
  return t;
}

defineBifs('maps', 'bif', {
  'get/2': (p, args) => {
    const key = args[0]!;
    const v = mapGet(p, mapArg(p, args[1]!), key);
    if (v === undefined) throw badkey(p, key);
    return v;
  },
  'find/2': (p, args) => {
    const v = mapGet(p, mapArg(p, args[1]!), args[0]!);
    return v === undefined ? ATOM_ERROR : mkTuple2(p, ATOM_OK, v);
  },
  'is_key/2': (p, args) => (mapGet(p, mapArg(p, args[1]!), args[0]!) === undefined ? ATOM_FALSE : ATOM_TRUE),
  'put/3': (p, args) => mapPut(p, mapArg(p, args[2]!), args[0]!, args[1]!),
  'update/3': (p, args) => {
    const key = args[0]!;
    const m = mapUpdate(p, mapArg(p, args[2]!), key, args[1]!);
    if (m === undefined) throw badkey(p, key);
    return m;
  },
  'remove/2': (p, args) => mapRemove(p, mapArg(p, args[1]!), args[0]!),
  'take/2': (p, args) => {
    const r = mapTake(p, mapArg(p, args[1]!), args[0]!);
    return r === undefined ? ATOM_ERROR : mkTuple2(p, r.value, r.map);
  },
  'merge/2': (p, args) => {
    const a = mapArg(p, args[0]!);
    return mapMerge(p, a, mapArg(p, args[1]!));
  },
  'keys/1': (p, args) => mapKeys(p, mapArg(p, args[0]!)),
  'values/1': (p, args) => mapValues(p, mapArg(p, args[0]!)),
  'from_list/1': (p, args) => {
    const m = mapFromList(p, args[0]!);
    if (m === undefined) throw badarg();
    return m;
  },
  'from_keys/2': (p, args) => {
    const m = mapFromKeys(p, args[0]!, args[1]!);
    if (m === undefined) throw badarg();
    return m;
  },
});

defineBifs('erlang', 'guard', {
  'is_map/1': (p, args) => (isMapTerm(p, args[0]!) ? ATOM_TRUE : ATOM_FALSE),
  'is_map_key/2': (p, args) => (mapGet(p, mapArg(p, args[1]!), args[0]!) === undefined ? ATOM_FALSE : ATOM_TRUE),
  'map_get/2': (p, args) => {
    const key = args[0]!;
    const v = mapGet(p, mapArg(p, args[1]!), key);
    if (v === undefined) throw badkey(p, key);
    return v;
  },
});

defineBifs('erlang', 'gc', {
  'map_size/1': (p, args) => mkInt(p, mapSize(p, mapArg(p, args[0]!))),
});

defineBifs('erts_internal', 'bif', {
  // Provisional: OTP sizes each chunk by the caller's reductions left (/ 4); we take a full slice's.
  'map_next/3': (p, args) => {
    const r = mapNext(p, args[0]!, args[1]!, args[2]!, MAP_NEXT_BUDGET);
    if (r === THE_NON_VALUE) throw badarg();
    return r;
  },
});
