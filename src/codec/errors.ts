/**
 * The one error class of the codec domain (`src/codec`): bitstreams and `.rlq` containers that are
 * truncated, corrupted, foreign or from a newer format version. Mistakes in the arguments a caller
 * passes to an encoder are `TypeError`s instead.
 */

/** A bitstream or `.rlq` file cannot be decoded; the message says what is wrong and where. */
export class BitstreamError extends Error {
  /**
   * @param message what is wrong, naming the offending part of the stream (e.g.
   *   `section GRID_FEATURES (type 4): CRC-32 mismatch, the file is corrupted`).
   * @param section the part of the stream the problem is in, when known: a section name such as
   *   `GRID_FEATURES`, or `header` / `section table` for the container's own structures.
   */
  constructor(
    message: string,
    readonly section?: string,
  ) {
    super(message);
    this.name = 'BitstreamError';
  }
}
