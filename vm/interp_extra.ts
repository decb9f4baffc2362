/**
 * Handlers for the instructions that have no case in the interpreter's hot
 * switch (maps, bit syntax): opcode → handler. Each gets the process with
 * its state synced and returns the next pc.
 */
import type { Process } from './process.js';
import type { VM } from './vm.js';
import type { FailInfo, Registers } from './interp.js';

export type ColdHandler = (vm: VM, p: Process, regs: Registers, m: Int32Array, pc: number, fail: FailInfo) => number;

export const colds: Array<ColdHandler | undefined> = [];
