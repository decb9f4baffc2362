/**
 * Decodes the Code chunk's instruction stream into generic instructions with
 * their operands. This runs once per module at load time; nothing later
 * reads the compact encoding again.
 */
import { readOperand, type Operand } from './compact.js';
import { ByteReader } from './reader.js';
import { genericOp, type GenericOp } from './genop.js';
import type { BeamFile } from './beam_file.js';

export interface GenericInstr {
  readonly op: GenericOp;
  readonly args: Operand[];
  /** Offset of the opcode byte in the Code chunk's data. */
  readonly offset: number;
}

export function decodeCode(file: BeamFile): GenericInstr[] {
  const { data, codeOffset } = file.code;
  const r: ByteReader = new ByteReader(data, 'Code', codeOffset);
  const instrs: GenericInstr[] = [];
  while (!r.atEnd()) {
    const offset = r.pos;
    const opcode = r.u8();
    const op = genericOp(opcode);
    if (op === undefined) r.fail(`unknown opcode ${opcode}`, offset);
    const args: Operand[] = [];
    for (let i = 0; i < op.arity; i++) args.push(readOperand(r));
    instrs.push({ op, args, offset });
  }
  return instrs;
}
