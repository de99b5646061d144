// Driver "axdr": the native A-XDR table codec (drivers/axdr, C), granted to NON-LEGAL
// (config.grants "driver.axdr"). One call encodes or decodes a whole table (array of structures
// of fixed-size fields: a load profile's buffer) between its A-XDR bytes and a flat record area
// (each field's wire bytes, row after row). Failures come back as reason numbers (axdr.h,
// AXDR_E_*); modules/nonlegal/dlms/axdr-table.ts decodes a refused table again with the generic
// codec, whose DecodeError / NeedMoreData are the contract.

type Bytes = Uint8Array;

export interface AxdrTableDriver {
  /** Writes the table at out[at..]: the end offset, or -reason. */
  encode(layout: Bytes, records: Bytes, rows: number, out: Bytes, at: number): number;
  /**
   * Decodes the table at bytes[at..end) into records: 0 or a reason; info[0] rows, info[1] the
   * offset after the table, info[2] the offset of a refused item.
   */
  decode(
    layout: Bytes,
    bytes: Bytes,
    at: number,
    end: number,
    maxRows: number,
    depth: number,
    maxDepth: number,
    records: Bytes,
    info: Uint32Array,
  ): number;
}

export const axdr: AxdrTableDriver = {
  encode: native<AxdrTableDriver['encode']>('xs_axdr_encode'),
  decode: native<AxdrTableDriver['decode']>('xs_axdr_decode'),
};
