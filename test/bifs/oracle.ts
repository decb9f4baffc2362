/**
 * The BIF oracle: erl evaluates a list of calls `{Module, Function, Args}`
 * (an Erlang expression, so tables can be list comprehensions), applies each
 * one and prints the call and its outcome (`{ok, Result}` or `{Class,
 * Reason}`) as hex of term_to_binary. The test decodes each call onto a
 * fresh process, runs our BIF through the registry, and compares the outcome
 * as external-format bytes. Nothing expected is written by hand.
 */
import { Atom, Tuple, type ETerm } from '../../loader/eterm.js';
import { decodeEtf, encodeEtf } from '../../loader/etf.js';
import { lookupBif } from '../../bifs/registry.js';
import { Memory } from '../../vm/memory.js';
import { Process } from '../../vm/process.js';
import { AtomTable } from '../../vm/term/atoms.js';
import { fromETerm, sizeOfETerm, toETerm } from '../../vm/term/build.js';
import { ErlangException } from '../../vm/errors.js';
import { binaryBytes, isBitstring, mkBinary, mkSubBinary } from '../../vm/term/make.js';
import { makeLocalPid, type Term } from '../../vm/term/tags.js';
import { erlEval } from '../support/erl.js';

export interface OracleCase {
  /** hex of term_to_binary({M, F, Args}) */
  call: string;
  /** hex of term_to_binary({ok, R} | {Class, Reason}) */
  outcome: string;
}

/** Asks erl for the outcome of every call in `casesExpr` (an Erlang expression for a list of {M, F, Args}). */
export function erlOutcomes(casesExpr: string, prelude = ''): OracleCase[] {
  const code = `${prelude}
Cases = ${casesExpr},
Hex = fun(T) -> binary:encode_hex(term_to_binary(T)) end,
lists:foreach(fun({M, F, A}) ->
    R = try {ok, apply(M, F, A)} catch C:E -> {C, E} end,
    io:format("~s ~s~n", [Hex({M, F, A}), Hex(R)])
  end, Cases),
halt().`;
  return erlEval(code, { timeoutMs: 300_000 })
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [call, outcome] = l.split(' ');
      return { call: call!, outcome: outcome! };
    });
}

let mem: Memory | undefined;
let atoms: AtomTable | undefined;

/** One shared memory for all tests of a file; each call gets its own process. */
export function vm(): { mem: Memory; atoms: AtomTable } {
  if (mem === undefined) {
    mem = Memory.create({ initialBytes: 64 << 20 });
    atoms = AtomTable.format(mem);
  }
  return { mem, atoms: atoms! };
}

export function newProcess(): Process {
  const { mem, atoms } = vm();
  return new Process(mem, atoms, makeLocalPid(1, 0));
}

/** Builds an ETerm on the process. */
export function build(p: Process, e: ETerm): Term {
  return fromETerm(p, p.heapFor(sizeOfETerm(e, p)), e);
}

/**
 * The same bits as the bitstring `t`, as a sub-binary starting 3 bits into a
 * fresh binary (so BIFs meet unaligned data); other terms unchanged.
 */
export function unaligned(p: Process, t: Term): Term {
  if (!isBitstring(p, t)) return t;
  const { bytes, bitLength } = binaryBytes(p, t);
  const src = bytes.slice();
  const n = ((bitLength + 3 + 7) >>> 3) || 1;
  const out = new Uint8Array(n);
  out[0] = 0xa0; // 3 junk bits, then the data
  for (let i = 0; i < bitLength; i++) {
    const bit = (src[i >>> 3]! >>> (7 - (i & 7))) & 1;
    const j = i + 3;
    out[j >>> 3]! |= bit << (7 - (j & 7));
  }
  if (((bitLength + 3) & 7) !== 0) out[n - 1]! |= 0xff >>> ((bitLength + 3) & 7); // junk after the data too
  return mkSubBinary(p, mkBinary(p, out), 3, bitLength);
}

export interface Outcome {
  call: string;
  want: string;
  got: string;
}

const OK = Atom.of('ok');

/** Runs our BIF for one oracle case; `transform` may rewrite the arguments. Returns the outcome hex. */
export function runCase(c: OracleCase, transform?: (p: Process, args: Term[]) => Term[]): { got: string; label: string } {
  const call = decodeEtf(Buffer.from(c.call, 'hex'));
  const [m, f, a] = (call as Tuple).elements as [Atom, Atom, ETerm[]];
  const label = `${m.name}:${f.name}/${a.length} ${c.call.slice(0, 120)}`;
  const bif = lookupBif(m.name, f.name, a.length);
  if (bif === undefined) return { got: `no BIF ${m.name}:${f.name}/${a.length}`, label };
  const p = newProcess();
  try {
    let args = a.map((e) => build(p, e));
    if (transform !== undefined) args = transform(p, args);
    let outcome: ETerm;
    try {
      outcome = new Tuple([OK, toETerm(p, bif.fn(p, args))]);
    } catch (e) {
      if (!(e instanceof ErlangException)) return { got: `JS ${(e as Error).stack ?? String(e)}`, label };
      outcome = new Tuple([toETerm(p, e.cls), toETerm(p, e.reason)]);
    }
    return { got: Buffer.from(encodeEtf(outcome)).toString('hex').toUpperCase(), label };
  } finally {
    p.release();
  }
}

/** Mismatches (as readable lines) of our BIFs against erl's outcomes. */
export function mismatches(cases: OracleCase[], transform?: (p: Process, args: Term[]) => Term[]): string[] {
  const bad: string[] = [];
  for (const c of cases) {
    const { got, label } = runCase(c, transform);
    if (got !== c.outcome) bad.push(`${label}\n   want ${describe(c.outcome)}\n   got  ${got.startsWith('JS') || got.startsWith('no') ? got : describe(got)}`);
  }
  return bad;
}

/** A short readable form of an outcome's hex. */
export function describe(hex: string): string {
  try {
    return show(decodeEtf(Buffer.from(hex, 'hex'))).slice(0, 300);
  } catch {
    return hex.slice(0, 200);
  }
}

function show(e: ETerm): string {
  if (typeof e === 'bigint') return e.toString();
  if (typeof e === 'number') return Object.is(e, -0) ? '-0.0' : String(e) + (Number.isInteger(e) ? '.0' : '');
  if (e instanceof Atom) return e.name;
  if (Array.isArray(e)) return '[' + e.map(show).join(',') + ']';
  if (e instanceof Tuple) return '{' + e.elements.map(show).join(',') + '}';
  if (e && typeof e === 'object' && 'bytes' in e) {
    const b = e as { bytes: Uint8Array; bitLength: number };
    return `<<${Array.from(b.bytes).join(',')}>>/${b.bitLength}`;
  }
  return String(e?.constructor?.name ?? e);
}

/** Calls of each Module:Function/Arity present in the cases (to check a table is not empty). */
export function countByFunction(cases: OracleCase[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of cases) {
    const [mod, f, a] = (decodeEtf(Buffer.from(c.call, 'hex')) as Tuple).elements as [Atom, Atom, ETerm[]];
    const k = `${mod.name}:${f.name}/${a.length}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** True when any argument of the call is a bitstring (worth running again unaligned). */
export function hasBitstringArg(c: OracleCase): boolean {
  const call = decodeEtf(Buffer.from(c.call, 'hex')) as Tuple;
  return (call.elements[2] as ETerm[]).some((x) => x !== null && typeof x === 'object' && 'bitLength' in x);
}
