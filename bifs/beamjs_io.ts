/**
 * The natives of the VM's own I/O server (vm/runtime/beamjs_io.erl):
 * synchronous writes to standard output or error, and reading a line of
 * standard input.
 */
import { ATOM_OK } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { isBitstring, isSmall, smallVal, binaryBytes, mkBinary } from '../vm/term/make.js';
import { defineBifs } from './registry.js';

defineBifs('beamjs_io', 'nif', {
  'write/3': (p, [fd, bin, encoding]) => {
    if (!isSmall(fd!) || !isBitstring(p, bin!)) throw badarg();
    const utf8 = binaryBytes(p, bin!).bytes;
    const bytes = encoding === p.atoms.intern('unicode') ? utf8.slice() : latin1Bytes(utf8);
    if (smallVal(fd!) === 1) p.vm.stdout(bytes);
    else p.vm.stderr(bytes);
    return ATOM_OK;
  },
  'read_line/0': (p) => {
    const line = p.vm.stdin();
    return line === undefined ? p.atoms.intern('eof') : mkBinary(p, line);
  },
});

/** UTF-8 text as a latin1 device writes it: characters above 255 as \\x{HEX}, as the real VM's standard I/O does. */
function latin1Bytes(utf8: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const ch of new TextDecoder().decode(utf8)) {
    const c = ch.codePointAt(0)!;
    if (c < 256) out.push(c);
    else for (const b of `\\x{${c.toString(16).toUpperCase()}}`) out.push(b.charCodeAt(0));
  }
  return Uint8Array.from(out);
}
