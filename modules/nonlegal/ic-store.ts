// NON-LEGAL's non-volatile security state in its own NVRAM area (GENERIC driver "nvstore", the
// last 256 bytes of the FRAM): the DLMS invocation counters (the meter server's transmit counter,
// the concentrator client's counter, the last counter the meter accepted from its client) and the
// DRBG seed. An invocation counter must never be used
// twice with the same key, power cut or not (Green Book 9.2.7.2.4.3), so a counter is kept as a
// reserved bound (ReservedCounter, shared with the PLC part's MAC frame counter): every counter
// used so far is below the stored bound; using one that reaches it first writes a bound IC_BLOCK
// higher. After a reset the counter restarts at the bound.
// Records (area-relative, little-endian), 2 slots of 32 bytes each, written alternately so a torn
// write leaves the other one: 0 magic "NLV1", 4 seq, 8 payload (20 bytes), 28 CRC-32 of 0..27.
//   id 0 at 0: server transmit IC bound (u32)   id 1 at 64: client IC bound (u32)
//   id 2 at 128: DRBG seed (16 bytes), replaced at each boot
//   id 3 at 192: the last invocation counter the meter accepted from a client: system title (8
//                bytes), IC (u32), 1 at byte 12 when an entry is there (0: none, after a key change)
import type { RunServiceFn } from '../generic/services.js';
import type { ClientSecurity } from './dlms-read.js';
import { TwoSlotRecord, type Nvram, type Crc32 } from '../generic/shared/nvrecord.js';
import { ReservedCounter } from '../generic/shared/counter.js';

export const IC_BLOCK = 64;
const MAGIC = 0x3156_4c4e;   // "NLV1"
const SLOT = 32, RECORD = 64, PAYLOAD = 20;
export const REC_SERVER_IC = 0, REC_CLIENT_IC = 1, REC_SEED = 2, REC_RECEIVED_IC = 3;

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

/** What receivedCounter() restored, and the hook that keeps it. */
export interface ReceivedCounter {
  /** The last counter accepted before the reset, if the record holds one. */
  restored: { title: Uint8Array; ic: number } | undefined;
  /** The record's state at boot: 'new', 'ok', 'corrupt' or 'absent' (no NVRAM area). */
  status: string;
  /** Saves an accepted counter (or none, after a key change); writes counted. */
  keep(accepted: { title: Uint8Array; ic: number } | undefined): void;
  writes: number;
}

/**
 * The meter's replay protection over power cuts: the last invocation counter accepted from a
 * client (Green Book: a received counter must be above the last one accepted with that key), in
 * record id 3. One entry, the client whose counter was accepted last: the management client is
 * the only one with ciphered APDUs, and Security setup names one client system title.
 *
 * Written at every accepted APDU, before it is served (a cut after serving cannot lose it): the
 * NVRAM is FRAM, whose endurance (1e14 writes and more) does not wear out at one 32-byte write per
 * APDU, and a write needs no erase. Unlike the transmit counters, no bound can be reserved ahead:
 * the received counter is the client's choice; on a memory with a wear limit this would need a
 * wear-levelled log instead.
 *
 * A corrupt record (neither copy valid, not blank: a torn write leaves the other copy, so this
 * means a memory fault or tampering with the FRAM) loses the floor. The meter then accepts the
 * next counter as on a blank record, which becomes the floor again, and traces an error: refusing
 * every counter instead would lock the management client out for good (only a key change opens a
 * new counter space, and the key transfer itself needs a ciphered association). Accepting is safe
 * enough because no association survives a reset and the management client's only mechanism is
 * HLS-GMAC: a replayed AARQ gets a fresh challenge that a replayed reply cannot answer, so no
 * replayed request is served; the head end, seeing the error, should renew the keys.
 */
export function receivedCounter(rs: RunServiceFn): ReceivedCounter {
  const { nv, crc } = drivers(rs);
  const rec = new NvRecord(nv, crc, REC_RECEIVED_IC);
  const p = rec.load();
  let restored: ReceivedCounter['restored'];
  if (p && p[12] === 1) restored = { title: p.slice(0, 8), ic: new DataView(p.buffer, p.byteOffset).getUint32(8, true) };
  const status = rec.status;
  if (status === 'corrupt') rs('trace', 1, 'security: received invocation counter record corrupt: replay floor lost until the next accepted counter (renew the keys)');
  else rs('trace', 3, `DLMS received invocation counter ${status === 'absent' ? 'not kept (no NVRAM area)' : restored ? `restored ${restored.ic} (${status})` : `none (${status})`}`);
  const out: ReceivedCounter = {
    restored, status, writes: 0,
    keep(accepted) {
      const b = new Uint8Array(PAYLOAD);
      if (accepted && accepted.title.length === 8) {
        b.set(accepted.title);
        new DataView(b.buffer).setUint32(8, accepted.ic >>> 0, true);
        b[12] = 1;
      }
      if (rec.save(b)) out.writes++;
    },
  };
  return out;
}
