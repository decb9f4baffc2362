/**
 * The list of a Process's fields that vm/process_state.ts saves when a
 * process moves to another scheduler must name every field: one added to
 * Process and forgotten there would be silently reset by a move. (That the
 * saved values come back right is shown by the fixtures run with
 * `migrateStress`, in test/fixtures.)
 */
import { describe, expect, it } from 'vitest';
import { VM } from '../../../vm/vm.js';
import { PER_THREAD_FIELDS, SAVED_FIELDS } from '../../../vm/process_state.js';

describe('process state saved for a move between schedulers', () => {
  it('names every own field of a Process, and nothing else', () => {
    const vm = new VM({ otpLibraries: false });
    const p = vm.spawn(vm.atoms.intern('erlang'), vm.atoms.intern('self'), []);
    const fields = Object.keys(p).sort();
    const known = [...SAVED_FIELDS, ...PER_THREAD_FIELDS].sort();
    expect(fields).toEqual(known);
  });
});
