/**
 * The BIFs of the code registry (vm/code/code_table.ts) that need no code
 * server: whether a module has old code, and deleting a module's current
 * code. Loading from Erlang (prepare_loading/finish_loading) and purging
 * (erts_code_purger) are not here yet.
 */
import { ATOM_FALSE, ATOM_TRUE, ATOM_UNDEFINED } from '../vm/term/atoms.js';
import { badarg } from '../vm/errors.js';
import { isAtom } from '../vm/term/tags.js';
import { defineBifs } from './registry.js';

defineBifs('erlang', 'bif', {
  'check_old_code/1': (p, [m]) => {
    if (!isAtom(m!)) throw badarg();
    return p.vm.modules.old(m!) !== undefined ? ATOM_TRUE : ATOM_FALSE;
  },
  'delete_module/1': (p, [m]) => {
    if (!isAtom(m!)) throw badarg();
    const deleted = p.vm.deleteModule(m!);
    if (deleted === false) throw badarg();
    return deleted === undefined ? ATOM_UNDEFINED : ATOM_TRUE;
  },
});
