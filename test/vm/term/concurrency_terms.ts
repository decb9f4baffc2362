// The terms both sides of concurrency.test.ts build: deterministic per seed,
// with atoms shared between seeds (so workers race to create them) and
// binaries big enough to live off-heap.
import { Atom, Bitstring, EMap, Tuple, type ETerm } from '../../../loader/eterm.js';

export function makeTerms(seed: number): ETerm[] {
  const out: ETerm[] = [];
  for (let i = 0; i < 400; i++) {
    const shared = Atom.of(`shared_${i % 97}`);
    const own = Atom.of(`own_${seed}_${i}`);
    const bin = new Bitstring(Uint8Array.from({ length: 50 + (i % 100) }, (_, k) => (k * seed + i) & 255));
    out.push(
      new Tuple([
        shared,
        own,
        BigInt(i) * 10n ** 30n * BigInt(seed),
        i / 7,
        [bin, `text ${i}`.split('').map((c) => BigInt(c.charCodeAt(0)))],
        new EMap([BigInt(i), shared], [[], own]), // keys in map-key order: numbers before atoms
      ]),
    );
  }
  return out;
}
