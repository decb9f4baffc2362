/**
 * A tiny `io_lib:format("~w", [T])` for the terms the Type-chunk tests
 * compare: atoms, integers, tuples, lists and empty maps. Anything else
 * throws rather than print something that might not match erl.
 * (vm/text/write.ts will be the real printer; this keeps the tests
 * independent of it.)
 */
import { Atom, EMap, ImproperList, Tuple, type ETerm } from '../../loader/eterm.js';

/** Reserved words of OTP 25's erl_scan, which ~w must quote. */
const RESERVED = new Set(
  (
    'after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let ' +
    'not of or orelse receive rem try when xor'
  ).split(' '),
);

function writeAtom(name: string): string {
  if (/^[a-z][a-zA-Z0-9_@]*$/.test(name) && !RESERVED.has(name)) return name;
  if (!/^[\x20-\x7e]*$/.test(name)) throw new Error(`types_print: atom ${JSON.stringify(name)} not supported`);
  return `'${name.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

export function writeW(t: ETerm): string {
  if (typeof t === 'bigint') return t.toString();
  if (t instanceof Atom) return writeAtom(t.name);
  if (t instanceof Tuple) return `{${t.elements.map(writeW).join(',')}}`;
  if (Array.isArray(t)) return `[${t.map(writeW).join(',')}]`;
  if (t instanceof ImproperList) return `[${t.items.map(writeW).join(',')}|${writeW(t.tail)}]`;
  if (t instanceof EMap && t.size === 0) return '#{}';
  throw new Error(`types_print: term not supported: ${String(t)}`);
}
