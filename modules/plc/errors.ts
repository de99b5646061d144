// Failure kinds for every PLC decoder (same split as the DLMS codecs, STYLE.md msgpack-style):
// DecodeError: the bytes can never become valid; names what and where.
// NeedMoreData: the bytes are a valid prefix (a truncated frame); more bytes could complete it.

export class DecodeError extends Error {
  override name = "DecodeError";
  /** What was being decoded, e.g. "mac.fcf.dstMode". */
  readonly what: string;
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;
  constructor(what: string, offset: number, detail?: string) {
    super(`${what} at ${offset}${detail !== undefined ? ": " + detail : ""}`);
    this.what = what;
    this.offset = offset;
  }
}

export class NeedMoreData extends Error {
  override name = "NeedMoreData";
  readonly what: string;
  readonly offset: number;
  /** Lower bound of the number of bytes missing. */
  readonly needed: number;
  constructor(what: string, offset: number, needed: number) {
    super(`${what} at ${offset}: need ${needed} more byte(s)`);
    this.what = what;
    this.offset = offset;
    this.needed = needed;
  }
}

/** Thrown by encoders given a value they cannot represent. */
export class EncodeError extends Error {
  override name = "EncodeError";
}
