// Two failure kinds for every decoder in this module (see STYLE.md, msgpack-style):
// DecodeError: the bytes can never become valid (malformed), names what and where.
// NeedMoreData: the bytes so far are a valid prefix; feed more and retry.

export class DecodeError extends Error {
  override name = "DecodeError";
  /** What was being decoded when it failed, e.g. "axdr.octet-string.length". */
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
  /** Minimum number of further bytes needed (a lower bound). */
  readonly needed: number;
  constructor(what: string, offset: number, needed: number) {
    super(`${what} at ${offset}: need ${needed} more byte(s)`);
    this.what = what;
    this.offset = offset;
    this.needed = needed;
  }
}

/** Thrown by encoders when given a value they cannot represent. */
export class EncodeError extends Error {
  override name = "EncodeError";
}
