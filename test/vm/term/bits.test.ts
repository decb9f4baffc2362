/**
 * The bit syntax engine (vm/term/bits.ts) against the real erl.
 *
 * Construction: the test generates an Erlang module of functions, each one
 * binary construction `<<V1:S1/..., V2/..., "ab", ...>>` over its arguments,
 * and a table of argument lists for them (random values and sizes, some of
 * the wrong type or size). erl compiles it twice: to a .beam, to run every
 * case (printing term_to_binary of the result or of the exception, its
 * error_info included), and to assembly, whose bs_create_bin segment lists
 * become our BinSpecs — so createBin is driven exactly as the interpreter
 * will drive it. Every case must give erl's bytes or erl's exception; the
 * successful ones are built once more through the old-instruction BitWriter.
 *
 * Matching: functions `case Bin of <<X1:S1/..., "ab", _:S2, X3/utf8, Rest/bits>>
 * -> {X1, X3, Rest}; _ -> nomatch end` over bitstrings made to fit (or
 * almost fit) the pattern, started at an unaligned bit offset, some over
 * refc binaries. The test runs the same pattern segment by segment with
 * startMatch, getInteger, getFloat, getBinary, matchString, getUtf8/16/32,
 * skipUtf*, skipBits, testUnit, testTail, getTail and must get erl's tuple
 * or nomatch.
 *
 * Then targeted tables, all computed by erl in the same run: floats to
 * 16/32/64 bits (rounding ties, overflow, bignum conversion), every half
 * float pattern read back, unicode encodings valid and invalid, appends
 * that must not disturb each other (the in-place buffer) and their speed,
 * binary comprehensions (bs_init_writable + private_append), positions, and
 * code compiled with +r22 (bs_add, bs_utf8/16_size, bs_init_bits, bs_put_*).
 * Everything runs in one erl (bits_ref:main below) to keep the file fast.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { erlEval } from '../../support/erl.js';
import { Memory } from '../../../vm/memory.js';
import { ErlangException } from '../../../vm/errors.js';
import { Process } from '../../../vm/process.js';
import { AtomTable, commonAtom } from '../../../vm/term/atoms.js';
import { binaryBytes } from '../../../vm/term/build.js';
import { binaryToTerm, termToBinary } from '../../../vm/term/etf.js';
import { bitSize, listToArray, mkBinary, mkList, mkTuple, tupleElement } from '../../../vm/term/make.js';
import { NIL, makeLocalPid, makeSmall, smallVal, type Term } from '../../../vm/term/tags.js';
import * as B from '../../../vm/term/bits.js';

// ---------------------------------------------------------------- harness

const mem = Memory.create();
const atoms = AtomTable.format(mem);
let proc = new Process(mem, atoms, makeLocalPid(1, 0), 1 << 18);
let used = 0;
/** A process with room; replaced now and then so the heap never fills with old cases. */
function p(): Process {
  if (++used > 300) {
    proc.release();
    proc = new Process(mem, atoms, makeLocalPid(1, 0), 1 << 18);
    used = 0;
  }
  return proc;
}

const hexToBytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const term = (pr: Process, hex: string): Term => {
  const bytes = hexToBytes(hex);
  return binaryToTerm(pr, pr.heapFor(bytes.length * 4 + 64), bytes);
};
const hexOf = (pr: Process, t: Term): string => toHex(termToBinary(pr, t));
const OK = commonAtom('ok');
const ERROR = commonAtom('error');

/** {ok, R} or {error, Class, Reason, Info} (Info: the error_info extras, or none), as the Erlang side prints it. */
function outcome(pr: Process, f: () => Term): string {
  try {
    return hexOf(pr, mkTuple(pr, [OK, f()]));
  } catch (e) {
    if (!(e instanceof ErlangException)) throw e;
    return hexOf(pr, mkTuple(pr, [ERROR, e.cls, e.reason, e.cause ?? atoms.intern('none')]));
  }
}

/** mulberry32: a small seeded generator, so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const R = rng(20250611);
const rint = (n: number): number => Math.floor(R() * n);
const pick = <T>(xs: readonly T[]): T => xs[rint(xs.length)]!;
function randBig(bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 30) v = (v << 30n) | BigInt(rint(1 << 30));
  return bits === 0 ? 0n : v & ((1n << BigInt(bits)) - 1n);
}

/** A bitstring under construction (test data), most significant bit first. */
class BitBuf {
  bytes: number[] = [];
  bits = 0;
  push(v: bigint, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.pushBit(Number((v >> BigInt(i)) & 1n));
    return this;
  }
  pushBit(b: number): void {
    if ((this.bits & 7) === 0) this.bytes.push(0);
    if (b) this.bytes[this.bytes.length - 1]! |= 0x80 >> (this.bits & 7);
    this.bits++;
  }
  pushBytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.push(BigInt(bs[i]!), 8);
    return this;
  }
  randomBits(n: number): this {
    for (let i = 0; i < n; i++) this.pushBit(rint(2));
    return this;
  }
  truncate(n: number): this {
    this.bits = Math.min(this.bits, n);
    this.bytes.length = (this.bits + 7) >> 3;
    if (this.bits & 7) this.bytes[this.bytes.length - 1]! &= (0xff00 >> (this.bits & 7)) & 0xff;
    return this;
  }
  /** As an Erlang bitstring literal. */
  erl(): string {
    const whole = this.bits >> 3;
    const items = this.bytes.slice(0, whole).map(String);
    const rest = this.bits & 7;
    if (rest) items.push(`${this.bytes[whole]! >> (8 - rest)}:${rest}`);
    return `<<${items.join(',')}>>`;
  }
}

/** An Erlang float literal that reads back as exactly x. */
function erlFloat(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  let s = x.toString();
  if (!/[.e]/.test(s)) s += '.0';
  else if (/e/.test(s) && !/\./.test(s.split('e')[0]!)) s = s.replace('e', '.0e');
  return s;
}

/**
 * The Erlang side: compiles each test module to a .beam and to assembly,
 * prints every bs_create_bin segment list of the assembly ("S Mod Fn seg..."),
 * then runs the module's cases (file Mod.cases: {Function, Args}. terms)
 * printing "R Mod Fn ArgsHex ResultHex" with term_to_binary of the args and
 * of {ok, Result} or {error, Class, Reason, ErrorInfoWithoutModule | none}.
 */
const BITS_REF = String.raw`
-module(bits_ref).
-export([main/2]).
main(Dir, Mods) ->
    [begin
         Src = filename:join(Dir, atom_to_list(M)),
         {ok, M} = compile:file(Src, [{outdir, Dir}, report_errors | Opts]),
         {ok, M} = compile:file(Src, ['S', {outdir, Dir}, report_errors | Opts]),
         {module, M} = code:load_abs(Src),
         {ok, Forms} = file:consult(Src ++ ".S"),
         specs(M, Forms, none),
         {ok, Cases} = file:consult(Src ++ ".cases"),
         run(M, Cases)
     end || {M, Opts} <- Mods],
    ok.
specs(M, [{function, Name, _, _} | T], _) -> specs(M, T, Name);
specs(M, [{bs_create_bin, _, _, _, _, _, {list, Ops}} | T], F) ->
    io:format("S ~s ~s ~s~n", [M, F, segs(Ops)]), specs(M, T, F);
specs(M, [_ | T], F) -> specs(M, T, F);
specs(_, [], _) -> ok.
segs([{atom, Type}, Seg, Unit, Flags, Val, Size | T]) ->
    [io_lib:format("~s:~w:~w:~s:~s:~s ", [Type, Seg, Unit, flags(Flags), ref(Val), ref(Size)]) | segs(T)];
segs([]) -> [].
flags(nil) -> "";
flags({literal, L}) -> lists:join("+", [atom_to_list(A) || A <- L]).
ref({x, N}) -> "x" ++ integer_to_list(N);
ref({atom, all}) -> "all";
ref({atom, undefined}) -> "undefined";
ref({string, B}) -> "S" ++ hex(B);
ref(Lit) -> "L" ++ hex(term_to_binary(lit(Lit))).
lit({integer, N}) -> N;
lit({atom, A}) -> A;
lit({float, F}) -> F;
lit({literal, T}) -> T;
lit(nil) -> [].
hex(B) -> binary_to_list(binary:encode_hex(B)).
run(Mod, Cases) ->
    [begin
         R = try apply(Mod, F, Args) of V -> {ok, V} catch C:E:St -> {error, C, E, info(St)} end,
         io:format("R ~s ~s ~s ~s~n", [Mod, F, hex(term_to_binary(Args)), hex(term_to_binary(R))])
     end || {F, Args} <- Cases],
    ok.
info([{_, _, _, I} | _]) ->
    case proplists:get_value(error_info, I) of
        undefined -> none;
        M -> maps:remove(module, M)
    end;
info(_) -> none.
`;

interface SegRef {
  type: string;
  seg: number;
  unit: number;
  flags: string[];
  val: string;
  size: string;
}
interface ErlRun {
  specs: Map<string, SegRef[]>;
  results: Array<{ fn: string; args: string; result: string }>;
}
interface ErlModule {
  name: string;
  /** The functions (the module header is added). */
  functions: string[];
  /** Calls as Erlang text: `{Function, [Arg, ...]}`. */
  cases: string[];
  /** Compiler options (Erlang terms), e.g. `r22` for the instructions before bs_create_bin. */
  options?: string[];
}

/** Compiles and runs all the modules in one erl; the specs and results of each. */
function runErl(mods: ErlModule[]): Map<string, ErlRun> {
  const dir = mkdtempSync(join(tmpdir(), 'beamjs-bits-'));
  writeFileSync(join(dir, 'bits_ref.erl'), BITS_REF);
  for (const m of mods) {
    writeFileSync(join(dir, `${m.name}.erl`), `-module(${m.name}).\n-compile([export_all, nowarn_export_all]).\n${m.functions.join('\n')}\n`);
    writeFileSync(join(dir, `${m.name}.cases`), m.cases.map((c) => `${c}.\n`).join(''));
  }
  execFileSync('erlc', ['-o', dir, join(dir, 'bits_ref.erl')]);
  const out = erlEval(`bits_ref:main("${dir}", [${mods.map((m) => `{${m.name}, [${(m.options ?? []).join(',')}]}`).join(',')}]), halt().`, { args: ['-pa', dir] });
  rmSync(dir, { recursive: true, force: true });
  const runs = new Map<string, ErlRun>(mods.map((m) => [m.name, { specs: new Map(), results: [] }]));
  for (const line of out.split('\n')) {
    if (line.startsWith('S ')) {
      const [, mod, fn, ...segs] = line.trim().split(' ');
      runs.get(mod!)!.specs.set(
        fn!,
        segs.map((s) => {
          const [type, seg, unit, flags, val, size] = s.split(':');
          return { type: type!, seg: Number(seg), unit: Number(unit), flags: flags ? flags.split('+') : [], val: val!, size: size! };
        }),
      );
    } else if (line.startsWith('R ')) {
      const [, mod, fn, args, result] = line.split(' ');
      runs.get(mod!)!.results.push({ fn: fn!, args: args!, result: result! });
    }
  }
  return runs;
}

/** The BinSpec of an assembly segment list, and the values/sizes of one call. */
function specOf(refs: SegRef[]): B.BinSpec {
  return new B.BinSpec(
    refs.map((r) => ({
      type: r.type as B.SegTypeName,
      segIndex: r.seg,
      unit: r.unit,
      flags: B.flagsFromNames(r.flags),
      sizeAll: r.size === 'all',
      string: r.val.startsWith('S') ? hexToBytes(r.val.slice(1)) : undefined,
    })),
  );
}
function operand(pr: Process, ref: string, args: Term[]): Term {
  if (ref.startsWith('x')) return args[Number(ref.slice(1))]!;
  if (ref.startsWith('L')) return term(pr, ref.slice(1));
  return makeSmall(0); // all / undefined / a string's bytes: not read
}

// ---------------------------------------------------------------- construction cases

interface CSeg {
  kind: 'int' | 'float' | 'bin' | 'utf' | 'str' | 'lit';
  text: (i: number) => string;
  value?: () => string;
  size?: () => string;
}

const ENDIAN = ['big', 'little', 'native'] as const;

function intValue(): string {
  const r = R();
  if (r < 0.03) return 'a';
  if (r < 0.05) return '1.5';
  const v = randBig(rint(140));
  return String(R() < 0.4 ? -v : v);
}
function floatValue(): string {
  const r = R();
  if (r < 0.03) return 'a';
  if (r < 0.06) return pick(['0', '1', '-7', '123456789', String(1n << 1100n), String(-(1n << 1050n)), String((1n << 1023n) * 3n)]);
  if (r < 0.1) return String(randBig(rint(1100)));
  if (r < 0.4)
    return erlFloat(
      pick([0, -0, 1, -1.5, 65504, 65519, 65520, 65536, 1e300, -1e300, 1e-300, 5e-324, 3.4028235e38, 3.4028236e38, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 1 / 3, 0.1, 6.103515625e-5, 6.1e-5, 2 ** 128, 1.7976931348623157e308]),
    );
  // A random double from random bits (finite).
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  do {
    u[0] = rint(2 ** 32);
    u[1] = rint(2 ** 32);
  } while (!Number.isFinite(f[0]!));
  return erlFloat(R() < 0.5 ? f[0]! : f[0]! * 2 ** -1000 * 2 ** rint(1000));
}
function bitsValue(maxBits = 100): string {
  if (R() < 0.03) return 'a';
  const bb = new BitBuf();
  const n = R() < 0.1 ? 8 * (65 + rint(120)) + rint(8) : rint(maxBits);
  return bb.randomBits(n).erl();
}
function codePoint(): string {
  const r = R();
  if (r < 0.03) return 'a';
  if (r < 0.06) return pick(['-1', '55296', '57343', '56320', '1114112', '1114111', String(1n << 70n), '2147483648']);
  if (r < 0.3) return String(rint(0x80));
  if (r < 0.5) return String(0x80 + rint(0x800 - 0x80));
  if (r < 0.8) return String(pick([rint(0xd800), 0xe000 + rint(0x2000)]));
  return String(0x10000 + rint(0x100000));
}
function sizeFor(max: number): string {
  const r = R();
  if (r < 0.02) return '-1';
  if (r < 0.04) return 'a';
  if (r < 0.05) return String(1n << 60n);
  return String(rint(max + 1));
}

function randomCSeg(): CSeg {
  switch (rint(7)) {
    case 0:
    case 1: {
      const unit = R() < 0.7 ? 1 : 1 + rint(8);
      const lit = R() < 0.3 ? 1 + rint(70) : undefined;
      const spec = `integer-${pick(ENDIAN)}-${pick(['signed', 'unsigned'])}-unit:${unit}`;
      return {
        kind: 'int',
        text: (i) => `V${i}:${lit ?? `S${i}`}/${spec}`,
        value: intValue,
        size: lit === undefined ? () => sizeFor(Math.floor(130 / unit)) : undefined,
      };
    }
    case 2: {
      const lit = R() < 0.5 ? pick([16, 32, 64]) : undefined;
      const endian = pick(ENDIAN);
      return {
        kind: 'float',
        text: (i) => `V${i}:${lit ?? `S${i}`}/float-${endian}`,
        value: floatValue,
        size: lit === undefined ? () => (R() < 0.85 ? String(pick([16, 32, 64])) : pick(['0', '8', '24', '-1', 'a', '128'])) : undefined,
      };
    }
    case 3: {
      const all = R() < 0.5;
      const unit = pick([1, 8, 8, 1, 2, 3, 4]);
      const spec = unit === 1 ? 'bits' : unit === 8 ? 'binary' : `binary-unit:${unit}`;
      return {
        kind: 'bin',
        text: (i) => (all ? `V${i}/${spec}` : `V${i}:S${i}/${spec}`),
        value: () => bitsValue(),
        size: all ? undefined : () => sizeFor(Math.floor(110 / unit)),
      };
    }
    case 4: {
      const n = pick([8, 16, 32]);
      const suffix = n === 8 ? '' : `-${pick(ENDIAN)}`;
      return { kind: 'utf', text: (i) => `V${i}/utf${n}${suffix}`, value: codePoint };
    }
    case 5: {
      const s = Array.from({ length: 1 + rint(4) }, () => String.fromCharCode(97 + rint(26))).join('');
      return { kind: 'str', text: () => `"${s}"` };
    }
    default: {
      const n = 1 + rint(20);
      const v = rint(1 << n);
      return { kind: 'lit', text: () => `${v}:${n}` };
    }
  }
}

/** Random constructions: functions of random segment lists, and random calls of them. */
function constructionModule(name: string, nFns: number, casesPerFn: number): ErlModule {
  const functions: string[] = [];
  const cases: string[] = [];
  for (let k = 0; k < nFns; k++) {
    let segs: CSeg[];
    do segs = Array.from({ length: 1 + rint(5) }, randomCSeg);
    while (!segs.some((s) => s.value)); // all literal: the compiler makes it a literal, no bs_create_bin
    const params: string[] = [];
    segs.forEach((s, i) => {
      if (s.value) params.push(`V${i}`);
      if (s.size) params.push(`S${i}`);
    });
    functions.push(`c${k}(${params.join(', ')}) -> <<${segs.map((s, i) => s.text(i)).join(', ')}>>.`);
    for (let c = 0; c < casesPerFn; c++) {
      const args: string[] = [];
      segs.forEach((s) => {
        if (s.value) args.push(s.value());
        if (s.size) args.push(s.size());
      });
      cases.push(`{c${k}, [${args.join(', ')}]}`);
    }
  }
  return { name, functions, cases };
}

/** Floats of 16, 32 and 64 bits: rounding ties, overflow, subnormals, bignums, at aligned and unaligned positions. */
function floatModule(): ErlModule {
  const functions = [
    'f(F, S) -> <<F:S/float>>.',
    'fl(F, S) -> <<F:S/float-little>>.',
    'fx(F, S) -> <<1:3, F:S/float-native, 1:2>>.',
  ];
  const xs: number[] = [0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0000001, 3 * 2 ** -25, 2 ** -14, 2 ** -14 - 2 ** -25];
  const f32 = new Float32Array(1);
  for (let i = 0; i < 700; i++) {
    // Halves and the doubles halfway between neighbours (ties go to even).
    let h = rint(0x7c00);
    const x = B.halfToDouble(h);
    const next = B.halfToDouble(++h);
    const mid = (x + next) / 2;
    xs.push(x, mid, mid + (next - x) * 2 ** -20, mid - (next - x) * 2 ** -20);
    // The same around floats.
    f32[0] = (R() - 0.5) * 2 ** (rint(250) - 125);
    const y = f32[0]!;
    const ulp = Math.abs(y) * 2 ** -23;
    xs.push(y, y + ulp / 2, y - ulp / 2, y + ulp / 2 + ulp * 2 ** -20);
  }
  const cases: string[] = [];
  for (const x of xs) {
    const v = R() < 0.5 ? x : -x;
    for (const size of [16, 32, 64]) cases.push(`{${pick(['f', 'fl', 'fx'])}, [${erlFloat(v)}, ${size}]}`);
  }
  for (let i = 0; i < 300; i++) {
    // Integers to floats, around 2^53 and the largest finite double.
    const bits = pick([54, 60, 64, 100, 1023, 1024, 1025]);
    const v = randBig(bits) | (1n << BigInt(bits - 1));
    cases.push(`{f, [${R() < 0.5 ? v : -v}, ${pick([16, 32, 64])}]}`);
  }
  return { name: 'bsf', functions, cases };
}

/** UTF-8/16/32 construction of every boundary code point and invalid values, aligned and not. */
function utfModule(): ErlModule {
  const functions = [
    'u8(C) -> <<C/utf8>>.',
    'u8x(C) -> <<1:3, C/utf8, 5:3>>.',
    'u16(C) -> <<C/utf16>>.',
    'u16l(C) -> <<C/utf16-little>>.',
    'u16x(C) -> <<1:1, C/utf16-native>>.',
    'u32(C) -> <<C/utf32>>.',
    'u32l(C) -> <<C/utf32-little>>.',
    'u32x(C) -> <<7:5, C/utf32-little, 0:1>>.',
  ];
  const values = [
    '0', '1', '127', '128', '2047', '2048', '4095', '55295', '55296', '56319', '56320', '57343', '57344',
    '65533', '65535', '65536', '1114111', '1114112', '-1', '-128', String(1n << 40n), 'a', '1.0', '<<1>>', '[]',
  ];
  for (let i = 0; i < 150; i++) values.push(String(randCp()));
  const cases: string[] = [];
  for (const v of values) for (const f of ['u8', 'u8x', 'u16', 'u16l', 'u16x', 'u32', 'u32l', 'u32x']) cases.push(`{${f}, [${v}]}`);
  return { name: 'bsu', functions, cases };
}

/** Integers of 0..130 bits, both endiannesses, signed or not, at odd bit offsets; bignums and negatives truncated. */
function intModule(): ErlModule {
  const functions = [
    'i(V, S) -> <<V:S>>.',
    'il(V, S) -> <<V:S/little>>.',
    'ix(V, S) -> <<1:3, V:S/little-signed, 1:1>>.',
    'ib(V, S) -> <<2:5, V:S/big-signed, 3:4>>.',
    'iu(V, S) -> <<V:S/unit:8-little>>.',
  ];
  const cases: string[] = [];
  for (let size = 0; size <= 130; size++) {
    for (let k = 0; k < 8; k++) {
      const v = randBig(rint(size + 70));
      const f = pick(['i', 'il', 'ix', 'ib']);
      cases.push(`{${f}, [${R() < 0.4 ? -v : v}, ${size}]}`);
    }
  }
  for (let k = 0; k < 60; k++) cases.push(`{iu, [${-randBig(rint(200))}, ${rint(20)}]}`);
  return { name: 'bsi', functions, cases };
}

/** The same binary through the old instructions: bs_init_bits, then one bs_put_* per segment. */
function viaBitWriter(pr: Process, spec: B.BinSpec, values: Term[], sizes: Term[]): Term {
  const wr = new B.BitWriter();
  let total = 0;
  const bits: number[] = [];
  for (let i = 0; i < spec.n; i++) {
    const t = spec.types[i]!;
    let n: number;
    if (t === B.SEG_STRING) n = spec.strings[i]!.length * 8;
    else if (t === B.SEG_UTF8) n = 8 * B.utf8Length(values[i]!);
    else if (t === B.SEG_UTF16) n = 8 * B.utf16Length(values[i]!);
    else if (t === B.SEG_UTF32) n = 32;
    else if (spec.sizeAll[i]) n = bitSize(pr, values[i]!);
    else n = B.fieldBits(pr, sizes[i]!, spec.units[i]!);
    bits.push(n);
    if (!(i === 0 && spec.appends)) total += n;
  }
  let result: Term;
  let first = 0;
  if (spec.appends) {
    result = wr.append(pr, makeSmall(total), spec.units[0]!, values[0]!);
    first = 1;
  } else {
    result = total % 8 === 0 && R() < 0.5 ? wr.initBytes(pr, makeSmall(total / 8)) : wr.initBits(pr, makeSmall(total));
  }
  for (let i = first; i < spec.n; i++) {
    const t = spec.types[i]!;
    const f = spec.flags[i]!;
    if (t === B.SEG_INTEGER) wr.putInteger(pr, values[i]!, bits[i]!, f);
    else if (t === B.SEG_FLOAT) wr.putFloat(pr, values[i]!, bits[i]!, f);
    else if (t === B.SEG_BINARY) wr.putBinary(pr, values[i]!, spec.sizeAll[i] ? B.ALL : bits[i]!, spec.units[i]!);
    else if (t === B.SEG_UTF8) wr.putUtf8(pr, values[i]!);
    else if (t === B.SEG_UTF16) wr.putUtf16(pr, values[i]!, f);
    else if (t === B.SEG_UTF32) wr.putUtf32(pr, values[i]!, f);
    else wr.putString(pr, spec.strings[i]!);
  }
  return result;
}

// ---------------------------------------------------------------- matching cases

interface MSeg {
  kind: 'int' | 'float' | 'bin' | 'utf8' | 'utf16' | 'utf32' | 'str' | 'lit' | 'skip';
  flags: number;
  unit: number;
  lit?: number; // a literal size
  bytes?: number[]; // str/lit: the expected bits, left-aligned
  litBits?: number;
  text: (i: number) => string;
  binds: boolean;
  sized: boolean;
}
interface MShape {
  segs: MSeg[];
  end: 'bits' | 'binary' | 'none';
}

function flagText(kind: string, flags: number): string {
  const e = flags & B.BSF_NATIVE ? 'native' : flags & B.BSF_LITTLE ? 'little' : 'big';
  return `${kind}-${e}${flags & B.BSF_SIGNED ? '-signed' : ''}`;
}
const randFlags = (signed: boolean): number =>
  pick([0, B.BSF_LITTLE, B.BSF_NATIVE]) | (signed && R() < 0.5 ? B.BSF_SIGNED : 0);

function randomMSeg(): MSeg {
  switch (rint(9)) {
    case 0:
    case 1: {
      const unit = R() < 0.7 ? 1 : 1 + rint(8);
      const lit = R() < 0.3 ? rint(70) : undefined;
      const flags = randFlags(true);
      return {
        kind: 'int', flags, unit, lit, binds: true, sized: lit === undefined,
        text: (i) => `X${i}:${lit ?? `S${i}`}/${flagText('integer', flags)}-unit:${unit}`,
      };
    }
    case 2: {
      const lit = R() < 0.5 ? pick([16, 32, 64]) : undefined;
      const flags = randFlags(false);
      return {
        kind: 'float', flags, unit: 1, lit, binds: true, sized: lit === undefined,
        text: (i) => `X${i}:${lit ?? `S${i}`}/${flagText('float', flags)}`,
      };
    }
    case 3: {
      const unit = pick([1, 8, 3]);
      const lit = R() < 0.3 ? rint(20) : undefined;
      return {
        kind: 'bin', flags: 0, unit, lit, binds: true, sized: lit === undefined,
        text: (i) => `X${i}:${lit ?? `S${i}`}/binary-unit:${unit}`,
      };
    }
    case 4: {
      const kind = pick(['utf8', 'utf16', 'utf32'] as const);
      const flags = kind === 'utf8' ? 0 : randFlags(false);
      const binds = R() < 0.7; // else _/utf8: bs_skip_utf8
      const type = kind === 'utf8' ? kind : flagText(kind, flags);
      return { kind, flags, unit: 1, binds, sized: false, text: (i) => `${binds ? `X${i}` : '_'}/${type}` };
    }
    case 5: {
      const s = Array.from({ length: 1 + rint(3) }, () => 97 + rint(26));
      return { kind: 'str', flags: 0, unit: 1, bytes: s, litBits: s.length * 8, binds: false, sized: false, text: () => `"${String.fromCharCode(...s)}"` };
    }
    case 6: {
      const n = 1 + rint(12);
      const v = rint(1 << n);
      const bb = new BitBuf().push(BigInt(v), n);
      return { kind: 'lit', flags: 0, unit: 1, bytes: bb.bytes, litBits: n, binds: false, sized: false, text: () => `${v}:${n}` };
    }
    default:
      return { kind: 'skip', flags: 0, unit: 1, binds: false, sized: true, text: (i) => `_:S${i}` };
  }
}

const UTF8_BAD = [[0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0x80], [0xbf, 0x80], [0xc2], [0xe1, 0x80], [0xf1, 0x80, 0x80], [0xc2, 0x41], [0xe1, 0x41, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];

function utf8Bytes(c: number): number[] {
  if (c < 0x80) return [c];
  if (c < 0x800) return [0xc0 | (c >> 6), 0x80 | (c & 0x3f)];
  if (c < 0x10000) return [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)];
  return [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)];
}
const randCp = (): number => pick([rint(0x80), 0x80 + rint(0x780), pick([rint(0xd800), 0xe000 + rint(0x2000)]), 0x10000 + rint(0x100000)]);
function pushUnit(bb: BitBuf, v: number, n: 16 | 32, little: boolean): void {
  if (!little) bb.push(BigInt(v), n);
  else for (let i = 0; i < n / 8; i++) bb.push(BigInt((v >>> (8 * i)) & 0xff), 8);
}

/** Data for one segment of a match case, and the size argument it needs. */
function matchPiece(bb: BitBuf, s: MSeg): string | undefined {
  const little = (s.flags & (B.BSF_LITTLE | B.BSF_NATIVE)) !== 0;
  switch (s.kind) {
    case 'int':
    case 'bin':
    case 'skip': {
      const max = s.kind === 'int' ? Math.floor(130 / s.unit) : Math.floor(80 / s.unit);
      const size = s.lit ?? (R() < 0.05 ? pick([-1, -3]) : R() < 0.03 ? 'a' : rint(max + 1));
      const bits = typeof size === 'number' && size > 0 ? size * s.unit : 0;
      bb.randomBits(bits);
      return s.sized ? String(size) : undefined;
    }
    case 'float': {
      const size = s.lit ?? (R() < 0.9 ? pick([16, 32, 64]) : pick([0, 8, 24, -1]));
      const n = Math.max(size, 0);
      const r = R();
      if (r < 0.25 || ![16, 32, 64].includes(n)) bb.randomBits(n);
      else if (r < 0.4) {
        // NaN and infinity patterns: exponent all ones.
        const e = n === 16 ? 5 : n === 32 ? 8 : 11;
        const m = n - 1 - e;
        const mant = R() < 0.5 ? 0n : randBig(m) | 1n;
        const v = (BigInt(rint(2)) << BigInt(n - 1)) | (((1n << BigInt(e)) - 1n) << BigInt(m)) | mant;
        pushFloatBits(bb, v, n, little);
      } else {
        const x = (R() - 0.5) * 2 ** (rint(80) - 40);
        const dv = new DataView(new ArrayBuffer(8));
        let v: bigint;
        if (n === 64) {
          dv.setFloat64(0, x);
          v = dv.getBigUint64(0);
        } else if (n === 32) {
          dv.setFloat32(0, x);
          v = BigInt(dv.getUint32(0));
        } else v = BigInt(B.doubleToHalf(x));
        pushFloatBits(bb, v, n, little);
      }
      return s.sized ? String(size) : undefined;
    }
    case 'utf8':
      bb.pushBytes(R() < 0.8 ? utf8Bytes(randCp()) : pick(UTF8_BAD));
      return undefined;
    case 'utf16': {
      const r = R();
      if (r < 0.75) {
        const c = randCp();
        if (c < 0x10000) pushUnit(bb, c, 16, little);
        else {
          pushUnit(bb, 0xd800 | ((c - 0x10000) >> 10), 16, little);
          pushUnit(bb, 0xdc00 | ((c - 0x10000) & 0x3ff), 16, little);
        }
      } else if (r < 0.85) pushUnit(bb, 0xdc00 + rint(0x400), 16, little);
      else if (r < 0.95) {
        pushUnit(bb, 0xd800 + rint(0x400), 16, little);
        pushUnit(bb, pick([0x41, 0xd800, 0xe000]), 16, little);
      } else pushUnit(bb, 0xd800 + rint(0x400), 16, little);
      return undefined;
    }
    case 'utf32':
      pushUnit(bb, R() < 0.8 ? randCp() : pick([0xd800, 0xdfff, 0x110000, 0xffffffff, 0x7fffffff]), 32, little);
      return undefined;
    default: {
      // str / lit: the expected bits, sometimes one flipped.
      const copy = new BitBuf();
      copy.bytes = [...s.bytes!];
      copy.bits = s.litBits!;
      for (let i = 0; i < s.litBits!; i++) {
        const bit = (copy.bytes[i >> 3]! >> (7 - (i & 7))) & 1;
        bb.pushBit(R() < 0.02 ? 1 - bit : bit);
      }
      return undefined;
    }
  }
}

function pushFloatBits(bb: BitBuf, v: bigint, n: number, little: boolean): void {
  if (!little) bb.push(v, n);
  else for (let i = 0; i < n / 8; i++) bb.push((v >> BigInt(8 * i)) & 0xffn, 8);
}

/** The Erlang function for a match shape. */
function matchFunction(name: string, shape: MShape): string {
  const params = ['Bin0', 'Skip', ...shape.segs.flatMap((s, i) => (s.sized ? [`S${i}`] : []))];
  const pat = shape.segs.map((s, i) => s.text(i));
  if (shape.end !== 'none') pat.push(`Rest/${shape.end}`);
  const vars = shape.segs.flatMap((s, i) => (s.binds ? [`X${i}`] : []));
  if (shape.end !== 'none') vars.push('Rest');
  return `${name}(${params.join(', ')}) ->\n  <<_:Skip, Bin/bits>> = Bin0,\n  case Bin of\n    <<${pat.join(', ')}>> -> {${vars.join(', ')}};\n    _ -> nomatch\n  end.`;
}

/** Random patterns over data made to fit them (or nearly), from a random bit offset. */
function matchModule(name: string, nFns: number, casesPerFn: number, shapes: Map<string, MShape>): ErlModule {
  const functions: string[] = [];
  const cases: string[] = [];
  for (let k = 0; k < nFns; k++) {
    const shape: MShape = { segs: Array.from({ length: 1 + rint(5) }, randomMSeg), end: pick(['bits', 'binary', 'none'] as const) };
    shapes.set(`m${k}`, shape);
    functions.push(matchFunction(`m${k}`, shape));
    for (let c = 0; c < casesPerFn; c++) {
      const skip = R() < 0.15 ? 8 * (60 + rint(40)) + rint(8) : rint(24);
      const bb = new BitBuf().randomBits(skip);
      const sizes: string[] = [];
      for (const s of shape.segs) {
        const size = matchPiece(bb, s);
        if (size !== undefined) sizes.push(size);
      }
      if (shape.end === 'binary') bb.randomBits(R() < 0.85 ? 8 * rint(10) : rint(20));
      else if (shape.end === 'bits') bb.randomBits(rint(40));
      else if (R() < 0.1) bb.randomBits(1 + rint(9));
      if (R() < 0.08) bb.truncate(skip + rint(bb.bits - skip + 1));
      cases.push(`{m${k}, [${[bb.erl(), String(skip), ...sizes].join(', ')}]}`);
    }
  }
  return { name, functions, cases };
}

const utfSeg = (kind: 'utf8' | 'utf16' | 'utf32', flags: number): MSeg => ({
  kind, flags, unit: 1, binds: true, sized: false,
  text: (i) => `X${i}/${kind === 'utf8' ? kind : flagText(kind, flags)}`,
});

/** UTF decoding tables: lead bytes against continuation bytes, surrogates, truncations, at offsets 0 and 3. */
function utfMatchModule(shapes: Map<string, MShape>): ErlModule {
  const defs: Array<[string, MShape]> = [
    ['mu8', { segs: [utfSeg('utf8', 0)], end: 'bits' }],
    ['mu16', { segs: [utfSeg('utf16', 0)], end: 'bits' }],
    ['mu16l', { segs: [utfSeg('utf16', B.BSF_LITTLE)], end: 'bits' }],
    ['mu32', { segs: [utfSeg('utf32', 0)], end: 'bits' }],
    ['mu32l', { segs: [utfSeg('utf32', B.BSF_NATIVE)], end: 'bits' }],
    ['mu8x2', { segs: [utfSeg('utf8', 0), utfSeg('utf8', 0)], end: 'none' }],
  ];
  for (const [n, sh] of defs) shapes.set(n, sh);
  const cases: string[] = [];
  const add = (fn: string, bytes: number[], cut = 0): void => {
    const skip = pick([0, 3]);
    const bb = new BitBuf().randomBits(skip).pushBytes(bytes);
    if (cut) bb.truncate(bb.bits - cut);
    cases.push(`{${fn}, [${bb.erl()}, ${skip}]}`);
  };
  const seconds = [0x00, 0x41, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x9f, 0xa0, 0xaf, 0xb0, 0xbf, 0xc0, 0xc2, 0xe0, 0xff];
  for (let lead = 0; lead < 256; lead++) for (const s of seconds) add('mu8', [lead, s]);
  for (let lead = 0xe0; lead <= 0xef; lead++)
    for (let s = 0x7f; s <= 0xc0; s++) for (const t of [0x80, 0xbf, 0x7f]) add('mu8', [lead, s, t]);
  for (let lead = 0xf0; lead <= 0xf7; lead++)
    for (let s = 0x7f; s <= 0xc0; s++) for (const t of [0x80, 0x7f]) add('mu8', [lead, s, 0x80, t]);
  for (let i = 0; i < 200; i++) add('mu8', utf8Bytes(randCp()), rint(3) === 0 ? 1 + rint(8) : 0);
  for (let i = 0; i < 200; i++) add('mu8x2', [...utf8Bytes(randCp()), ...(R() < 0.8 ? utf8Bytes(randCp()) : pick(UTF8_BAD))]);
  const units = [0, 0x41, 0xd7ff, 0xd800, 0xd801, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff];
  for (const u1 of units)
    for (const u2 of units)
      for (const little of [false, true]) {
        const bytes = little ? [u1 & 0xff, u1 >> 8, u2 & 0xff, u2 >> 8] : [u1 >> 8, u1 & 0xff, u2 >> 8, u2 & 0xff];
        add(little ? 'mu16l' : 'mu16', bytes);
        add(little ? 'mu16l' : 'mu16', bytes, 8 + rint(8));
      }
  const cps = [0, 0x41, 0xd7ff, 0xd800, 0xdfff, 0xe000, 0xffff, 0x10000, 0x10ffff, 0x110000, 0x7fffffff, 0x80000000, 0xffffffff];
  for (let i = 0; i < 40; i++) cps.push(randCp());
  for (const c of cps)
    for (const little of [false, true]) {
      const bytes = [c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff];
      add(little ? 'mu32l' : 'mu32', little ? bytes.reverse() : bytes);
    }
  return { name: 'bsmu', functions: defs.map(([n, sh]) => matchFunction(n, sh)), cases };
}

/** Every 16-bit pattern read as a half float, both endiannesses (one call each: a list of 65536 results). */
function halfModule(): ErlModule {
  const all = new BitBuf();
  for (let h = 0; h < 65536; h++) all.bytes.push(h >> 8, h & 0xff);
  all.bits = 65536 * 16;
  return {
    name: 'bsh',
    functions: [
      'h(B) -> [case S of <<F:16/float>> -> F; _ -> nan end || <<S:2/binary>> <= B].',
      'hl(B) -> [case S of <<F:16/float-little>> -> F; _ -> nan end || <<S:2/binary>> <= B].',
    ],
    cases: [`{h, [${all.erl()}]}`, `{hl, [${all.erl()}]}`],
  };
}

/**
 * Appends: a random program of steps, each appending to some earlier value
 * (often not the latest: those appends must copy and leave the later values
 * alone), and binary comprehensions (private_append).
 */
function appendModule(): ErlModule {
  const functions = [
    'ap8(A, X) -> <<A/binary, X:8>>.',
    'ap3(A, X) -> <<A/bits, X:3>>.',
    'apb(A, X) -> <<A/bits, X/bits>>.',
    'ap16(A, X) -> <<A/binary-unit:4, X:16/little, "xyz">>.',
    'prog(Steps) -> lists:reverse(lists:foldl(fun({F, I, X}, Acc) -> [?MODULE:F(lists:nth(length(Acc) - I, Acc), X) | Acc] end, [<<>>], Steps)).',
    'bc(L) -> << <<X:8>> || X <- L >>.',
    'bc3(L) -> << <<X:3>> || X <- L >>.',
    'bcb(L) -> << <<X/binary, 0:1>> || X <- L >>.',
    'apbig(N) -> erlang:md5(lists:foldl(fun(X, A) -> ap8(A, X band 255) end, <<>>, lists:seq(1, N))).',
  ];
  const cases: string[] = [];
  for (let k = 0; k < 40; k++) {
    const steps: string[] = [];
    const lengths = [0]; // bit length of each value, so that most steps are valid
    const n = 5 + rint(k < 5 ? 400 : 60);
    for (let i = 0; i < n; i++) {
      const back = R() < 0.7 ? i : rint(i + 1); // mostly the latest value
      const len = lengths[back]!;
      const ok = ['ap3', 'apb', ...(len % 8 === 0 ? ['ap8', 'ap8'] : []), ...(len % 4 === 0 ? ['ap16'] : [])];
      const f = i === n - 1 && R() < 0.3 ? pick(['ap8', 'ap16']) : pick(ok); // the last step may fail
      const bb = new BitBuf().randomBits(rint(R() < 0.1 ? 900 : 30));
      const x = f === 'apb' ? bb.erl() : String(rint(1 << 16));
      lengths.push(len + (f === 'ap8' ? 8 : f === 'ap3' ? 3 : f === 'apb' ? bb.bits : 40));
      steps.push(`{${f}, ${back}, ${x}}`);
    }
    cases.push(`{prog, [[${steps.join(', ')}]]}`);
  }
  for (const n of [0, 1, 10, 100, 300, 5000]) {
    const l = Array.from({ length: n }, () => rint(256));
    cases.push(`{bc, [[${l.join(',')}]]}`, `{bc3, [[${l.join(',')}]]}`);
  }
  const bins = Array.from({ length: 200 }, () => new BitBuf().randomBits(8 * rint(40)).erl());
  cases.push(`{bcb, [[${bins.join(',')}]]}`, '{apbig, [300000]}');
  return { name: 'bsa', functions, cases };
}

/** Code compiled for OTP 22 (bs_add, bs_utf8_size, bs_utf16_size, bs_init_bits, bs_put_*): sizes and their errors. */
function oldInstructionModule(): ErlModule {
  const sizes = ['0', '1', '7', '13', '40', '-1', 'a', '1.5', String(1n << 59n), String(1n << 60n), String(1n << 64n), String(-(1n << 64n))];
  const cases: string[] = [];
  for (const a of sizes) for (const b of sizes) cases.push(`{sz, [${a}, ${b}]}`);
  for (const c of ['0', '127', '128', '2047', '2048', '55296', '57344', '65535', '65536', '1114111', '1114112', '-1', 'a'])
    cases.push(`{u, [${c}]}`);
  return {
    name: 'bso',
    functions: ['sz(S1, S2) -> <<0:S1, 0:S2/unit:8>>.', 'u(C) -> <<C/utf8, C/utf16>>.'],
    cases,
    options: ['r22'],
  };
}

/** Positions: match, remember, read on, go back, read again; the context back to the binary. */
function positionModule(): ErlModule {
  const functions = [
    `pos(B, S1, S2, S3) ->
  case B of
    <<A:S1, V:S2, _/bits>> ->
      case B of
        <<_:S1, C:S3/bits, _/bits>> -> {A, V, C, B};
        _ -> nomatch
      end;
    _ -> nomatch
  end.`,
  ];
  const cases: string[] = [];
  for (let i = 0; i < 300; i++) {
    const bb = new BitBuf().randomBits(R() < 0.2 ? 8 * (70 + rint(50)) : rint(200));
    cases.push(`{pos, [${bb.erl()}, ${rint(60)}, ${rint(70)}, ${rint(70)}]}`);
  }
  // Not bitstrings: no match.
  for (const t of ['a', '1', '{<<1>>}', '[1]', '1.0']) cases.push(`{pos, [${t}, 0, 0, 0]}`);
  return { name: 'bsp', functions, cases };
}

/** Runs a match shape with the engine; the tuple erl returns, or nomatch. */
function runMatch(pr: Process, shape: MShape, args: Term[]): Term {
  const nomatch = atoms.intern('nomatch');
  const ms0 = B.startMatch(pr, args[0]!)!;
  if (!B.skipBits(pr, ms0, B.fieldBits(pr, args[1]!, 1))) throw new Error('skip prefix');
  const bin = B.getTail(pr, ms0);
  const ms = B.startMatch(pr, bin);
  if (ms === undefined) throw new Error('not a bitstring');
  const out: Term[] = [];
  let arg = 2;
  for (const s of shape.segs) {
    const size = s.sized ? args[arg++]! : makeSmall(s.lit ?? 0);
    const bits = B.fieldBits(pr, size, s.unit);
    let v: Term | undefined;
    switch (s.kind) {
      case 'int':
        v = bits < 0 ? undefined : B.getInteger(pr, ms, bits, s.flags);
        break;
      case 'float':
        v = bits < 0 ? undefined : B.getFloat(pr, ms, bits, s.flags);
        break;
      case 'bin':
        v = bits < 0 ? undefined : B.getBinary(pr, ms, bits);
        break;
      case 'utf8':
      case 'utf16':
      case 'utf32':
        if (!s.binds) {
          const skip = s.kind === 'utf8' ? B.skipUtf8 : s.kind === 'utf16' ? B.skipUtf16 : B.skipUtf32;
          if (!skip(pr, ms, s.flags)) return nomatch;
          continue;
        }
        v = s.kind === 'utf8' ? B.getUtf8(pr, ms) : s.kind === 'utf16' ? B.getUtf16(pr, ms, s.flags) : B.getUtf32(pr, ms, s.flags);
        break;
      case 'skip':
        if (bits < 0 || !B.skipBits(pr, ms, bits)) return nomatch;
        continue;
      default:
        if (!B.matchString(pr, ms, Uint8Array.from(s.bytes!), s.litBits!)) return nomatch;
        continue;
    }
    if (v === undefined) return nomatch;
    out.push(v);
  }
  if (shape.end === 'none') {
    if (!B.testTail(pr, ms, 0)) return nomatch;
  } else if (shape.end === 'binary') {
    if (R() < 0.5 && !B.testUnit(pr, ms, 8)) return nomatch;
    const rest = B.getBinary(pr, ms, B.ALL, 8);
    if (rest === undefined) return nomatch;
    out.push(rest);
  } else out.push(B.getTail(pr, ms));
  return mkTuple(pr, out);
}

// ---------------------------------------------------------------- the tests

let runs: Map<string, ErlRun>;
const matchShapes = new Map<string, MShape>();

beforeAll(() => {
  runs = runErl([
    constructionModule('bsc', 260, 24),
    floatModule(),
    utfModule(),
    intModule(),
    matchModule('bsm', 260, 24, matchShapes),
    utfMatchModule(matchShapes),
    halfModule(),
    appendModule(),
    positionModule(),
    oldInstructionModule(),
  ]);
});

/** Runs every case of a construction module through createBin (and, when it succeeds, the BitWriter). */
function checkConstruction(mod: string): { ok: number; errors: number; bad: string[] } {
  const run = runs.get(mod)!;
  let ok = 0;
  let errors = 0;
  const bad: string[] = [];
  for (const { fn, args, result } of run.results) {
    const refs = run.specs.get(fn);
    if (refs === undefined) {
      bad.push(`${fn}: no bs_create_bin`);
      continue;
    }
    const pr = p();
    const spec = specOf(refs);
    const argv = listToArray(pr, term(pr, args))!;
    const values = refs.map((r) => operand(pr, r.val, argv));
    const sizes = refs.map((r) => operand(pr, r.size, argv));
    const got = outcome(pr, () => B.createBin(pr, spec, values, sizes));
    if (got !== result) bad.push(`${fn} ${args}: erl ${result}, beamjs ${got}`);
    const succeeded = tupleElement(pr, term(pr, result), 1) === OK;
    if (succeeded) {
      ok++;
      // The old instructions must build the same bytes.
      const w = outcome(pr, () => viaBitWriter(pr, spec, values, sizes));
      if (w !== result) bad.push(`${fn} via BitWriter ${args}: erl ${result}, beamjs ${w}`);
    } else errors++;
    if (bad.length > 8) break;
  }
  return { ok, errors, bad };
}

describe('bs_create_bin against erl', () => {
  it('random segment lists: erl bytes or erl exception, and the same through the old instructions', () => {
    expect(runs.get('bsc')!.results.length).toBe(260 * 24);
    const { ok, errors, bad } = checkConstruction('bsc');
    expect(bad).toEqual([]);
    expect(ok).toBeGreaterThan(2500);
    expect(errors).toBeGreaterThan(300);
  });

  it('floats: half/single rounding ties, overflow to infinity, bignum conversion', () => {
    const { ok, errors, bad } = checkConstruction('bsf');
    expect(bad).toEqual([]);
    expect(ok).toBeGreaterThan(8000);
    expect(errors).toBeGreaterThan(10); // bignums too large for a double
  });

  it('utf8/16/32: boundary and invalid code points', () => {
    const { ok, errors, bad } = checkConstruction('bsu');
    expect(bad).toEqual([]);
    expect(ok).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(80);
  });

  it('integers of 0..130 bits, little and big endian, unaligned', () => {
    const { ok, bad } = checkConstruction('bsi');
    expect(bad).toEqual([]);
    expect(ok).toBe(131 * 8 + 60);
  });
});

describe('binary matching against erl', () => {
  const check = (mod: string): { matched: number; total: number; bad: string[] } => {
    const run = runs.get(mod)!;
    const bad: string[] = [];
    let matched = 0;
    const nomatch = toHex(Buffer.from('nomatch'));
    for (const { fn, args, result } of run.results) {
      const pr = p();
      const argv = listToArray(pr, term(pr, args))!;
      const got = hexOf(pr, mkTuple(pr, [OK, runMatch(pr, matchShapes.get(fn)!, argv)]));
      if (got !== result) bad.push(`${fn} ${args}: erl ${result}, beamjs ${got}`);
      if (!result.includes(nomatch)) matched++;
      if (bad.length > 8) break;
    }
    return { matched, total: run.results.length, bad };
  };

  it('random patterns over unaligned and refc data', () => {
    const { matched, total, bad } = check('bsm');
    expect(total).toBe(260 * 24);
    expect(bad).toEqual([]);
    expect(matched).toBeGreaterThan(1500);
  });

  it('utf8/16/32 decoding: overlongs, surrogates, out of range, truncated', () => {
    const { matched, total, bad } = check('bsmu');
    expect(bad).toEqual([]);
    expect(matched).toBeGreaterThan(2000);
    expect(total - matched).toBeGreaterThan(2000);
  });

  it('every half-float pattern, both endiannesses (NaN and infinity do not match)', () => {
    const bad: string[] = [];
    for (const { fn, args, result } of runs.get('bsh')!.results) {
      const pr = p();
      const bin = listToArray(pr, term(pr, args))![0]!;
      const ms = B.startMatch(pr, bin)!;
      const flags = fn === 'hl' ? B.BSF_LITTLE : 0;
      const nan = atoms.intern('nan');
      const out: Term[] = [];
      for (let i = 0; i < 65536; i++) {
        const ms1 = B.startMatch(pr, B.getBinary(pr, ms, 16)!)!;
        const f = B.getFloat(pr, ms1, 16, flags);
        out.push(f !== undefined && B.testTail(pr, ms1, 0) ? f : nan);
      }
      const got = hexOf(pr, mkTuple(pr, [OK, mkList(pr, out)]));
      if (got !== result) bad.push(`${fn}: differs`);
    }
    expect(bad).toEqual([]);
  });
});

describe('appends against erl', () => {
  it('append programs: in-place growth never changes an earlier value', () => {
    const run = runs.get('bsa')!;
    const spec = (fn: string): B.BinSpec => specOf(run.specs.get(fn)!);
    const specs = new Map(['ap8', 'ap3', 'apb', 'ap16'].map((f) => [f, { spec: spec(f), refs: run.specs.get(f)! }]));
    let programs = 0;
    let steps = 0;
    const bad: string[] = [];
    for (const { fn, args, result } of run.results) {
      if (fn !== 'prog') continue;
      programs++;
      const pr = p();
      const prog = listToArray(pr, listToArray(pr, term(pr, args))![0]!)!;
      const got = outcome(pr, () => {
        const vals: Term[] = [mkBinary(pr, new Uint8Array(0))];
        for (const step of prog) {
          const f = atoms.name(tupleElement(pr, step, 1));
          const { spec: sp, refs } = specs.get(f)!;
          const argv = [vals[smallVal(tupleElement(pr, step, 2))]!, tupleElement(pr, step, 3)];
          vals.push(B.createBin(pr, sp, refs.map((r) => operand(pr, r.val, argv)), refs.map((r) => operand(pr, r.size, argv))));
          steps++;
        }
        return mkList(pr, vals);
      });
      if (got !== result) bad.push(`program ${programs} differs`);
    }
    expect(bad).toEqual([]);
    expect(programs).toBe(40);
    expect(steps).toBeGreaterThan(1500);
  });

  it('binary comprehensions (bs_init_writable, private_append)', () => {
    const run = runs.get('bsa')!;
    const comprehension = (fn: string): SegRef[] => {
      // The helper function the compiler made for the comprehension in fn.
      const found = [...run.specs].find(([n, r]) => n.startsWith(`-${fn}/1-lbc`) && r[0]!.type === 'private_append');
      if (found === undefined) throw new Error(`no private_append for ${fn}`);
      return found[1];
    };
    let checked = 0;
    const bad: string[] = [];
    for (const { fn, args, result } of run.results) {
      if (fn === 'prog' || fn === 'apbig') continue;
      const pr = p();
      const refs = comprehension(fn);
      const spec = specOf(refs);
      const items = listToArray(pr, listToArray(pr, term(pr, args))![0]!)!;
      const got = outcome(pr, () => {
        let acc = new B.BitWriter().initWritable(pr, makeSmall(items.length));
        for (const x of items) {
          const regs = [NIL, acc, x]; // the helper's x1 is the accumulator, x2 the element
          acc = B.createBin(pr, spec, refs.map((r) => operand(pr, r.val, regs)), refs.map((r) => operand(pr, r.size, regs)));
        }
        return acc;
      });
      if (got !== result) bad.push(`${fn} over ${items.length} items differs`);
      checked++;
    }
    expect(bad).toEqual([]);
    expect(checked).toBe(13);
  });
});

describe('the old construction instructions against erl (code compiled with +r22)', () => {
  it('bs_add, bs_utf8_size, bs_utf16_size, then bs_init_bits and bs_put_*', () => {
    const bad: string[] = [];
    let ok = 0;
    for (const { fn, args, result } of runs.get('bso')!.results) {
      const pr = p();
      const argv = listToArray(pr, term(pr, args))!;
      const wr = new B.BitWriter();
      const got = outcome(pr, () => {
        if (fn === 'sz') {
          // {bs_add,[0,S2,8]}, {bs_add,[Acc,S1,1]}, bs_init_bits, bs_put_integer x2
          const [s1, s2] = argv;
          const total = B.bsAdd(pr, B.bsAdd(pr, makeSmall(0), s2!, 8), s1!, 1);
          const bin = wr.initBits(pr, total);
          wr.putInteger(pr, makeSmall(0), B.fieldBits(pr, s1!, 1), 0);
          wr.putInteger(pr, makeSmall(0), B.fieldBits(pr, s2!, 8), 0);
          return bin;
        }
        const c = argv[0]!;
        const total = B.bsAdd(pr, B.bsAdd(pr, makeSmall(0), B.utf16Size(c), 8), B.utf8Size(c), 8);
        const bin = wr.initBits(pr, total);
        wr.putUtf8(pr, c);
        wr.putUtf16(pr, c, 0);
        return bin;
      });
      if (got !== result) bad.push(`${fn} ${args}: erl ${result}, beamjs ${got}`);
      if (tupleElement(pr, term(pr, result), 1) === OK) ok++;
    }
    expect(bad).toEqual([]);
    expect(ok).toBeGreaterThan(30);
  });
});

describe('append performance', () => {
  it('300000 appends to the latest value take linear time (and give erl bytes)', () => {
    const run = runs.get('bsa')!;
    const { result } = run.results.find((r) => r.fn === 'apbig')!;
    const refs = run.specs.get('ap8')!;
    const spec = specOf(refs);
    const pr = new Process(mem, atoms, makeLocalPid(2, 0), 1 << 22);
    const start = performance.now();
    let acc = mkBinary(pr, new Uint8Array(0));
    const values = [acc, acc];
    const sizes = refs.map((r) => operand(pr, r.size, []));
    for (let x = 1; x <= 300000; x++) {
      values[0] = acc;
      values[1] = makeSmall(x & 255);
      acc = B.createBin(pr, spec, values, sizes);
    }
    const ms = performance.now() - start;
    const md5 = createHash('md5').update(binaryBytes(pr, acc).bytes).digest();
    expect(hexOf(pr, mkTuple(pr, [OK, mkBinary(pr, md5)]))).toBe(result);
    expect(ms).toBeLessThan(10000); // quadratic copying would take minutes
    pr.release();
  });
});

describe('positions against erl', () => {
  it('getPosition/setPosition, startMatch on a match state, contextToBinary', () => {
    const bad: string[] = [];
    let matched = 0;
    for (const { args, result } of runs.get('bsp')!.results) {
      const pr = p();
      const [bin, s1, s2, s3] = listToArray(pr, term(pr, args))!;
      const got = outcome(pr, () => {
        const ms = B.startMatch(pr, bin!);
        if (ms === undefined) return atoms.intern('nomatch');
        const a = B.getInteger(pr, ms, B.fieldBits(pr, s1!, 1), 0);
        if (a === undefined) return atoms.intern('nomatch');
        const pos = B.getPosition(pr, ms);
        const v = B.getInteger(pr, B.startMatch(pr, ms)!, B.fieldBits(pr, s2!, 1), 0);
        if (v === undefined) return atoms.intern('nomatch');
        B.setPosition(pr, ms, pos);
        const c = B.getBinary(pr, ms, B.fieldBits(pr, s3!, 1));
        if (c === undefined) return atoms.intern('nomatch');
        matched++;
        return mkTuple(pr, [a, v, c, B.contextToBinary(pr, ms)]);
      });
      if (got !== result) bad.push(`${args}: erl ${result}, beamjs ${got}`);
    }
    expect(bad).toEqual([]);
    expect(matched).toBeGreaterThan(100);
  });
});
