/**
 * The map instructions (cold handlers, vm/interp_extra.ts): get_map_elements,
 * has_map_fields, put_map_assoc, put_map_exact. The maps themselves are
 * vm/term/maps.ts.
 */
import { colds } from './interp_extra.js';
import { readSource, writeDest } from './interp_cold.js';
import { mapGet, mapPutAssoc, mapPutExact, firstMissingKey, isMapTerm } from './term/maps.js';
import { mkTuple2 } from './term/make.js';
import { erlError } from './errors.js';
import { commonAtom } from './term/atoms.js';
import { THE_NON_VALUE } from './term/tags.js';

const ATOM_BADMAP = commonAtom('badmap');
const ATOM_BADKEY = commonAtom('badkey');

// get_map_elements Fail Src [Key Dst ...]
colds[158] = (vm, p, regs, m, pc) => {
  const x = regs.x;
  const map = readSource(p, x, m, m[pc + 2]!);
  const n = m[pc + 3]!;
  if (!isMapTerm(vm, map)) return m[pc + 1]!;
  // All lookups first: a destination may be a key's register.
  const found: number[] = [];
  for (let i = 0; i < n; i += 2) {
    const v = mapGet(vm, map, readSource(p, x, m, m[pc + 4 + i]!));
    if (v === undefined) return m[pc + 1]!;
    found.push(v);
  }
  for (let i = 0; i < n; i += 2) writeDest(p, x, vm.mem.i32, m[pc + 5 + i]!, found[i / 2]!);
  return pc + 4 + n;
};

// has_map_fields Fail Src [Key ...]
colds[157] = (vm, p, regs, m, pc) => {
  const x = regs.x;
  const map = readSource(p, x, m, m[pc + 2]!);
  const n = m[pc + 3]!;
  for (let i = 0; i < n; i++) if (mapGet(vm, map, readSource(p, x, m, m[pc + 4 + i]!)) === undefined) return m[pc + 1]!;
  return pc + 4 + n;
};

// put_map_assoc / put_map_exact Fail Src Dst Live [Key Value ...]
function putMap(exact: boolean) {
  return (vm: Parameters<NonNullable<(typeof colds)[0]>>[0], p: Parameters<NonNullable<(typeof colds)[0]>>[1], regs: Parameters<NonNullable<(typeof colds)[0]>>[2], m: Int32Array, pc: number): number => {
    const x = regs.x;
    const map = readSource(p, x, m, m[pc + 2]!);
    const n = m[pc + 5]!;
    const keys: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < n; i += 2) {
      keys.push(readSource(p, x, m, m[pc + 6 + i]!));
      values.push(readSource(p, x, m, m[pc + 7 + i]!));
    }
    const next = pc + 6 + n;
    if (!isMapTerm(vm, map)) {
      if (m[pc + 1] !== 0) return m[pc + 1]!;
      throw erlError(mkTuple2(p, ATOM_BADMAP, map));
    }
    let r: number;
    if (exact) {
      r = mapPutExact(p, map, keys, values);
      if (r === THE_NON_VALUE) {
        if (m[pc + 1] !== 0) return m[pc + 1]!;
        throw erlError(mkTuple2(p, ATOM_BADKEY, firstMissingKey(vm, map, keys)!));
      }
    } else r = mapPutAssoc(p, map, keys, values);
    writeDest(p, x, vm.mem.i32, m[pc + 3]!, r);
    return next;
  };
}
colds[154] = putMap(false);
colds[155] = putMap(true);
