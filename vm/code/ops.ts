/**
 * The specific instructions: what the loader writes into threaded code and
 * what the interpreter dispatches on. Declared once, here.
 *
 * A specific instruction whose operands are the generic instruction's,
 * encoded as below, keeps the generic opcode number (loader/genop.ts): e.g.
 * `move` is 64 in the Code chunk and 64 in threaded code. Specialized and
 * fused forms (selected by the rules in vm/code/transform.ts) and the VM's
 * own instructions (stubs) take numbers from FIRST_SPECIFIC up, listed in
 * SPECIFIC_OPS with their operand layout.
 *
 * Operand encoding in threaded code (one Int32 word each):
 *   label        absolute code address (0: no fail label, raise instead)
 *   source       a term word when its primary tag is not 00 (immediates, and
 *                list/boxed pointers into the module's literal area), else a
 *                register: n << 3 | 0 for x(n), n << 3 | 4 for y(n)
 *   destination  a register word as above
 *   atom         the atom's term word
 *   import       an export-table entry index
 *   bif          a BIF_TABLE index (bifs/registry.ts)
 *   lambda       the address of the lambda's shared record (code_table.ts FunWord)
 *   string       byte address of the module's string table plus the offset
 *   alloc        the number of heap words (our layouts: floats take 3)
 *   unsigned, flags   the number itself
 *   list         its length, then each element encoded by its own kind
 *   float reg    its index
 */

export const FIRST_SPECIFIC = 200;

/**
 * func_info M F A is written with one more word: a counter of local calls
 * to the function, just before its entry (the JIT's hotness counter).
 */
export const FUNC_INFO_WORDS = 5;

/** Opcodes from here up are entries into JIT-compiled code: JIT_BASE + global JIT index (vm/jit.ts). */
export const JIT_BASE = 1000;

/** Register operand words. */
export const REG_Y_BIT = 4;
export const xReg = (n: number): number => n << 3;
export const yReg = (n: number): number => (n << 3) | REG_Y_BIT;
export const isRegisterOperand = (w: number): boolean => (w & 3) === 0;

type SpecificRow = readonly [name: string, operands: string, why: string];

/**
 * Operand letters as in loader/genop.ts, plus: f float register, n count,
 * v a term value (immediate), * a variable-length tail described by `why`.
 */
const ROWS: readonly SpecificRow[] = [
  ['call_bif_return', 'b', 'VM stub: the body of an export entry that is a BIF: call it on x0.. and return'],
  ['process_exit', '', 'VM stub: the return address a process starts with; its return ends the process normally'],
  ['select_val_jump_table', 'slun*', 'select_val on small integers that are dense: min, count, then count labels'],
  ['select_val_search', 'sln*', 'select_val on immediates: count sorted values, then their labels (binary search)'],
  ['select_val_linear', 'sln*', 'select_val with other values: count (value, label) pairs, compared with =:='],
  ['add', 'lssd', 'gc_bif2 erlang:+/2 (fast path on small integers)'],
  ['sub', 'lssd', 'gc_bif2 erlang:-/2 (fast path on small integers)'],
  ['move_return', 's', 'move S x0 | return'],
  ['move_deallocate_return', 'su', 'move S x0 | deallocate N | return'],
  ['deallocate_return', 'u', 'deallocate N | return'],
  ['fmove_to_freg', 'sf', 'fmove from a term to a float register'],
  ['fmove_from_freg', 'fd', 'fmove from a float register to a register, as a float term'],
  ['apply_stub', 'u', 'VM stub: apply/3 with M, F, Args in x0..x2 (also erlang:apply/3)'],
  ['apply2_stub', '', 'VM stub: erlang:apply/2 with Fun, Args in x0, x1'],
  ['bif_stub_error', 'b', 'VM stub: erlang:error/1,2,3, exit/1, throw/1, raise/3 (need the caller frame)'],
  ['call_bif', 'buu', 'call_ext/call_ext_only/call_ext_last to a BIF: call it in place (mode 0 call, 1 only, 2 last with Dealloc), so that its errors show the calling function as the real VM does'],
];

export interface SpecificOp {
  readonly opcode: number;
  readonly name: string;
  readonly operands: string;
  readonly why: string;
}

export const SPECIFIC_OPS: readonly SpecificOp[] = ROWS.map(([name, operands, why], i) => ({
  opcode: FIRST_SPECIFIC + i,
  name,
  operands,
  why,
}));

const BY_NAME = new Map(SPECIFIC_OPS.map((o) => [o.name, o.opcode]));

/** The opcode of a specific instruction, by name. */
export function specificOpcode(name: string): number {
  const op = BY_NAME.get(name);
  if (op === undefined) throw new Error(`no specific instruction ${name}`);
  return op;
}

// Opcodes the interpreter's switch names as constants (a test checks them against the table).
export const OP_CALL_BIF_RETURN = 200;
export const OP_PROCESS_EXIT = 201;
export const OP_SELECT_VAL_JT = 202;
export const OP_SELECT_VAL_SEARCH = 203;
export const OP_SELECT_VAL_LINEAR = 204;
export const OP_ADD = 205;
export const OP_SUB = 206;
export const OP_MOVE_RETURN = 207;
export const OP_MOVE_DEALLOCATE_RETURN = 208;
export const OP_DEALLOCATE_RETURN = 209;
export const OP_FMOVE_TO_FREG = 210;
export const OP_FMOVE_FROM_FREG = 211;
export const OP_APPLY_STUB = 212;
export const OP_APPLY2_STUB = 213;
export const OP_BIF_STUB_ERROR = 214;
export const OP_CALL_BIF = 215;
