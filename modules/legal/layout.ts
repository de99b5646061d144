// Where LEGAL's records sit in its NVRAM area (drivers/nvram/nvram.ts nvramAreas, granted as "nvram"),
// and the layout version that says so. Layout 2 (bytes, area of `size` bytes, little-endian):
//   0           billing copy A (BILL_SIZE)          records.ts
//   96          layout header, copy 0 (16)
//   192         open-events copy A (OPEN_SIZE)      openevents.ts
//   352         billing witness (BILL_SIZE)         the newest billing record, written after each copy
//   512         event journal, EVENT_SIZE each      eventlog.ts, up to size - 272
//   size - 272  open-events copy B
//   size - 112  billing copy B
//   size - 16   layout header, copy 1
// Each record's copies are kept far apart (the nearest two of billing A, B and the witness are
// 264 bytes apart, the header and open-event copies thousands), so a localized corruption of up
// to 64 bytes destroys at most one of them: the billing record survives it whole (its newest
// value is always in two of the three places, TwoSlotRecord's witness).
// Layout 1 (before the header): billing at 0 and 96, open events at 192 and 352, the journal
// from 512 to the end. It has no header; an area without a valid header is migrated in place
// (migrate(): every step can be cut and redone), then the header is written. A valid header of
// another version or area size is refused: nothing is read or written, metrology does not start.

import { check, crcOf, RECORD_VALID, RECORD_CORRUPT, type Nvram, type Crc32 } from '../generic/shared/nvrecord.js';

/** Record sizes (bytes) and magics of LEGAL's three record kinds (records.ts, openevents.ts, eventlog.ts). */
export const BILL_SIZE = 88,
  OPEN_SIZE = 160,
  EVENT_SIZE = 32;
export const BILL_MAGIC = 0x4c4c4942; // "BILL"
export const OPEN_MAGIC = 0x4e45504f; // "OPEN"
export const EVENT_MAGIC = 0xe71a;

export const LAYOUT_VERSION = 2;
const LAYOUT_MAGIC = 0x594c474c; // "LGLY"
const HEADER_SIZE = 16; // 0 magic, 4 version (u16), 6 reserved, 8 area size (u32), 12 CRC-32 of 0..11
const TAIL = 272; // open B + billing B + header 1 at the end of the area
const V1_BILL_B = 96,
  V1_OPEN_B = 352;

export interface Layout {
  readonly size: number;
  readonly bill: readonly [number, number];
  readonly witness: number;
  readonly open: readonly [number, number];
  readonly header: readonly [number, number];
  readonly log: number;
  readonly capacity: number; // journal records
}

/** Layout 2 of an area of `size` bytes; RangeError when not even one journal record fits. */
export function legalLayout(size: number): Layout {
  const log = 512,
    capacity = Math.floor((size - TAIL - log) / EVENT_SIZE);
  if (!(capacity >= 1)) throw new RangeError(`NVRAM area of ${size} bytes: under ${log + TAIL + EVENT_SIZE}`);
  return Object.freeze({
    size,
    bill: [0, size - 112] as const,
    witness: 352,
    open: [192, size - TAIL] as const,
    header: [96, size - HEADER_SIZE] as const,
    log,
    capacity,
  });
}

/** No NVRAM (size 0): no record is read or written (places valid for the stores' checks only), the journal holds none. */
export const NO_AREA: Layout = Object.freeze({
  size: 0,
  bill: [0, 96] as const,
  witness: 352,
  open: [192, 352] as const,
  header: [96, 112] as const,
  log: 512,
  capacity: 0,
});

/** What prepareArea() found: the current layout, an area it migrated or formatted, its drops. */
export interface AreaState {
  readonly layout: Layout;
  /** 'current', 'migrated' (layout 1 records found), 'formatted' (no record found), 'repaired' (layout 2 records, both headers lost). */
  readonly status: 'current' | 'migrated' | 'formatted' | 'repaired';
  /** Corrupt header copies (rewritten). */
  readonly dropped: number;
}

/**
 * Checks the layout header of LEGAL's area: the current layout is used as is (a damaged header
 * copy rewritten); an area without a header is migrated from layout 1 (or formatted, when it
 * holds no record) and given one; another version or area size throws (refused, untouched).
 */
export function prepareArea(nv: Nvram, crc: Crc32, size: number): AreaState {
  const layout = legalLayout(size);
  const bytes = new Uint8Array(HEADER_SIZE),
    view = new DataView(bytes.buffer);
  let current = 0,
    corrupt = 0,
    other = '';
  for (const at of layout.header) {
    nv.read(at, bytes);
    const state = check(crc, bytes, view, view.getUint32(0, true) === LAYOUT_MAGIC);
    if (state === RECORD_CORRUPT) corrupt++;
    if (state !== RECORD_VALID) continue;
    const version = view.getUint16(4, true),
      area = view.getUint32(8, true);
    if (version === LAYOUT_VERSION && area === size) current++;
    else other = `layout ${version} of ${area} bytes`;
  }
  if (current === 2) return { layout, status: 'current', dropped: 0 };
  if (current === 1) {
    writeHeaders(nv, crc, layout);
    return { layout, status: 'current', dropped: corrupt };
  }
  if (other) throw new Error(`NVRAM ${other} refused: this image reads layout ${LAYOUT_VERSION} of ${size} bytes`);
  const found = migrate(nv, crc, layout);
  writeHeaders(nv, crc, layout);
  return { layout, status: found === 2 ? 'repaired' : found === 1 ? 'migrated' : 'formatted', dropped: 0 };
}

function writeHeaders(nv: Nvram, crc: Crc32, layout: Layout): void {
  const bytes = new Uint8Array(HEADER_SIZE),
    view = new DataView(bytes.buffer);
  view.setUint32(0, LAYOUT_MAGIC, true);
  view.setUint16(4, LAYOUT_VERSION, true);
  view.setUint32(8, layout.size, true);
  view.setUint32(12, crcOf(crc, bytes, 12), true);
  for (const at of layout.header) nv.write(at, bytes);
}

/**
 * The newest valid record (by sequence number) of those at `places`, copied into `into`; -1 when
 * none. A record is position-independent (magic, seq, payload, CRC), so it can be copied as is.
 */
function newest(nv: Nvram, crc: Crc32, places: readonly number[], magic: number, into: Uint8Array): number {
  const bytes = new Uint8Array(into.length),
    view = new DataView(bytes.buffer);
  let best = -1,
    seq = 0;
  for (let k = 0; k < places.length; k++) {
    nv.read(places[k]!, bytes);
    if (check(crc, bytes, view, view.getUint32(0, true) === magic) !== RECORD_VALID || (best >= 0 && view.getUint32(4, true) <= seq))
      continue;
    best = k;
    seq = view.getUint32(4, true);
    into.set(bytes);
  }
  return best;
}

/**
 * Layout 1 -> 2 in place. Copy A of the billing and open-event records stays where it was; the
 * newest of each goes to its copy B at the end (and the billing one to the witness), and the
 * journal is rearranged for its smaller capacity. Each step reads only places that no earlier
 * step wrote, or checks what it finds, so a cut anywhere leaves an area that migrate() finishes
 * at the next boot. Returns 1 when layout 1 records were found, 2 when only layout 2 ones, 0 none.
 */
export function migrate(nv: Nvram, crc: Crc32, layout: Layout): number {
  const bill = new Uint8Array(BILL_SIZE),
    open = new Uint8Array(OPEN_SIZE);
  // layout 1 has no billing record where layout 2 keeps copy B and the witness
  const v2 = newest(nv, crc, [layout.bill[1], layout.witness], BILL_MAGIC, bill) >= 0;
  let found = migrateJournal(nv, crc, layout);
  // open events: copy B (layout 1 at 352, where the witness goes) moves to the end
  const o = newest(nv, crc, [layout.open[0], V1_OPEN_B, layout.open[1]], OPEN_MAGIC, open);
  if (o < 0) open.fill(0xff);
  nv.write(layout.open[1], open);
  // billing: the newest record to copy B (layout 1 at 96, where header 0 goes) and the witness
  const b = newest(nv, crc, [layout.bill[0], V1_BILL_B, layout.bill[1], layout.witness], BILL_MAGIC, bill);
  if (b < 0) bill.fill(0xff);
  nv.write(layout.bill[1], bill);
  nv.write(layout.witness, bill);
  if (o >= 0 || b >= 0) found = 1;
  return found && v2 ? 2 : found;
}

/**
 * Layout 1's journal had (size - 512) / 32 slots from 512, layout 2's has `capacity` from the same
 * place: the newest record stays in its slot if that is below capacity, else goes to the last;
 * the others follow it backwards, modulo capacity (eventlog.ts finds a record by its distance from
 * the newest). Every record moves down, never up, so going up through the slots each one is read
 * before it is overwritten; a slot that already holds the record it should is left as is.
 */
function migrateJournal(nv: Nvram, crc: Crc32, layout: Layout): number {
  const { log, capacity } = layout,
    old = Math.floor((layout.size - log) / EVENT_SIZE);
  const bytes = new Uint8Array(EVENT_SIZE),
    view = new DataView(bytes.buffer);
  // the seq of the record in a slot; 0 blank, -1 corrupt
  const seqAt = (slot: number) => {
    nv.read(log + slot * EVENT_SIZE, bytes);
    const state = check(crc, bytes, view, view.getUint16(6, true) === EVENT_MAGIC);
    return state === RECORD_VALID ? view.getUint32(0, true) : state === RECORD_CORRUPT ? -1 : 0;
  };
  let last = 0,
    s = -1;
  for (let k = 0; k < old; k++) {
    const seq = seqAt(k);
    if (seq > 0 && seq >= last) {
      // a tie (a record already copied down): the original, higher slot
      last = seq;
      s = k;
    }
  }
  if (s < 0) return 0;
  const t = Math.min(s, capacity - 1);
  for (let k = 0; k < capacity; k++) {
    const back = (t - k + capacity) % capacity,
      want = last - back;
    if (want < 1) {
      if (seqAt(k) !== 0) nv.write(log + k * EVENT_SIZE, bytes.fill(0xff)); // no record belongs there
      continue;
    }
    if (seqAt(k) === want) continue;
    if (seqAt((s - back + old) % old) !== want) bytes.fill(0xff); // lost in layout 1 (torn, corrupt)
    nv.write(log + k * EVENT_SIZE, bytes);
  }
  return 1;
}
