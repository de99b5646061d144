// Failure kinds shared by every decoder of every part (STYLE.md, msgpack-style):
// DecodeError: the bytes can never become valid (malformed); names what and where.
// NeedMoreData: the bytes so far are a valid prefix; feed more and retry.
// EncodeError: an encoder was given a value it cannot represent.
// A module under generic/shared/ may be imported by any part, so its exports are hardened:
// one part cannot change what another part sees.

export class DecodeError extends Error {
  override name = 'DecodeError';
  /** What was being decoded, e.g. "mac.fcf.dstMode" or "axdr.octet-string.length". */
  readonly what: string;
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;
  constructor(what: string, offset: number, detail?: string) {
    super(`${what} at ${offset}${detail !== undefined ? ': ' + detail : ''}`);
    this.what = what;
    this.offset = offset;
  }
}

export class NeedMoreData extends Error {
  override name = 'NeedMoreData';
  readonly what: string;
  readonly offset: number;
  /** Lower bound of the number of further bytes needed. */
  readonly needed: number;
  constructor(what: string, offset: number, needed: number) {
    super(`${what} at ${offset}: need ${needed} more byte(s)`);
    this.what = what;
    this.offset = offset;
    this.needed = needed;
  }
}

export class EncodeError extends Error {
  override name = 'EncodeError';
}

/**
 * harden() on XS (after lockdown); a freeze of the value and its prototype on Node. The one
 * sealing of generic/shared/: every module here seals its exports with it.
 */
export const seal: (v: object) => void =
  typeof harden === 'function'
    ? harden
    : (v) => {
        Object.freeze(v);
        Object.freeze((v as { prototype?: object }).prototype);
      };
seal(DecodeError);
seal(NeedMoreData);
seal(EncodeError);
seal(seal);
