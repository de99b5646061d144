// The swap-state journal of the runtime swap (docs/firmware-update.md): an append-only log in the
// SPI NOR's swap-state area. Each record is 16 bytes
//   u8 magic 0x5a, u8 kind, u8 part, u8 arg, u16 index, u16 count, u32 value, u32 CRC-32 of 0..11
// and a START is followed by its status table: 3 bytes per sector swapped (one per step), each
// programmed from 0xff to 0x00 once its step has finished (MCUboot's swap status, one write per
// byte: a cut leaves a step done or not done, never half). Records that do not check (a torn
// program) are skipped and counted; appending always goes past the last byte written.
import type { FlashArea } from 'drivers/spinor/flash';

export const FWJ_RECORD = 16;
const MAGIC = 0x5a;

/** Record kinds. */
export const enum FwKind {
  Start = 1, // arg: purpose (FwPurpose), count: sectors, value: security counter of the image going in
  Done = 3, // arg: purpose, count: sectors
  Confirm = 4, // value: the security counter now installed
  Refused = 5, // arg: refusal reason (fwimage.h), value: the candidate's security counter
  HealthFail = 6, // arg: FwHealth
  Base = 7, // value: the installed security counter (written when the journal is compacted)
}

export const enum FwPurpose {
  Install = 0,
  Revert = 1,
}

/** Why a test-state image was reverted. */
export const FW_HEALTH_TEXT = ['health check timed out', 'part failed to start', 'reboot in test state', 'FW REVERT'] as const;

export interface FwRecord {
  readonly at: number;
  readonly kind: number;
  readonly part: number;
  readonly arg: number;
  readonly index: number;
  readonly count: number;
  readonly value: number;
}

/** A swap under way: sectors and, per sector, the steps done (0..3). */
export interface FwSwap {
  readonly part: number;
  readonly purpose: FwPurpose;
  readonly count: number;
  readonly counter: number;
  readonly table: number; // offset of the status table
  readonly done: Uint8Array; // steps done per sector
}

/** What the journal says, per part. */
export interface FwPartState {
  counter: number; // installed security counter
  test: boolean; // an installed image not yet confirmed
  testCounter: number;
  sectors: number; // of the last swap (a revert swaps as many)
}

export interface FwState {
  readonly records: FwRecord[];
  readonly parts: { [part: number]: FwPartState };
  readonly swap: FwSwap | undefined;
  readonly end: number; // first byte never written
  readonly torn: number; // records that did not check
}

export function tableSize(count: number): number {
  return Math.ceil((count * 3) / FWJ_RECORD) * FWJ_RECORD;
}

export class FwJournal {
  /** crc: CRC-32 (IEEE) of the bytes given. */
  constructor(
    private readonly area: FlashArea,
    private readonly crc: (b: Uint8Array) => number,
  ) {
    if (area.size % FWJ_RECORD || area.size < 4 * FWJ_RECORD) throw new RangeError('swap-state area size');
  }

  /** Reads the whole journal. */
  read(): FwState {
    const raw = new Uint8Array(this.area.size);
    this.area.read(0, raw);
    const records: FwRecord[] = [];
    const parts: { [part: number]: FwPartState } = {};
    const state = (p: number) => {
      parts[p] ??= { counter: 0, test: false, testCounter: 0, sectors: 0 };
      return parts[p]!;
    };
    let swap: FwSwap | undefined;
    let lastCounter = 0; // of the last START
    let torn = 0;
    let end = 0;
    for (let i = raw.length - 1; i >= 0; i--)
      if (raw[i] !== 0xff) {
        end = Math.ceil((i + 1) / FWJ_RECORD) * FWJ_RECORD; // records and tables are 16-byte aligned
        break;
      }
    let at = 0;
    while (at + FWJ_RECORD <= end) {
      const r = raw.subarray(at, at + FWJ_RECORD);
      const dv = new DataView(r.buffer, r.byteOffset, FWJ_RECORD);
      if (r[0] !== MAGIC || this.crc(r.subarray(0, 12)) !== dv.getUint32(12, true)) {
        torn++;
        at += FWJ_RECORD;
        continue;
      }
      const rec: FwRecord = {
        at,
        kind: r[1]!,
        part: r[2]!,
        arg: r[3]!,
        index: dv.getUint16(4, true),
        count: dv.getUint16(6, true),
        value: dv.getUint32(8, true),
      };
      records.push(rec);
      at += FWJ_RECORD;
      const s = state(rec.part);
      switch (rec.kind) {
        case FwKind.Start: {
          const size = tableSize(rec.count);
          const done = new Uint8Array(rec.count);
          for (let k = 0; k < rec.count * 3; k++) if (at + k < raw.length && raw[at + k] !== 0xff) done[(k / 3) | 0]!++;
          swap = { part: rec.part, purpose: rec.arg, count: rec.count, counter: rec.value, table: at, done };
          lastCounter = rec.value;
          at += size;
          break;
        }
        case FwKind.Done:
          swap = undefined;
          s.sectors = rec.count;
          s.test = rec.arg === FwPurpose.Install;
          if (s.test) s.testCounter = lastCounter;
          break;
        case FwKind.Confirm:
        case FwKind.Base:
          s.counter = rec.value;
          s.test = false;
          if (rec.kind === FwKind.Base) s.sectors = rec.count;
          break;
      }
    }
    return { records, parts, swap, end: Math.max(end, at), torn };
  }

  /** Bytes left for appending. */
  free(st: FwState): number {
    return this.area.size - st.end;
  }

  /** Appends one record (and reserves a START's status table); returns its offset. */
  append(st: FwState, kind: FwKind, part: number, arg = 0, index = 0, count = 0, value = 0): number {
    const need = FWJ_RECORD + (kind === FwKind.Start ? tableSize(count) : 0);
    if (st.end + need > this.area.size) throw new RangeError('swap-state journal full');
    const r = new Uint8Array(FWJ_RECORD);
    const dv = new DataView(r.buffer);
    r[0] = MAGIC;
    r[1] = kind;
    r[2] = part;
    r[3] = arg;
    dv.setUint16(4, index, true);
    dv.setUint16(6, count, true);
    dv.setUint32(8, value >>> 0, true);
    dv.setUint32(12, this.crc(r.subarray(0, 12)), true);
    const at = st.end;
    this.area.program(at, r);
    (st as { end: number }).end = at + need;
    st.records.push({ at, kind, part, arg, index, count, value });
    return at;
  }

  /** Marks step (0..2) of sector done in the status table of the swap at table. */
  mark(table: number, sector: number, step: number): void {
    this.area.program(table + sector * 3 + step, new Uint8Array(1));
  }

  /**
   * Starts the journal again with one BASE record per part (its security counter and sector
   * count). Only between swaps; a cut between the erase and the BASE records loses the
   * installed security counters (the area is one sector: docs/firmware-update.md).
   */
  compact(st: FwState): FwState {
    if (st.swap) throw new Error('swap-state: compaction during a swap');
    this.area.erase(0);
    const fresh: FwState = { records: [], parts: st.parts, swap: undefined, end: 0, torn: 0 };
    for (const p of Object.keys(st.parts)) {
      const s = st.parts[Number(p)]!;
      if (s.counter || s.sectors) this.append(fresh, FwKind.Base, Number(p), 0, 0, s.sectors, s.counter);
      if (s.test) {
        this.append(fresh, FwKind.Start, Number(p), FwPurpose.Install, 0, 0, s.testCounter);
        this.append(fresh, FwKind.Done, Number(p), FwPurpose.Install, 0, s.sectors);
      }
    }
    return this.read();
  }
}
