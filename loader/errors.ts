/**
 * The one error type for malformed input read by the loader. Everything in
 * loader/ that reads untrusted bytes throws this and nothing else; callers
 * catch it with `instanceof BeamFormatError`.
 */
export class BeamFormatError extends Error {
  constructor(
    /** What was being read: a chunk id ('Code', 'LitT', ...), 'file', or 'etf'. */
    readonly where: string,
    /** Byte offset of the problem inside `where`'s data. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${where} at offset ${offset}: ${reason}`);
    this.name = 'BeamFormatError';
  }

  /** The same problem, re-located inside an enclosing chunk. */
  within(where: string, baseOffset: number): BeamFormatError {
    return new BeamFormatError(where, baseOffset + this.offset, `${this.where}: ${this.reason}`);
  }
}
