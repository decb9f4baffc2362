/**
 * A small external term format reader, private to the text tests: it decodes
 * what OTP 25's term_to_binary/1 emits for the terms the write test generates.
 * (The real decoder is loader/etf.ts; this one exists so the tests do not
 * depend on it.) It is iterative, so deep terms do not overflow the JS stack.
 */
import {
  Atom,
  Bitstring,
  EMap,
  ExportFun,
  ImproperList,
  LocalFun,
  Pid,
  Port,
  Ref,
  Tuple,
  type ETerm,
} from '../../../loader/eterm.js';

/**
 * For a map of more than 32 entries (a HAMT inside the VM), OTP 25's
 * term_to_binary writes the entries in the reverse of the order in which the
 * VM iterates, and so prints, them. This reader keeps the printing order,
 * which is what the ~w tests need; the tests check it against erl.
 */
const HAMT_MIN = 33;

type Builder = { n: number; items: ETerm[]; finish: (items: ETerm[]) => ETerm };

export function decodeEtf(buf: Uint8Array): ETerm {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  if (buf[pos++] !== 131) throw new Error('not ETF (no version byte 131)');
  const u8 = () => buf[pos++]!;
  const u16 = () => ((pos += 2), dv.getUint16(pos - 2));
  const u32 = () => ((pos += 4), dv.getUint32(pos - 4));
  const bytes = (n: number) => ((pos += n), buf.subarray(pos - n, pos));
  const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
  const utf8 = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b);

  // Atoms in node/module positions are read synchronously (they are always atoms).
  const readAtom = (): Atom => {
    const tag = u8();
    switch (tag) {
      case 100: return Atom.of(latin1(bytes(u16())));
      case 115: return Atom.of(latin1(bytes(u8())));
      case 118: return Atom.of(utf8(bytes(u16())));
      case 119: return Atom.of(utf8(bytes(u8())));
      default: throw new Error(`expected an atom, tag ${tag} at ${pos - 1}`);
    }
  };
  const readSmallInt = (): number => {
    const tag = u8();
    if (tag === 97) return u8();
    if (tag === 98) return dv.getInt32((pos += 4) - 4);
    throw new Error(`expected a small integer, tag ${tag}`);
  };
  const readPid = (): Pid => {
    const tag = u8();
    const node = readAtom();
    if (tag === 88) return new Pid(node, u32(), u32(), u32());
    if (tag === 103) return new Pid(node, u32(), u32(), u8());
    throw new Error(`expected a pid, tag ${tag}`);
  };
  const big = (n: number): bigint => {
    const sign = u8();
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[pos + i]!);
    pos += n;
    return sign ? -v : v;
  };

  const stack: Builder[] = [];
  let result: ETerm | undefined;
  let done = false;

  // Hands a finished term to the innermost unfinished compound.
  const emit = (t: ETerm): void => {
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        result = t;
        done = true;
        return;
      }
      top.items.push(t);
      if (top.items.length < top.n) return;
      stack.pop();
      t = top.finish(top.items);
    }
  };
  const open = (n: number, finish: (items: ETerm[]) => ETerm): void => {
    if (n === 0) emit(finish([]));
    else stack.push({ n, items: [], finish });
  };

  while (!done) {
    const tag = u8();
    switch (tag) {
      case 97: emit(BigInt(u8())); break;
      case 98: emit(BigInt(dv.getInt32((pos += 4) - 4))); break;
      case 70: emit(dv.getFloat64((pos += 8) - 8)); break;
      case 110: emit(big(u8())); break;
      case 111: emit(big(u32())); break;
      case 100: case 115: case 118: case 119: pos--; emit(readAtom()); break;
      case 106: emit([]); break;
      case 107: emit(Array.from(bytes(u16()), (b) => BigInt(b))); break;
      case 104: open(u8(), (items) => new Tuple(items)); break;
      case 105: open(u32(), (items) => new Tuple(items)); break;
      case 108: {
        const n = u32();
        // n items then the tail
        open(n + 1, (items) => {
          const tail = items.pop()!;
          if (Array.isArray(tail) && tail.length === 0) return items;
          if (Array.isArray(tail)) return items.concat(tail);
          if (tail instanceof ImproperList) return new ImproperList(items.concat(tail.items), tail.tail);
          return new ImproperList(items, tail);
        });
        break;
      }
      case 109: emit(new Bitstring(bytes(u32()).slice())); break;
      case 77: {
        const n = u32();
        const bits = u8();
        emit(new Bitstring(bytes(n).slice(), n === 0 ? 0 : (n - 1) * 8 + bits));
        break;
      }
      case 116: {
        const n = u32();
        open(2 * n, (items) => {
          const keys: ETerm[] = [];
          const values: ETerm[] = [];
          for (let i = 0; i < items.length; i += 2) {
            keys.push(items[i]!);
            values.push(items[i + 1]!);
          }
          if (n >= HAMT_MIN) {
            keys.reverse();
            values.reverse();
          }
          return new EMap(keys, values);
        });
        break;
      }
      case 88: case 103: pos--; emit(readPid()); break;
      case 89: { const node = readAtom(); emit(new Port(node, BigInt(u32()), u32())); break; }
      case 120: { const node = readAtom(); const id = dv.getBigUint64((pos += 8) - 8); emit(new Port(node, id, u32())); break; }
      case 102: { const node = readAtom(); emit(new Port(node, BigInt(u32()), u8())); break; }
      case 90: case 114: {
        const len = u16();
        const node = readAtom();
        const creation = tag === 90 ? u32() : u8();
        const ids: number[] = [];
        for (let i = 0; i < len; i++) ids.push(u32());
        emit(new Ref(node, ids, creation));
        break;
      }
      case 113: {
        const module = readAtom();
        const name = readAtom();
        emit(new ExportFun(module, name, readSmallInt()));
        break;
      }
      case 112: {
        u32(); // size
        const arity = u8();
        const uniq = bytes(16).slice();
        const index = u32();
        const numFree = u32();
        const module = readAtom();
        const oldIndex = readSmallInt();
        const oldUniq = readSmallInt();
        const pid = readPid();
        open(numFree, (free) => new LocalFun(module, arity, uniq, index, oldIndex, oldUniq, pid, free));
        break;
      }
      default:
        throw new Error(`ETF tag ${tag} at ${pos - 1} not supported by the test reader`);
    }
  }
  if (pos !== buf.length) throw new Error(`trailing bytes after the term (${pos} of ${buf.length})`);
  return result!;
}
