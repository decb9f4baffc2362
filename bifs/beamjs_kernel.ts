/**
 * The natives of the direct start-up's kernel module
 * (vm/runtime/beamjs_kernel.erl): the text of an application resource file
 * found on the code path (direct mode has no file server), and the signal
 * that start-up is done.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ATOM_ERROR, ATOM_OK } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { isAtom } from '../vm/term/tags.js';
import { mkBinary, mkTuple2 } from '../vm/term/make.js';
import { defineBifs } from './registry.js';

defineBifs('beamjs_kernel', 'nif', {
  'app_file/1': (p, [name]) => {
    if (!isAtom(name!)) throw badarg();
    const file = `${p.atoms.name(name!)}.app`;
    for (const dir of p.vm.codePath) {
      const path = join(dir, file);
      if (existsSync(path)) return mkTuple2(p, ATOM_OK, mkBinary(p, readFileSync(path)));
    }
    return mkTuple2(p, ATOM_ERROR, p.atoms.intern('enoent'));
  },
  'started/0': (p) => {
    p.vm.kernelStarted = true;
    return ATOM_OK;
  },
});
