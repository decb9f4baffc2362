/**
 * The bit syntax engine: building and matching bitstrings on heap words, for
 * the interpreter's bit syntax instructions. This file is the entry point
 * and the overview; the code is in bits_match.ts (match states, reads, the
 * bit-copy helpers) and bits_build.ts (bs_create_bin, the older bs_put_*
 * family, size helpers).
 *
 * Bitstrings (layouts in vm/term/build.ts): a heap binary (<= 64 bytes) or a
 * ProcBin holds whole bytes; a sub-binary is a window of any bit length at
 * any bit offset into one of those. Everything here addresses bits as
 * (byte address in mem.u8, bit 0..7 within it, most significant first);
 * whole aligned bytes are copied with u8.set / copyWithin, bit by bit only
 * when the source or destination is not on a byte boundary.
 *
 * Match state (subtag SUB_MATCH_STATE):
 *
 *   [hdr MATCH_STATE, arity 4 + slots][orig][base][pos][end][saved 0]..[saved slots-1]
 *
 *   orig   term: the heap binary or ProcBin being matched (never a sub-binary)
 *   base   raw: bit offset of the matched bitstring within orig's data
 *   pos    raw: current position in bits, relative to base
 *   end    raw: length of the matched bitstring in bits (pos <= end)
 *   saved  raw: positions saved by old bs_save2 code (OTP 22+ code keeps
 *          positions in registers with bs_get_position instead: slots = 0)
 *
 * Positions are unsigned 32-bit (read with >>> 0): bitstrings up to
 * MAX_BITS (2^32 - 1 bits, 512 MiB) can be built and matched. Only `orig`
 * is a term (MATCH_STATE_TERM_WORDS = 1): the GC copies it and must leave
 * the raw words alone. bs_start_match3/4 on a match state returns it unchanged.
 *
 * Writable ProcBins (appends): `<<Acc/binary, ...>>` (the append and
 * private_append segments, bs_append, bs_private_append, bs_init_writable)
 * writes into an off-heap buffer with spare room, in place when Acc is the
 * whole used part of such a buffer, so a loop that appends is linear rather
 * than quadratic. The buffer's ProcBin has flags word PB_WRITABLE | used
 * bits << 1 and size word 0; values are sub-binaries over it, and growing
 * the used part changes none of them. Whoever copies a ProcBin to another
 * process's heap or to ETS must write 0 to its flags word (the copy is then
 * an ordinary binary and the next append copies); the GC of the owning
 * process may keep it.
 *
 * Interpreter use:
 *   matching   ms = startMatch(p, t)            bs_start_match3/4 (undefined: fail)
 *              bits = fieldBits(p, size, unit)  size operands (-1: fail)
 *              getInteger(p, ms, bits, flags), getFloat, getBinary(p, ms, bits | ALL, unit),
 *              skipBits, testTail, testUnit, matchString(p, ms, bytes, bits),
 *              getUtf8/16/32, skipUtf8/16/32, getTail, getPosition, setPosition,
 *              contextToBinary
 *   building   spec = new BinSpec(segments)     once, at load time
 *              createBin(p, spec, values, sizes) bs_create_bin
 *              BitWriter                        bs_init2, bs_init_bits, bs_put_*, bs_append,
 *                                               bs_private_append, bs_init_writable
 *              bsAdd, utf8Size, utf16Size       bs_add, bs_utf8_size, bs_utf16_size
 */
export * from './bits_match.js';
export * from './bits_build.js';
