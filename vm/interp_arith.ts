/**
 * The slow paths of the interpreter's fused arithmetic instructions: the
 * work is the BIF's (bifs/erlang_arith.ts); this only records which BIF
 * failed, so that the stack trace shows {erlang, '+', [A, B], ...} as the
 * real VM's does.
 */
import { arithAdd, arithSub } from '../bifs/erlang_arith.js';
import type { Term } from './term/tags.js';
import type { Process } from './process.js';
import type { VM } from './vm.js';
import { FrameKind, type FailInfo } from './interp.js';

export function addSlow(p: Process, a: Term, b: Term, fail: FailInfo, vm: VM): Term {
  fail.kind = FrameKind.InlineBif;
  fail.bif = vm.bif('erlang', '+', 2);
  fail.args = [a, b];
  const r = arithAdd(p, a, b);
  fail.kind = FrameKind.Current;
  return r;
}

export function subSlow(p: Process, a: Term, b: Term, fail: FailInfo, vm: VM): Term {
  fail.kind = FrameKind.InlineBif;
  fail.bif = vm.bif('erlang', '-', 2);
  fail.args = [a, b];
  const r = arithSub(p, a, b);
  fail.kind = FrameKind.Current;
  return r;
}
