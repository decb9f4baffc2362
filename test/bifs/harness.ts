/**
 * Calling BIFs against the real erl, for the tests of bifs/*.ts.
 *
 * erl evaluates a list of calls `{Module, Function, Args}` built by the test
 * (usually generated there with a seeded rand) and prints, for each, the
 * external term format of the call and of its outcome: `{ok, Value}` or
 * `{error, Class, Reason}`. The test decodes each call onto a process heap,
 * runs our BIF on the same arguments and encodes its outcome the same way;
 * the two encodings must be equal byte for byte.
 */
import { decodeEtf } from '../../loader/etf.js';
import { Atom, Bitstring, EMap, ImproperList, Tuple, type ETerm } from '../../loader/eterm.js';
import { lookupBif } from '../../bifs/registry.js';
import { Memory } from '../../vm/memory.js';
import { Process } from '../../vm/process.js';
import { ErlangException } from '../../vm/errors.js';
import { AtomTable } from '../../vm/term/atoms.js';
import { binaryToTerm, termToBinary } from '../../vm/term/etf.js';
import { listToArray, mkTuple2, mkTuple3, tupleElements } from '../../vm/term/make.js';
import { makeLocalPid, type Term } from '../../vm/term/tags.js';
import { erlEval } from '../support/erl.js';

export interface ErlCase {
  /** term_to_binary({M, F, Args}) */
  call: Buffer;
  /** term_to_binary({ok, V}) or term_to_binary({error, Class, Reason}) */
  outcome: Buffer;
}

/**
 * Runs `erl` on `casesExpr`, an Erlang expression (it may be a sequence of
 * expressions ending in one) whose value is a list of {M, F, Args}. `prep`
 * is an Erlang fun applied to each Args before the call (e.g. to compile a
 * pattern); the printed call keeps the unprepared Args.
 */
export function erlCases(casesExpr: string, prep = 'fun(A) -> A end'): ErlCase[] {
  const out = erlEval(`
    Prep = ${prep},
    Cases = begin ${casesExpr} end,
    Hex = fun(T) -> binary:encode_hex(term_to_binary(T)) end,
    Lines = [begin
               R = try {ok, apply(M, F, Prep(A))} catch C:E -> {error, C, E} end,
               [Hex({M, F, A}), $\\s, Hex(R), $\\n]
             end || {M, F, A} <- Cases],
    io:put_chars(Lines),
    halt().`);
  const cases: ErlCase[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [call, outcome] = line.split(' ');
    cases.push({ call: Buffer.from(call!, 'hex'), outcome: Buffer.from(outcome!, 'hex') });
  }
  return cases;
}

export interface VmHarness {
  /** A fresh process (the previous one is released). */
  process(): Process;
}

export function vmHarness(): VmHarness {
  const mem = Memory.create();
  const atoms = AtomTable.format(mem);
  let current: Process | undefined;
  return {
    process() {
      current?.release();
      current = new Process(mem, atoms, makeLocalPid(1, 0));
      return current;
    },
  };
}

/** Decodes an ETF binary onto the process heap. */
export function termOf(p: Process, bytes: Uint8Array): Term {
  return binaryToTerm(p, p.heapFor(bytes.length * 4 + 64), bytes);
}

/**
 * Calls the registered BIF and returns the ETF of its outcome, in the shape
 * erlCases prints. `args` may be a function computing them (its Erlang
 * exceptions count as the outcome). A JS exception that is not an
 * ErlangException propagates.
 */
export function outcomeOf(p: Process, module: string, fn: string, args: Term[] | (() => Term[])): Buffer {
  let result: Term;
  try {
    const argv = typeof args === 'function' ? args() : args;
    const bif = lookupBif(module, fn, argv.length);
    if (bif === undefined) throw new Error(`no BIF ${module}:${fn}/${argv.length}`);
    result = mkTuple2(p, p.atoms.intern('ok'), bif.fn(p, argv.slice()));
  } catch (e) {
    if (!(e instanceof ErlangException)) throw e;
    result = mkTuple3(p, p.atoms.intern('error'), e.cls, e.reason);
  }
  return Buffer.from(termToBinary(p, result));
}

/**
 * Runs every case: decodes the call, lets `prep` rewrite the arguments (it
 * gets the process and the argument terms), calls the BIF and compares the
 * outcome with erl's. Returns a description of each mismatch (at most `max`).
 */
export function runCases(
  vm: VmHarness,
  cases: ErlCase[],
  prep: (p: Process, args: Term[]) => Term[] = (_p, a) => a,
  max = 20,
): string[] {
  const bad: string[] = [];
  let p = vm.process();
  for (let i = 0; i < cases.length; i++) {
    if (i % 200 === 199) p = vm.process();
    const c = cases[i]!;
    const call = termOf(p, c.call);
    const [m, f, a] = tupleElements(p, call);
    let got: Buffer;
    try {
      // Like erl, a failure while preparing the arguments is the call's outcome.
      got = outcomeOf(p, p.atoms.name(m!), p.atoms.name(f!), () => prep(p, listToArray(p, a!)!));
    } catch (e) {
      bad.push(`${show(decodeEtf(c.call))}: JS exception ${(e as Error).stack}`);
      if (bad.length >= max) break;
      continue;
    }
    if (!got.equals(c.outcome)) {
      bad.push(`${show(decodeEtf(c.call))}\n   erl:    ${show(decodeEtf(c.outcome))}\n   beamjs: ${show(decodeEtf(got))}`);
      if (bad.length >= max) break;
    }
  }
  return bad;
}

/** A short Erlang-like rendering of a term, for failure messages. */
export function show(t: ETerm, limit = 300): string {
  const s = render(t);
  return s.length > limit ? s.slice(0, limit) + '...' : s;
}

function render(t: ETerm): string {
  if (typeof t === 'bigint') return t.toString();
  if (typeof t === 'number') return Object.is(t, -0) ? '-0.0' : Number.isInteger(t) ? t.toFixed(1) : String(t);
  if (t instanceof Atom) return t.name;
  if (Array.isArray(t)) return `[${t.map(render).join(',')}]`;
  if (t instanceof ImproperList) return `[${t.items.map(render).join(',')}|${render(t.tail)}]`;
  if (t instanceof Tuple) return `{${t.elements.map(render).join(',')}}`;
  if (t instanceof Bitstring) {
    const bytes = Array.from(t.bytes.subarray(0, t.bitLength >>> 3)).join(',');
    const extra = t.bitLength & 7;
    const tail = extra === 0 ? '' : `${bytes.length > 0 ? ',' : ''}${t.bytes[t.bitLength >>> 3]! >> (8 - extra)}:${extra}`;
    return `<<${bytes}${tail}>>`;
  }
  if (t instanceof EMap) return `#{${t.keys.map((k, i) => `${render(k)}=>${render(t.values[i]!)}`).join(',')}}`;
  return String(t);
}
