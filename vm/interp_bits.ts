/**
 * The bit-syntax instructions (cold handlers, vm/interp_extra.ts) over the
 * engine in vm/term/bits_match.ts and vm/term/bits_build.ts: matching
 * (bs_start_match3/4, bs_get_*, bs_skip_*, bs_test_*, bs_match_string,
 * positions, tails) and construction (OTP 25's bs_create_bin and the older
 * bs_init2 / bs_put_* / bs_append family that Elixir 1.14's modules use).
 * Operand layouts are the generic ones (vm/code/ops.ts), except
 * bs_create_bin and bs_start_match4 (vm/code/transform.ts).
 */
import { colds } from './interp_extra.js';
import { readSource as src, writeDest as dst } from './interp_cold.js';
import * as M from './term/bits_match.js';
import { BitWriter, bsAdd, createBin, utf8Size, utf16Size } from './term/bits_build.js';
import { badarg } from './errors.js';
import { isAtom, type Term } from './term/tags.js';
import type { VM } from './vm.js';
import type { Process } from './process.js';

const writer = new BitWriter();
const ATOM_ALL_NAME = 'all';

/** A size operand in bits: ALL for the atom `all`, -1 when invalid. */
function sizeOf(vm: Parameters<NonNullable<(typeof colds)[0]>>[0], size: Term, unit: number): number {
  if (isAtom(size)) return vm.atoms.name(size) === ATOM_ALL_NAME ? M.ALL : -1;
  return M.fieldBits(vm, size, unit);
}

// bs_start_match3 Fail Src Live Dst
colds[166] = (vm, p, { x }, m, pc) => {
  const ms = M.startMatch(p, src(p, x, m, m[pc + 2]!));
  if (ms === undefined) return m[pc + 1]!;
  dst(p, x, vm.mem.i32, m[pc + 4]!, ms);
  return pc + 5;
};
// bs_start_match4 Fail(0: no_fail/resume) Live Src Dst
colds[170] = (vm, p, { x }, m, pc) => {
  const ms = M.startMatch(p, src(p, x, m, m[pc + 3]!));
  if (ms === undefined) {
    if (m[pc + 1] === 0) throw badarg();
    return m[pc + 1]!;
  }
  dst(p, x, vm.mem.i32, m[pc + 4]!, ms);
  return pc + 5;
};
// bs_get_integer2 / bs_get_float2 / bs_get_binary2: Fail Ms Live Size Unit Flags Dst
for (const op of [117, 118, 119]) {
  colds[op] = (vm, p, { x }, m, pc) => {
    const ms = src(p, x, m, m[pc + 2]!);
    const bits = sizeOf(vm, src(p, x, m, m[pc + 4]!), m[pc + 5]!);
    if (bits === -1 || (bits === M.ALL && op !== 119)) return m[pc + 1]!;
    const flags = m[pc + 6]!;
    const r =
      op === 117 ? M.getInteger(p, ms, bits, flags) : op === 118 ? M.getFloat(p, ms, bits, flags) : M.getBinary(p, ms, bits, bits === M.ALL ? m[pc + 5]! : 1);
    if (r === undefined) return m[pc + 1]!;
    dst(p, x, vm.mem.i32, m[pc + 7]!, r);
    return pc + 8;
  };
}
// bs_skip_bits2 Fail Ms Size Unit Flags
colds[120] = (vm, p, { x }, m, pc) => {
  const ms = src(p, x, m, m[pc + 2]!);
  const bits = sizeOf(vm, src(p, x, m, m[pc + 3]!), m[pc + 4]!);
  if (bits === -1) return m[pc + 1]!;
  const ok = bits === M.ALL ? M.skipBits(vm, ms, M.ALL, m[pc + 4]!) : M.skipBits(vm, ms, bits, 1);
  return ok ? pc + 6 : m[pc + 1]!;
};
// bs_test_tail2 Fail Ms Bits
colds[121] = (vm, p, { x }, m, pc) => (M.testTail(vm, src(p, x, m, m[pc + 2]!), m[pc + 3]!) ? pc + 4 : m[pc + 1]!);
// bs_test_unit Fail Ms Unit
colds[131] = (vm, p, { x }, m, pc) => (M.testUnit(vm, src(p, x, m, m[pc + 2]!), m[pc + 3]!) ? pc + 4 : m[pc + 1]!);
// bs_match_string Fail Ms Bits StringAddr
colds[132] = (vm, p, { x }, m, pc) => {
  const bits = m[pc + 3]!;
  const at = m[pc + 4]!;
  const bytes = vm.mem.u8.subarray(at, at + Math.ceil(bits / 8));
  return M.matchString(vm, src(p, x, m, m[pc + 2]!), bytes, bits) ? pc + 5 : m[pc + 1]!;
};
// bs_get_utf8/16/32 Fail Ms Live Flags Dst
for (const [op, get] of [
  [138, (vm: never, ms: Term) => M.getUtf8(vm, ms)],
  [140, (vm: never, ms: Term, f: number) => M.getUtf16(vm, ms, f)],
  [142, (vm: never, ms: Term, f: number) => M.getUtf32(vm, ms, f)],
] as const) {
  colds[op] = (vm, p, { x }, m, pc) => {
    const r = get(vm as never, src(p, x, m, m[pc + 2]!), m[pc + 4]!);
    if (r === undefined) return m[pc + 1]!;
    dst(p, x, vm.mem.i32, m[pc + 5]!, r);
    return pc + 6;
  };
}
// bs_skip_utf8/16/32 Fail Ms Live Flags
colds[139] = (vm, p, { x }, m, pc) => (M.skipUtf8(vm, src(p, x, m, m[pc + 2]!)) ? pc + 5 : m[pc + 1]!);
colds[141] = (vm, p, { x }, m, pc) => (M.skipUtf16(vm, src(p, x, m, m[pc + 2]!), m[pc + 4]!) ? pc + 5 : m[pc + 1]!);
colds[143] = (vm, p, { x }, m, pc) => (M.skipUtf32(vm, src(p, x, m, m[pc + 2]!), m[pc + 4]!) ? pc + 5 : m[pc + 1]!);
// bs_get_tail Ms Dst Live
colds[165] = (vm, p, { x }, m, pc) => {
  dst(p, x, vm.mem.i32, m[pc + 2]!, M.getTail(p, src(p, x, m, m[pc + 1]!)));
  return pc + 4;
};
// bs_get_position Ms Dst Live
colds[167] = (vm, p, { x }, m, pc) => {
  dst(p, x, vm.mem.i32, m[pc + 2]!, M.getPosition(p, src(p, x, m, m[pc + 1]!)));
  return pc + 4;
};
// bs_set_position Ms Pos
colds[168] = (vm, p, { x }, m, pc) => {
  M.setPosition(vm, src(p, x, m, m[pc + 1]!), src(p, x, m, m[pc + 2]!));
  return pc + 3;
};
// bs_context_to_binary Reg
colds[130] = (vm, p, { x }, m, pc) => {
  dst(p, x, vm.mem.i32, m[pc + 1]!, M.contextToBinary(p, src(p, x, m, m[pc + 1]!)));
  return pc + 2;
};

// ---- construction

// bs_create_bin Fail SpecIndex Dst Alloc Live N [Value Size ...] (vm/code/transform.ts)
const values: Term[] = [];
const sizes: Term[] = [];
colds[177] = (vm, p, { x }, m, pc) => {
  // Alloc: heap words the code after this instruction uses without a test_heap of its own.
  reserveHeap(vm, p, x, m[pc + 4]!, m[pc + 5]!);
  m = vm.mem.i32;
  const spec = vm.binSpecs.get(m[pc + 2]!);
  const n = m[pc + 6]!;
  for (let i = 0; i < n; i++) {
    values[i] = src(p, x, m, m[pc + 7 + 2 * i]!);
    sizes[i] = src(p, x, m, m[pc + 8 + 2 * i]!);
  }
  let r: Term;
  if (m[pc + 1] !== 0) {
    try {
      r = createBin(p, spec, values, sizes);
    } catch {
      return m[pc + 1]!;
    }
  } else r = createBin(p, spec, values, sizes);
  dst(p, x, vm.mem.i32, m[pc + 3]!, r);
  return pc + 7 + 2 * n;
};

/**
 * Heap words a binary under construction may take on the process heap: a
 * heap binary of up to 64 bytes and a sub-binary over it (bigger ones live
 * off-heap behind a ProcBin).
 */
const BINARY_HEAP_WORDS = 2 + 16 + 6;

/**
 * Makes room for `extra` heap words after a construction instruction plus
 * the binary itself, collecting with `live` x registers when needed (the
 * real VM does this inside bs_create_bin, bs_init2, bs_init_bits and bs_append).
 */
function reserveHeap(vm: VM, p: Process, x: Int32Array, extra: number, live: number): void {
  const need = extra + BINARY_HEAP_WORDS;
  if (p.stackTop - p.heap.top < need || p.fragmentWords > 0 || p.binVheap > p.binVheapLimit || vm.gcStress) vm.collect(p, x, live, need);
}

// bs_init2 Fail Size Extra Live Flags Dst / bs_init_bits
colds[109] = (vm, p, { x }, m, pc) => {
  reserveHeap(vm, p, x, m[pc + 3]!, m[pc + 4]!);
  m = vm.mem.i32;
  dst(p, x, vm.mem.i32, m[pc + 6]!, writer.initBytes(p, src(p, x, m, m[pc + 2]!)));
  return pc + 7;
};
colds[137] = (vm, p, { x }, m, pc) => {
  reserveHeap(vm, p, x, m[pc + 3]!, m[pc + 4]!);
  m = vm.mem.i32;
  dst(p, x, vm.mem.i32, m[pc + 6]!, writer.initBits(p, src(p, x, m, m[pc + 2]!)));
  return pc + 7;
};
// bs_append Fail Size Extra Live Unit Bin Flags Dst
colds[134] = (vm, p, { x }, m, pc) => {
  reserveHeap(vm, p, x, m[pc + 3]!, m[pc + 4]!);
  m = vm.mem.i32;
  dst(p, x, vm.mem.i32, m[pc + 8]!, writer.append(p, src(p, x, m, m[pc + 2]!), m[pc + 5]!, src(p, x, m, m[pc + 6]!)));
  return pc + 9;
};
// bs_private_append Fail Size Unit Bin Flags Dst
colds[135] = (vm, p, { x }, m, pc) => {
  dst(p, x, vm.mem.i32, m[pc + 6]!, writer.append(p, src(p, x, m, m[pc + 2]!), m[pc + 3]!, src(p, x, m, m[pc + 4]!)));
  return pc + 7;
};
// bs_init_writable: x0 = a writable binary of x0 bytes
colds[133] = (_vm, p, { x }, _m, pc) => {
  x[0] = writer.initWritable(p, x[0]!);
  return pc + 1;
};
// bs_add Fail Src1 Src2 Unit Dst
colds[111] = (vm, p, { x }, m, pc) => {
  dst(p, x, vm.mem.i32, m[pc + 5]!, bsAdd(p, src(p, x, m, m[pc + 2]!), src(p, x, m, m[pc + 3]!), m[pc + 4]!));
  return pc + 6;
};
// bs_put_integer / bs_put_binary / bs_put_float: Fail Size Unit Flags Src
for (const op of [89, 90, 91]) {
  colds[op] = (vm, p, { x }, m, pc) => {
    const bits = sizeOf(vm, src(p, x, m, m[pc + 2]!), m[pc + 3]!);
    if (bits === -1 || (bits === M.ALL && op !== 90)) throw badarg();
    const v = src(p, x, m, m[pc + 5]!);
    const flags = m[pc + 4]!;
    if (op === 89) writer.putInteger(p, v, bits, flags);
    else if (op === 91) writer.putFloat(p, v, bits, flags);
    else writer.putBinary(p, v, bits, bits === M.ALL ? m[pc + 3]! : 1);
    return pc + 6;
  };
}
// bs_put_string Length StringAddr
colds[92] = (vm, _p, _r, m, pc) => {
  const at = m[pc + 2]!;
  writer.putString(vm, vm.mem.u8.slice(at, at + m[pc + 1]!));
  return pc + 3;
};
// bs_put_utf8 Fail Flags Src / utf16 / utf32
colds[145] = (vm, p, { x }, m, pc) => {
  writer.putUtf8(vm, src(p, x, m, m[pc + 3]!));
  return pc + 4;
};
colds[147] = (vm, p, { x }, m, pc) => {
  writer.putUtf16(vm, src(p, x, m, m[pc + 3]!), m[pc + 2]!);
  return pc + 4;
};
colds[148] = (vm, p, { x }, m, pc) => {
  writer.putUtf32(vm, src(p, x, m, m[pc + 3]!), m[pc + 2]!);
  return pc + 4;
};
// bs_utf8_size / bs_utf16_size Fail Src Dst
colds[144] = (vm, p, { x }, m, pc) => {
  dst(p, x, vm.mem.i32, m[pc + 3]!, utf8Size(src(p, x, m, m[pc + 2]!)));
  return pc + 4;
};
colds[146] = (vm, p, { x }, m, pc) => {
  dst(p, x, vm.mem.i32, m[pc + 3]!, utf16Size(src(p, x, m, m[pc + 2]!)));
  return pc + 4;
};
// nif_start: a marker, nothing to do
colds[179] = (_vm, _p, _r, _m, pc) => pc + 1;
