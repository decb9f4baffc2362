/**
 * Malformed .beam files: real files mutated thousands of times (truncation,
 * byte flips, length and count fields set huge, chunks swapped or dropped,
 * garbage inserted, whole-file gzip). Every case must end in a clean load or
 * in the loader's typed error, never another exception, and quickly.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import pako from 'pako';
import { otpBeamFiles, elixirBeamFiles } from '../support/erl.js';
import { parseBeam, readChunks } from '../../loader/beam_file.js';
import { decodeCode } from '../../loader/code.js';
import { disasmErlang, disasmListing, DisasmError } from '../../loader/disasm.js';
import { BeamFormatError } from '../../loader/errors.js';

/** A small deterministic PRNG (mulberry32) so that a failure can be replayed. */
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

const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0x00ffffff];

/** Offsets of each chunk header (id at o, size at o+4) in an uncompressed file. */
function chunkHeaders(bytes: Uint8Array): number[] {
  return readChunks(bytes).map((c) => c.offset - 8);
}

type Mutator = (b: Uint8Array, r: () => number) => Uint8Array;
const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;
const setU32 = (b: Uint8Array, at: number, v: number): void => {
  if (at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0);
};

const MUTATORS: Record<string, Mutator> = {
  truncate: (b, r) => b.slice(0, Math.floor(r() * b.length)),
  flipBytes: (b, r) => {
    const out = b.slice();
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) out[Math.floor(r() * out.length)] ^= 1 + Math.floor(r() * 255);
    return out;
  },
  hugeChunkSize: (b, r) => {
    const out = b.slice();
    setU32(out, pick(chunkHeaders(b), r) + 4, pick(HUGE, r));
    return out;
  },
  hugeFirstWords: (b, r) => {
    // Counts and sizes sit in the first words of most chunks (atom count,
    // import count, LitT size, Code header, Line counts, ...).
    const out = b.slice();
    const at = pick(chunkHeaders(b), r) + 8 + 4 * Math.floor(r() * 6);
    setU32(out, at, pick(HUGE, r));
    return out;
  },
  hugeFormSize: (b, r) => {
    const out = b.slice();
    setU32(out, 4, pick(HUGE, r));
    return out;
  },
  swapChunks: (b, r) => {
    // Two chunks trade contents (their ids stay), or trade places whole.
    const chunks = readChunks(b);
    const i = Math.floor(r() * chunks.length);
    let j = Math.floor(r() * chunks.length);
    if (j === i) j = (i + 1) % chunks.length;
    const swapped = chunks.map((c, k) => (k === i ? chunks[j]! : k === j ? chunks[i]! : c));
    const keepIds = r() < 0.7;
    return rebuild(swapped, (c, k) => (keepIds ? chunks[k]!.id : c.id));
  },
  renameChunk: (b, r) => {
    const chunks = readChunks(b);
    const victim = Math.floor(r() * chunks.length);
    const ids = chunks.map((c) => c.id);
    return rebuild(chunks, (c, k) => (k === victim ? pick(ids, r) : c.id));
  },
  dropChunk: (b, r) => {
    const chunks = readChunks(b);
    const victim = Math.floor(r() * chunks.length);
    return rebuild(chunks.filter((_, k) => k !== victim), (c) => c.id);
  },
  flipInCode: (b, r) => {
    const code = readChunks(b).find((c) => c.id === 'Code')!;
    const out = b.slice();
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) out[code.offset + Math.floor(r() * code.data.length)] = Math.floor(r() * 256);
    return out;
  },
  insertGarbage: (b, r) => {
    const at = Math.floor(r() * b.length);
    const junk = Uint8Array.from({ length: 1 + Math.floor(r() * 16) }, () => Math.floor(r() * 256));
    const out = new Uint8Array(b.length + junk.length);
    out.set(b.subarray(0, at));
    out.set(junk, at);
    out.set(b.subarray(at), at + junk.length);
    return out;
  },
  gzipped: (b, r) => pako.gzip(MUTATORS[pick(['truncate', 'flipBytes', 'hugeFirstWords', 'flipInCode'], r)]!(b, r)),
  truncatedGzip: (b, r) => {
    const z = pako.gzip(b);
    return z.slice(0, Math.floor(r() * z.length));
  },
};

function rebuild(chunks: { id: string; data: Uint8Array }[], idOf: (c: { id: string }, k: number) => string): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number): void => {
    parts.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  };
  chunks.forEach((c, k) => {
    for (const ch of idOf(c, k).padEnd(4).slice(0, 4)) parts.push(ch.charCodeAt(0));
    u32(c.data.length);
    parts.push(...c.data);
    while (parts.length % 4) parts.push(0);
  });
  const body = [...'BEAM'].map((c) => c.charCodeAt(0)).concat(parts);
  const head = [...'FOR1'].map((c) => c.charCodeAt(0));
  const size = body.length;
  return Uint8Array.from([...head, (size >>> 24) & 255, (size >>> 16) & 255, (size >>> 8) & 255, size & 255, ...body]);
}

/** Loads and disassembles; returns 'ok' or the typed error's class. Anything else propagates. */
function attempt(bytes: Uint8Array): string {
  try {
    const beam = parseBeam(bytes);
    decodeCode(beam);
    disasmListing(beam);
    disasmErlang(beam);
    return 'ok';
  } catch (e) {
    if (e instanceof BeamFormatError) return 'BeamFormatError';
    if (e instanceof DisasmError) return 'DisasmError';
    throw e;
  }
}

const samples = (() => {
  const otp = otpBeamFiles();
  const ex = elixirBeamFiles();
  const every = (xs: string[], n: number): string[] => xs.filter((_, i) => i % Math.max(1, Math.floor(xs.length / n)) === 0);
  // Small files keep the run short; a few large ones exercise long code.
  const bySize = [...otp, ...ex].map((f) => ({ f, size: readFileSync(f).length })).sort((a, b) => a.size - b.size);
  return [...every(bySize.slice(0, Math.floor(bySize.length * 0.7)).map((x) => x.f), 24), ...every(bySize.slice(-60).map((x) => x.f), 3)];
})();

describe('loader fuzzing', () => {
  for (const name of Object.keys(MUTATORS)) {
    it(`${name}: typed error or clean load, within a time bound`, () => {
      const random = rng(Number(process.env.BEAMJS_FUZZ_SEED ?? 0xbea5) + name.length * 7919);
      const outcomes = new Map<string, number>();
      let slowest = 0;
      const rounds = Number(process.env.BEAMJS_FUZZ_ROUNDS ?? 300);
      for (let i = 0; i < rounds; i++) {
        const file = samples[i % samples.length]!;
        const original = new Uint8Array(readFileSync(file));
        const mutated = MUTATORS[name]!(original, random);
        const start = performance.now();
        let outcome: string;
        try {
          outcome = attempt(mutated);
        } catch (e) {
          throw new Error(`${name} round ${i} on ${file}: untyped ${(e as Error)?.stack ?? String(e)}`);
        }
        const took = performance.now() - start;
        slowest = Math.max(slowest, took);
        expect(took, `${name} round ${i} on ${file} took ${took.toFixed(0)} ms`).toBeLessThan(3000);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      // The mutations must actually reach the error paths.
      expect(outcomes.get('BeamFormatError') ?? 0, JSON.stringify([...outcomes])).toBeGreaterThan(0);
    });
  }

  it('every unmutated sample loads cleanly', () => {
    for (const file of samples) expect(attempt(new Uint8Array(readFileSync(file))), file).toBe('ok');
  });
});
