/**
 * The public API of beamjs. Everything a library user imports comes from here.
 */
// Embedding: a VM in a Node program, and the JS values of Erlang terms.
export { BeamVM, ErlangError, VMStoppedError, Mailbox, formatValue } from './api.js';
export type { BeamVMOptions, OutputTarget, InputSource, ErlangClass, StackFrame, Result, NativeFunction, NativeContext } from './api.js';
export { Float, tuple, float, improperList, binary, text, charlist, fromCharlist } from './values.js';
export type { Value } from './values.js';
// Tools: the .beam parser, the disassembler, the external term format.
export { parseBeam, readChunks } from '../loader/beam_file.js';
export type { BeamFile, Chunk, CodeHeader, ImportEntry, ExportEntry, LambdaEntry, LineTable } from '../loader/beam_file.js';
export { decodeCode } from '../loader/code.js';
export type { GenericInstr } from '../loader/code.js';
export type { Operand } from '../loader/compact.js';
export { GENERIC_OPS, MAX_OPCODE, genericOp, genericOpByName } from '../loader/genop.js';
export type { GenericOp } from '../loader/genop.js';
export { disasmErlang, disasmListing, DisasmError } from '../loader/disasm.js';
export { BeamFormatError } from '../loader/errors.js';
export { decodeEtf, encodeEtf } from '../loader/etf.js';
export * from '../loader/eterm.js';
export { writeTerm } from './text/write.js';
export { VM, Halt } from './vm.js';
export type { VMOptions } from './vm.js';
export { LoadError } from './code/load.js';
