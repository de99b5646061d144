// NON-LEGAL's non-volatile security state in its own NVRAM area (GENERIC driver "nvstore", the
// last 256 bytes of the FRAM): the DLMS invocation counters (the meter server's transmit counter,
// the concentrator client's counter) and the DRBG seed. An invocation counter must never be used
// twice with the same key, power cut or not (Green Book 9.2.7.2.4.3), so a counter is kept as a
// reserved bound (ReservedCounter, shared with the PLC part's MAC frame counter): every counter
// used so far is below the stored bound; using one that reaches it first writes a bound IC_BLOCK
// higher. After a reset the counter restarts at the bound.
// Records (area-relative, little-endian), 2 slots of 32 bytes each, written alternately so a torn
// write leaves the other one: 0 magic "NLV1", 4 seq, 8 payload (20 bytes), 28 CRC-32 of 0..27.
//   id 0 at 0: server transmit IC bound (u32)   id 1 at 64: client IC bound (u32)
//   id 2 at 128: DRBG seed (16 bytes), replaced at each boot
import type { RunServiceFn } from '../generic/services.js';
import type { ClientSecurity } from './dlms-read.js';
import { TwoSlotRecord, type Nvram, type Crc32 } from '../generic/shared/nvrecord.js';
import { ReservedCounter } from '../generic/shared/counter.js';

export const IC_BLOCK = 64;
const MAGIC = 0x3156_4c4e;   // "NLV1"
const SLOT = 32, RECORD = 64, PAYLOAD = 20;
export const REC_SERVER_IC = 0, REC_CLIENT_IC = 1, REC_SEED = 2;

interface Drbg { drbgSeed(p: Uint8Array): void; random(n: number): Uint8Array; drbgInfo(): string }

/** One power-fail-safe record (two slots, generic/shared/nvrecord.ts); without NVRAM, 'absent'. */
export class NvRecord {
  readonly rec: TwoSlotRecord | undefined;
  /** 'new' (blank), 'ok', 'corrupt' (neither slot valid nor blank) or 'absent' (no NVRAM). */
  status: 'new' | 'ok' | 'corrupt' | 'absent' = 'absent';
  constructor(nv: Nvram | undefined, crc: Crc32 | undefined, id: number) {
    this.rec = nv && crc ? new TwoSlotRecord(nv, crc, id * RECORD, SLOT, SLOT, MAGIC) : undefined;
  }

  load(): Uint8Array | undefined {
    const { rec } = this;
    if (!rec) return undefined;
    const found = rec.load();
    this.status = rec.status;
    return found ? rec.bytes.slice(8, 8 + PAYLOAD) : undefined;
  }

  save(payload: Uint8Array): boolean {
    const { rec } = this;
    if (!rec) return false;
    rec.bytes.fill(0);
    rec.bytes.set(payload.subarray(0, PAYLOAD), 8);
    rec.save();
    this.status = 'ok';
    return true;
  }
}

/** An invocation counter kept as a reserved bound in record `id` (generic/shared/counter.ts). */
export function storedCounter(nv: Nvram | undefined, crc: Crc32 | undefined, id: number, fallback: () => number): ReservedCounter {
  return new ReservedCounter(new NvRecord(nv, crc, id).rec, IC_BLOCK, fallback);
}

let seeded: Drbg | undefined;

function drivers(rs: RunServiceFn): { nv?: Nvram; crc?: Crc32 } {
  let nv: Nvram | undefined, crc: Crc32 | undefined;
  try {
    nv = rs('driver.get', 'nvstore') as Nvram;
    // a volatile NVRAM (no backing file) forgets at reset: a counter kept there would restart
    const info = nv.info();
    if (!/size=[1-9]/.test(info) || !info.startsWith('kind=file')) nv = undefined;
    const c = rs('driver.get', 'crc') as { CRC32: new (p: number, i: number, ri: boolean, ro: boolean, x: number) => Crc32 };
    crc = new c.CRC32(0x04c11db7, 0xffffffff, true, true, 0xffffffff);
  } catch { nv = undefined; }
  return nv && crc ? { nv, crc } : {};
}

/**
 * The CTR_DRBG of the crypto driver, instantiated once per boot from the board's entropy source
 * with the device's system title and the stored seed as personalisation; the stored seed is then
 * replaced by fresh DRBG output, so that two boots never start from the same state even if the
 * board's entropy source were weak.
 */
export function drbg(rs: RunServiceFn, title: Uint8Array): Drbg {
  if (seeded) return seeded;
  const c = rs('driver.get', 'crypto') as Drbg;
  const { nv, crc } = drivers(rs);
  const rec = new NvRecord(nv, crc, REC_SEED);
  const stored = rec.load() ?? new Uint8Array(0);
  const p = new Uint8Array(title.length + stored.length);
  p.set(title);
  p.set(stored, title.length);
  c.drbgSeed(p);
  const next = new Uint8Array(PAYLOAD);
  next.set(c.random(16));
  rec.save(next);
  rs('trace', 3, `DRBG seeded (stored seed ${rec.status === 'ok' && stored.length ? 'used' : 'none'}; ${c.drbgInfo()})`);
  seeded = c;
  return c;
}

/** The server's transmit invocation counter (meter): its start and the hook for each one used. */
export function serverCounter(rs: RunServiceFn, random: () => number): { start: number; use(ic: number): void; status: string } {
  const { nv, crc } = drivers(rs);
  const c = storedCounter(nv, crc, REC_SERVER_IC, () => random() & 0x3fffffff);
  const start = c.start();
  rs('trace', 3, `DLMS invocation counter ${c.source === 'absent' ? 'not kept (no NVRAM area): random start' : `restored ${start} (${c.source})`}`);
  return { start, use: (ic) => c.reserve(ic), status: c.source };
}

/** The concentrator client's security: DRBG challenges, a persisted invocation counter. */
export function clientSecurity(rs: RunServiceFn, title: Uint8Array): ClientSecurity {
  const d = drbg(rs, title);
  const { nv, crc } = drivers(rs);
  const c = storedCounter(nv, crc, REC_CLIENT_IC, () => new DataView(d.random(4).buffer).getUint32(0) & 0x3fffffff);
  let last = c.start();
  rs('trace', 3, `DLMS client invocation counter ${c.source === 'absent' ? 'not kept (no NVRAM area): random start' : `restored ${last} (${c.source})`}`);
  return {
    random: (n) => d.random(n),
    invocationCounter: () => last,
    used: (ic) => { if (ic > last) last = ic; c.reserve(ic); },
  };
}
