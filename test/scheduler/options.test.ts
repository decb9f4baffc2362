// The schedulers option (scheduler/options.ts), shared by `beamjs run` and the embedding API.
import { expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { schedulerOption } from '../../scheduler/options.js';
import { BeamVM } from '../../vm/api.js';

it('0 is the inline scheduler, N worker schedulers, the default one per core for the CLI and inline for the API; junk is refused', async () => {
  expect(schedulerOption(undefined, 'cores')).toBe(availableParallelism());
  expect(schedulerOption(undefined, 'inline')).toBe(0);
  expect(schedulerOption('0', 'cores')).toBe(0);
  expect(schedulerOption('4', 'cores')).toBe(4);
  expect(schedulerOption(1, 'inline')).toBe(1);
  for (const bad of ['', '-1', '1.5', 'x', '1025', -1, 1.5, 2000]) expect(() => schedulerOption(bad, 'cores')).toThrow(/an integer from 0 to 1024/);
  // The embedding API runs its processes on the host's event loop: worker schedulers are refused.
  await expect(BeamVM.create({ schedulers: 2, otpLibraries: false })).rejects.toThrow(RangeError);
});
