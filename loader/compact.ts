/**
 * The compact term encoding used for instruction operands in the Code chunk
 * (and for a few fields of the Line and AtU8 chunks).
 *
 * First byte, low three bits: the tag.
 *   u 0  unsigned literal     i 1  integer        a 2  atom index (0 = [])
 *   x 3  x register           y 4  y register     f 5  label
 *   h 6  character (old)      z 7  extended (see below)
 * Value, by bits 3 and 4 of the first byte:
 *   vvvv0ttt                 value 0..15 in the top four bits
 *   vvv01ttt vvvvvvvv        value 0..2047, eleven bits
 *   nnn11ttt then bytes      nnn+2 big-endian bytes (nnn = 7: the length-9
 *                            follows as a u operand); for `i` two's complement
 * Extended tags (z), value in the top four bits:
 *   0 float (8 bytes)  1 list (length u, then elements)  2 float register
 *   3 allocation list  4 literal (index u)  5 typed register (register, type index u)
 */
import type { ByteReader } from './reader.js';

export type Operand =
  | { kind: 'u'; value: number }
  | { kind: 'i'; value: bigint }
  | { kind: 'a'; value: number }
  | { kind: 'x' | 'y' | 'f' | 'h'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'list'; elements: Operand[] }
  | { kind: 'fr'; value: number }
  | { kind: 'alloc'; entries: AllocEntry[] }
  | { kind: 'literal'; index: number }
  | { kind: 'tr'; reg: Operand; typeIndex: number };

/** One entry of an allocation list: 0 words, 1 floats, 2 funs. */
export interface AllocEntry {
  readonly type: 0 | 1 | 2;
  readonly count: number;
}

const BASIC_TAGS = ['u', 'i', 'a', 'x', 'y', 'f', 'h'] as const;

/** Reads the raw tag and value of one basic operand; the value as a bigint only when large. */
function readTagged(r: ByteReader): { tag: number; small: number; big?: bigint } {
  const at = r.pos;
  const b = r.u8();
  const tag = b & 7;
  if ((b & 0x08) === 0) return { tag, small: b >> 4 };
  if ((b & 0x10) === 0) return { tag, small: ((b & 0xe0) << 3) | r.u8() };
  if (tag === 7) r.fail('extended tag with a multi-byte value', at);
  let len = (b >> 5) + 2;
  if (len === 9) {
    const extra = readUnsigned(r);
    len = extra + 9;
  }
  if (len > r.remaining) r.fail(`integer of ${len} bytes runs past the end`, at);
  const bytes = r.take(len);
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  if (tag === 1 && (bytes[0]! & 0x80) !== 0) n -= 1n << BigInt(len * 8);
  if (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return { tag, small: Number(n) };
  }
  return { tag, small: NaN, big: n };
}

/** A `u` operand, as a plain number (used for lengths and indices). */
export function readUnsigned(r: ByteReader): number {
  const at = r.pos;
  const t = readTagged(r);
  if (t.tag !== 0) r.fail(`expected an unsigned operand, found tag ${t.tag}`, at);
  if (t.big !== undefined || t.small < 0) r.fail('unsigned operand out of range', at);
  return t.small;
}

/** Reads one operand. Lists are read whole; their length is bounded by the bytes left. */
export function readOperand(r: ByteReader): Operand {
  const at = r.pos;
  const b = r.bytes[r.pos];
  if (b !== undefined && (b & 7) === 7) {
    r.pos++;
    if ((b & 0x08) !== 0) r.fail('malformed extended tag', at);
    switch (b >> 4) {
      case 0:
        return { kind: 'float', value: r.f64() };
      case 1: {
        const length = readUnsigned(r);
        // Every element takes at least one byte: refuse lengths the data cannot hold.
        if (length > r.remaining) r.fail(`list of ${length} elements runs past the end`, at);
        const elements: Operand[] = [];
        for (let i = 0; i < length; i++) elements.push(readOperand(r));
        return { kind: 'list', elements };
      }
      case 2:
        return { kind: 'fr', value: readUnsigned(r) };
      case 3: {
        const count = readUnsigned(r);
        if (count * 2 > r.remaining) r.fail(`allocation list of ${count} entries runs past the end`, at);
        const entries: AllocEntry[] = [];
        for (let i = 0; i < count; i++) {
          const typeAt = r.pos;
          const type = readUnsigned(r);
          if (type > 2) r.fail(`unknown allocation type ${type}`, typeAt);
          entries.push({ type: type as 0 | 1 | 2, count: readUnsigned(r) });
        }
        return { kind: 'alloc', entries };
      }
      case 4:
        return { kind: 'literal', index: readUnsigned(r) };
      case 5: {
        const reg = readOperand(r);
        if (reg.kind !== 'x' && reg.kind !== 'y') r.fail('typed register is not a register', at);
        return { kind: 'tr', reg, typeIndex: readUnsigned(r) };
      }
      default:
        r.fail(`unknown extended tag ${b >> 4}`, at);
    }
  }
  const t = readTagged(r);
  const kind = BASIC_TAGS[t.tag]!;
  if (kind === 'i') return { kind, value: t.big ?? BigInt(t.small) };
  if (t.big !== undefined) r.fail(`operand {${kind}, ...} out of range`, at);
  return { kind, value: t.small };
}
