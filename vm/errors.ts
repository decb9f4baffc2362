/**
 * Erlang exceptions raised from native code (BIFs, the loader, the
 * interpreter's cold paths). A BIF throws an ErlangException; the interpreter
 * catches it, builds the stack trace and unwinds to the nearest catch, exactly
 * as if an Erlang instruction had failed. Nothing else is thrown at Erlang
 * code: any other JS exception from a BIF is a bug in beamjs, reported as such
 * and turned into an error of the process, never of the host.
 */
import { commonAtom } from './term/atoms.js';
import type { Term } from './term/tags.js';

export const CLASS_ERROR = commonAtom('error');
export const CLASS_EXIT = commonAtom('exit');
export const CLASS_THROW = commonAtom('throw');

export class ErlangException extends Error {
  constructor(
    /** The class atom: error, exit or throw. */
    readonly cls: Term,
    /** The reason term (built on the raising process's heap when not immediate). */
    readonly reason: Term,
    /** For `error` raised by a BIF: the `cause` of its error_info map, or undefined. */
    override readonly cause?: Term,
    /** erlang:error/2,3: the argument list to show in the top frame instead of the arity. */
    readonly args?: Term,
    /** erlang:raise/3 and raw_raise: the stack trace to keep instead of building one. */
    readonly stacktrace?: Term,
  ) {
    super('erlang exception');
    this.name = 'ErlangException';
  }
}

/** error:Reason */
export const erlError = (reason: Term, cause?: Term): ErlangException => new ErlangException(CLASS_ERROR, reason, cause);
export const erlExit = (reason: Term): ErlangException => new ErlangException(CLASS_EXIT, reason);
export const erlThrow = (value: Term): ErlangException => new ErlangException(CLASS_THROW, value);

export const badarg = (cause?: Term): ErlangException => erlError(commonAtom('badarg'), cause);
export const badarith = (): ErlangException => erlError(commonAtom('badarith'));
export const systemLimit = (cause?: Term): ErlangException => erlError(commonAtom('system_limit'), cause);
