/**
 * The generic BEAM instructions: the contract between the compiler and the
 * loader, numbered as in OTP's genop.tab (the installed compiler's
 * `beam_opcodes:opname/1` gives numbers 1..180 for OTP 25; 181..184 were added
 * by OTP 26..28). Declared once, here; the code decoder, the disassembler and
 * the interpreter's specific-instruction selection all read this table, and a
 * test checks it against the installed compiler.
 *
 * Operand kinds, one letter per operand (what the compiler puts there):
 *   l  label {f,N} (0 = no failure label: raise instead)
 *   u  unsigned literal {u,N}
 *   s  source: x/y register, integer, atom, nil, literal, float
 *   d  destination: x or y register
 *   x  x register            y  y register
 *   a  atom                  i  import-table index (u)
 *   b  BIF: import index (u) of a guard BIF
 *   k  lambda-table index (u)
 *   A  allocation: u (words) or an allocation list
 *   F  float register or source
 *   o  bit-syntax field flags (u)
 *   z  string-table offset (u)
 *   n  line-table index (u)
 *   L  extended list operand ({z,1}): its length and elements follow
 *   t  tag or hint atom, or a label
 *   *  anything (version-dependent or unused)
 */

export interface GenericOp {
  readonly opcode: number;
  readonly name: string;
  readonly arity: number;
  /** One operand-kind letter per operand (see above). */
  readonly kinds: string;
  /** The OTP release that introduced it. */
  readonly since: string;
  /** Obsolete: not emitted by any compiler since R13 and refused by modern loaders. */
  readonly obsolete?: true;
}

type Row = readonly [opcode: number, name: string, kinds: string, since: string, obsolete?: 'obsolete'];

const ROWS: readonly Row[] = [
  [1, 'label', 'u', 'R1'],
  [2, 'func_info', 'aau', 'R1'],
  [3, 'int_code_end', '', 'R1'],
  [4, 'call', 'ul', 'R1'],
  [5, 'call_last', 'ulu', 'R1'],
  [6, 'call_only', 'ul', 'R1'],
  [7, 'call_ext', 'ui', 'R1'],
  [8, 'call_ext_last', 'uiu', 'R1'],
  [9, 'bif0', 'bd', 'R1'],
  [10, 'bif1', 'lbsd', 'R1'],
  [11, 'bif2', 'lbssd', 'R1'],
  [12, 'allocate', 'uu', 'R1'],
  [13, 'allocate_heap', 'uAu', 'R1'],
  [14, 'allocate_zero', 'uu', 'R1'],
  [15, 'allocate_heap_zero', 'uAu', 'R1'],
  [16, 'test_heap', 'Au', 'R1'],
  [17, 'init', 'y', 'R1'],
  [18, 'deallocate', 'u', 'R1'],
  [19, 'return', '', 'R1'],
  [20, 'send', '', 'R1'],
  [21, 'remove_message', '', 'R1'],
  [22, 'timeout', '', 'R1'],
  [23, 'loop_rec', 'ld', 'R1'],
  [24, 'loop_rec_end', 'l', 'R1'],
  [25, 'wait', 'l', 'R1'],
  [26, 'wait_timeout', 'ls', 'R1'],
  [27, 'm_plus', 'lssd', 'R1', 'obsolete'],
  [28, 'm_minus', 'lssd', 'R1', 'obsolete'],
  [29, 'm_times', 'lssd', 'R1', 'obsolete'],
  [30, 'm_div', 'lssd', 'R1', 'obsolete'],
  [31, 'int_div', 'lssd', 'R1', 'obsolete'],
  [32, 'int_rem', 'lssd', 'R1', 'obsolete'],
  [33, 'int_band', 'lssd', 'R1', 'obsolete'],
  [34, 'int_bor', 'lssd', 'R1', 'obsolete'],
  [35, 'int_bxor', 'lssd', 'R1', 'obsolete'],
  [36, 'int_bsl', 'lssd', 'R1', 'obsolete'],
  [37, 'int_bsr', 'lssd', 'R1', 'obsolete'],
  [38, 'int_bnot', 'lsd', 'R1', 'obsolete'],
  [39, 'is_lt', 'lss', 'R1'],
  [40, 'is_ge', 'lss', 'R1'],
  [41, 'is_eq', 'lss', 'R1'],
  [42, 'is_ne', 'lss', 'R1'],
  [43, 'is_eq_exact', 'lss', 'R1'],
  [44, 'is_ne_exact', 'lss', 'R1'],
  [45, 'is_integer', 'ls', 'R1'],
  [46, 'is_float', 'ls', 'R1'],
  [47, 'is_number', 'ls', 'R1'],
  [48, 'is_atom', 'ls', 'R1'],
  [49, 'is_pid', 'ls', 'R1'],
  [50, 'is_reference', 'ls', 'R1'],
  [51, 'is_port', 'ls', 'R1'],
  [52, 'is_nil', 'ls', 'R1'],
  [53, 'is_binary', 'ls', 'R1'],
  [54, 'is_constant', 'ls', 'R1', 'obsolete'],
  [55, 'is_list', 'ls', 'R1'],
  [56, 'is_nonempty_list', 'ls', 'R1'],
  [57, 'is_tuple', 'ls', 'R1'],
  [58, 'test_arity', 'lsu', 'R1'],
  [59, 'select_val', 'slL', 'R1'],
  [60, 'select_tuple_arity', 'slL', 'R1'],
  [61, 'jump', 'l', 'R1'],
  [62, 'catch', 'yl', 'R1'],
  [63, 'catch_end', 'y', 'R1'],
  [64, 'move', 'sd', 'R1'],
  [65, 'get_list', 'sdd', 'R1'],
  [66, 'get_tuple_element', 'sud', 'R1'],
  [67, 'set_tuple_element', 'sdu', 'R1'],
  [68, 'put_string', 'uzd', 'R1', 'obsolete'],
  [69, 'put_list', 'ssd', 'R1'],
  [70, 'put_tuple', 'ud', 'R1'],
  [71, 'put', 's', 'R1'],
  [72, 'badmatch', 's', 'R1'],
  [73, 'if_end', '', 'R1'],
  [74, 'case_end', 's', 'R1'],
  [75, 'call_fun', 'u', 'R1'],
  [76, 'make_fun', '***', 'R1', 'obsolete'],
  [77, 'is_function', 'ls', 'R1'],
  [78, 'call_ext_only', 'ui', 'R5'],
  [79, 'bs_start_match', 'ls', 'R7', 'obsolete'],
  [80, 'bs_get_integer', 'lsuod', 'R7', 'obsolete'],
  [81, 'bs_get_float', 'lsuod', 'R7', 'obsolete'],
  [82, 'bs_get_binary', 'lsuod', 'R7', 'obsolete'],
  [83, 'bs_skip_bits', 'lsuo', 'R7', 'obsolete'],
  [84, 'bs_test_tail', 'lu', 'R7', 'obsolete'],
  [85, 'bs_save', 'u', 'R7', 'obsolete'],
  [86, 'bs_restore', 'u', 'R7', 'obsolete'],
  [87, 'bs_init', 'uo', 'R7', 'obsolete'],
  [88, 'bs_final', 'ld', 'R7', 'obsolete'],
  [89, 'bs_put_integer', 'lsuos', 'R7'],
  [90, 'bs_put_binary', 'lsuos', 'R7'],
  [91, 'bs_put_float', 'lsuos', 'R7'],
  [92, 'bs_put_string', 'uz', 'R7'],
  [93, 'bs_need_buf', 'u', 'R7', 'obsolete'],
  [94, 'fclearerror', '', 'R8'],
  [95, 'fcheckerror', 'l', 'R8'],
  [96, 'fmove', 'FF', 'R8'],
  [97, 'fconv', 'sF', 'R8'],
  [98, 'fadd', 'lFFF', 'R8'],
  [99, 'fsub', 'lFFF', 'R8'],
  [100, 'fmul', 'lFFF', 'R8'],
  [101, 'fdiv', 'lFFF', 'R8'],
  [102, 'fnegate', 'lFF', 'R8'],
  [103, 'make_fun2', 'k', 'R8'],
  [104, 'try', 'yl', 'R10B'],
  [105, 'try_end', 'y', 'R10B'],
  [106, 'try_case', 'y', 'R10B'],
  [107, 'try_case_end', 's', 'R10B'],
  [108, 'raise', 'ss', 'R10B'],
  [109, 'bs_init2', 'lsuuod', 'R10B'],
  [110, 'bs_bits_to_bytes', 'lsd', 'R10B', 'obsolete'],
  [111, 'bs_add', 'lssud', 'R10B'],
  [112, 'apply', 'u', 'R10B'],
  [113, 'apply_last', 'uu', 'R10B'],
  [114, 'is_boolean', 'ls', 'R10B'],
  [115, 'is_function2', 'lss', 'R10B'],
  [116, 'bs_start_match2', 'lsuud', 'R11B'],
  [117, 'bs_get_integer2', 'lxusuod', 'R11B'],
  [118, 'bs_get_float2', 'lxusuod', 'R11B'],
  [119, 'bs_get_binary2', 'lxusuod', 'R11B'],
  [120, 'bs_skip_bits2', 'lxsuo', 'R11B'],
  [121, 'bs_test_tail2', 'lxu', 'R11B'],
  [122, 'bs_save2', 'x*', 'R11B'],
  [123, 'bs_restore2', 'x*', 'R11B'],
  [124, 'gc_bif1', 'lubsd', 'R11B'],
  [125, 'gc_bif2', 'lubssd', 'R11B'],
  [126, 'bs_final2', 'xd', 'R11B', 'obsolete'],
  [127, 'bs_bits_to_bytes2', 'sd', 'R11B', 'obsolete'],
  [128, 'put_literal', 'ud', 'R11B', 'obsolete'],
  [129, 'is_bitstr', 'ls', 'R11B'],
  [130, 'bs_context_to_binary', 'd', 'R12B'],
  [131, 'bs_test_unit', 'lxu', 'R12B'],
  [132, 'bs_match_string', 'lxuz', 'R12B'],
  [133, 'bs_init_writable', '', 'R12B'],
  [134, 'bs_append', 'lsuuusod', 'R12B'],
  [135, 'bs_private_append', 'lsusod', 'R12B'],
  [136, 'trim', 'uu', 'R12B'],
  [137, 'bs_init_bits', 'lsuuod', 'R12B'],
  [138, 'bs_get_utf8', 'lxuod', 'R12B-5'],
  [139, 'bs_skip_utf8', 'lxuo', 'R12B-5'],
  [140, 'bs_get_utf16', 'lxuod', 'R12B-5'],
  [141, 'bs_skip_utf16', 'lxuo', 'R12B-5'],
  [142, 'bs_get_utf32', 'lxuod', 'R12B-5'],
  [143, 'bs_skip_utf32', 'lxuo', 'R12B-5'],
  [144, 'bs_utf8_size', 'lsd', 'R12B-5'],
  [145, 'bs_put_utf8', 'los', 'R12B-5'],
  [146, 'bs_utf16_size', 'lsd', 'R12B-5'],
  [147, 'bs_put_utf16', 'los', 'R12B-5'],
  [148, 'bs_put_utf32', 'los', 'R12B-5'],
  [149, 'on_load', '', 'R13B03'],
  [150, 'recv_mark', 'l', 'R14A'],
  [151, 'recv_set', 'l', 'R14A'],
  [152, 'gc_bif3', 'lubsssd', 'R14A'],
  [153, 'line', 'n', 'R15A'],
  [154, 'put_map_assoc', 'lsduL', 'OTP 17'],
  [155, 'put_map_exact', 'lsduL', 'OTP 17'],
  [156, 'is_map', 'ls', 'OTP 17'],
  [157, 'has_map_fields', 'lsL', 'OTP 17'],
  [158, 'get_map_elements', 'lsL', 'OTP 17'],
  [159, 'is_tagged_tuple', 'lsua', 'OTP 20'],
  [160, 'build_stacktrace', '', 'OTP 21'],
  [161, 'raw_raise', '', 'OTP 21'],
  [162, 'get_hd', 'sd', 'OTP 21'],
  [163, 'get_tl', 'sd', 'OTP 21'],
  [164, 'put_tuple2', 'dL', 'OTP 22'],
  [165, 'bs_get_tail', 'xdu', 'OTP 22'],
  [166, 'bs_start_match3', 'lsud', 'OTP 22'],
  [167, 'bs_get_position', 'xdu', 'OTP 22'],
  [168, 'bs_set_position', 'xs', 'OTP 22'],
  [169, 'swap', 'dd', 'OTP 23'],
  [170, 'bs_start_match4', 'tusd', 'OTP 23'],
  [171, 'make_fun3', 'kdL', 'OTP 24'],
  [172, 'init_yregs', 'L', 'OTP 24'],
  [173, 'recv_marker_bind', 'ss', 'OTP 24'],
  [174, 'recv_marker_clear', 's', 'OTP 24'],
  [175, 'recv_marker_reserve', 'd', 'OTP 24'],
  [176, 'recv_marker_use', 's', 'OTP 24'],
  [177, 'bs_create_bin', 'luuusL', 'OTP 25'],
  [178, 'call_fun2', 'tus', 'OTP 25'],
  [179, 'nif_start', '', 'OTP 25'],
  [180, 'badrecord', 's', 'OTP 25'],
  [181, 'update_record', 'tusdL', 'OTP 26'],
  [182, 'bs_match', 'lxL', 'OTP 26'],
  [183, 'executable_line', 'nu', 'OTP 27'],
  [184, 'debug_line', 'nuuu', 'OTP 28'],
];

/** All generic instructions, indexed by opcode (index 0 is unused). */
export const GENERIC_OPS: readonly (GenericOp | undefined)[] = (() => {
  const table: (GenericOp | undefined)[] = [];
  for (const [opcode, name, kinds, since, obsolete] of ROWS) {
    table[opcode] = {
      opcode,
      name,
      arity: kinds.length,
      kinds,
      since,
      ...(obsolete ? { obsolete: true as const } : {}),
    };
  }
  return table;
})();

/** The highest opcode this table knows. */
export const MAX_OPCODE = ROWS[ROWS.length - 1]![0];

const BY_NAME = new Map(GENERIC_OPS.filter((op): op is GenericOp => op !== undefined).map((op) => [op.name, op]));

export function genericOp(opcode: number): GenericOp | undefined {
  return GENERIC_OPS[opcode];
}

export function genericOpByName(name: string): GenericOp {
  const op = BY_NAME.get(name);
  if (op === undefined) throw new Error(`no generic instruction named ${name}`);
  return op;
}
