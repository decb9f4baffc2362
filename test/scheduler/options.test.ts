// The schedulers option (scheduler/options.ts) while the VM runs only on the main thread.
import { expect, it } from 'vitest';
import { schedulerOption, WORKER_SCHEDULERS } from '../../scheduler/options.js';

it('accepts 0 and 1 (the inline scheduler), refuses more until the VM runs on worker threads, rejects junk', () => {
  expect(WORKER_SCHEDULERS).toBe(false);
  expect(schedulerOption(undefined, 'cores')).toBe(0);
  expect(schedulerOption(undefined, 'inline')).toBe(0);
  expect(schedulerOption('0', 'cores')).toBe(0);
  expect(schedulerOption(1, 'inline')).toBe(0);
  expect(() => schedulerOption('4', 'cores')).toThrow(/only 0 or 1/);
  for (const bad of ['', '-1', '1.5', 'x', '1025', -1, 1.5, 2000]) expect(() => schedulerOption(bad, 'cores')).toThrow(/an integer from 0 to 1024/);
});
