// NON-LEGAL's non-volatile security state in its own NVRAM area (GENERIC driver "nvstore", the
// last 512 bytes of the FRAM): the DLMS invocation counters (the meter server's transmit counter,
// the concentrator client's counter, the last counter the meter accepted from its client), the
// DRBG seed and the keys transferred by global_key_transfer. An invocation counter must never be used
// twice with the same key, power cut or not (Green Book 9.2.7.2.4.3), so a counter is kept as a
// reserved bound (ReservedCounter, shared with the PLC part's MAC frame counter): every counter
// used so far is below the stored bound; using one that reaches it first writes a bound IC_BLOCK
// higher. After a reset the counter restarts at the bound.
// Records (area-relative, little-endian), 2 slots of 32 bytes each, written alternately so a torn
// write leaves the other one: 0 magic "NLV1", 4 seq, 8 payload (20 bytes), 28 CRC-32 of 0..27.
//   id 0 at 0: server transmit IC bound (u32)   id 1 at 64: client IC bound (u32)
//   id 2 at 128: DRBG seed (16 bytes), replaced at each boot
//   id 3 at 192: the last invocation counter the meter accepted from a client: system title (8
//                bytes), IC (u32), 1 at byte 12 when an entry is there (0: none, after a key change),
//                at 16 the key generation it belongs to (u32, see the key record)
//   id 7 at 448: the seq of the last LEGAL event the alarm push handed to the network (u32, push.ts)
// The key record at 256 (KeyRecord): 2 slots of 96 bytes, 0 magic "NLK1", 4 seq, 8 mask of the
// keys transferred (bit = key id: 0 global unicast, 2 authentication, 3 master), 12 key
// generation (u32, +1 at each transfer), 16/40/64 the three keys wrapped (RFC 3394, 24 bytes
// each, in that order), 92 CRC-32 of 0..91.
import type { RunServiceFn } from '../../generic/services.js';
import type { ClientSecurity } from '../cosem/client.js';
import { TwoSlotRecord, persistentArea, type Nvram, type Crc32 } from '../../generic/shared/nvrecord.js';
import { ReservedCounter } from '../../generic/shared/counter.js';
import { aesKeyUnwrap, aesKeyWrap, type AesBlock } from '../cosem/keywrap.js';

export const IC_BLOCK = 64;
const MAGIC = 0x3156_4c4e; // "NLV1"
const SLOT = 32,
  RECORD = 64,
  PAYLOAD = 20;
export const REC_SERVER_IC = 0,
  REC_CLIENT_IC = 1,
  REC_SEED = 2,
  REC_RECEIVED_IC = 3,
  REC_PUSH = 7;
const KEY_MAGIC = 0x314b_4c4e; // "NLK1"
const KEY_SLOT = 96,
  WRAPPED = 24;
/** Key ids in the record's order (Blue Book key_id: global unicast, authentication, master). */
const KEY_IDS = [0, 2, 3];
const KEY_NAMES = ['encryptionKey', 'authenticationKey', 'masterKey'] as const;

interface Drbg {
  drbgSeed(p: Uint8Array): void;
  random(n: number): Uint8Array;
  drbgInfo(): string;
}

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
let area: { nv?: Nvram; crc?: Crc32 } | undefined;

/** NON-LEGAL's persistent area and its CRC-32, opened once per boot for every record here. */
function drivers(rs: RunServiceFn): { nv?: Nvram; crc?: Crc32 } {
  if (!area) {
    const a = persistentArea(rs, 'nvstore');
    area = a.kind === 'file' ? { nv: a.nv, crc: a.crc } : {};
  }
  return area;
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
  rs(
    'trace',
    3,
    `DLMS invocation counter ${c.source === 'absent' ? 'not kept (no NVRAM area): random start' : `restored ${start} (${c.source})`}`,
  );
  return { start, use: (ic) => c.reserve(ic), status: c.source };
}

/** The concentrator client's security: DRBG challenges, a persisted invocation counter. */
export function clientSecurity(rs: RunServiceFn, title: Uint8Array): ClientSecurity {
  const d = drbg(rs, title);
  const { nv, crc } = drivers(rs);
  const c = storedCounter(nv, crc, REC_CLIENT_IC, () => new DataView(d.random(4).buffer).getUint32(0) & 0x3fffffff);
  let last = c.start();
  rs(
    'trace',
    3,
    `DLMS client invocation counter ${c.source === 'absent' ? 'not kept (no NVRAM area): random start' : `restored ${last} (${c.source})`}`,
  );
  return {
    random: (n) => d.random(n),
    invocationCounter: () => last,
    used: (ic) => {
      if (ic > last) last = ic;
      c.reserve(ic);
    },
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
export function receivedCounter(rs: RunServiceFn, gen: Generation): ReceivedCounter {
  const { nv, crc } = drivers(rs);
  const rec = new NvRecord(nv, crc, REC_RECEIVED_IC);
  const p = rec.load();
  const restored = p ? floorOf(p, gen) : undefined;
  const status = rec.status;
  if (status === 'corrupt')
    rs(
      'trace',
      1,
      'security: received invocation counter record corrupt: replay floor lost until the next accepted counter (renew the keys)',
    );
  else
    rs(
      'trace',
      3,
      `DLMS received invocation counter ${status === 'absent' ? 'not kept (no NVRAM area)' : restored ? `restored ${restored.ic} (${status})` : `none (${status})`}`,
    );
  const out: ReceivedCounter = {
    restored,
    status,
    writes: 0,
    keep(accepted) {
      if (rec.save(floorPayload(accepted, gen.generation))) out.writes++;
    },
  };
  return out;
}

/** The key generation shared by the key record and the received-counter record. */
export interface Generation {
  /** The generation of the keys in use (0: factory keys, never transferred). */
  generation: number;
  /** The highest generation seen in either record (a new one must be above it). */
  seen: number;
}

/**
 * The received-counter record's payload (id 3) for an accepted counter, or none after a key
 * change, tagged with the key generation it belongs to.
 */
export function floorPayload(accepted: { title: Uint8Array; ic: number } | undefined, generation: number): Uint8Array {
  const b = new Uint8Array(PAYLOAD),
    v = new DataView(b.buffer);
  if (accepted && accepted.title.length === 8) {
    b.set(accepted.title);
    v.setUint32(8, accepted.ic >>> 0, true);
    b[12] = 1;
  }
  v.setUint32(16, generation >>> 0, true);
  return b;
}

/**
 * The floor in a received-counter payload, if it belongs to the keys in use. The key record is
 * written before the floor is cleared (KeyRecord.save), so a cut between the two leaves the new
 * keys with the old keys' floor: its generation tells it apart, and it is ignored (the new keys
 * start a new counter space). Records from before the generation was kept read as generation 0,
 * the factory keys'.
 */
export function floorOf(p: Uint8Array, gen: Generation): { title: Uint8Array; ic: number } | undefined {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength),
    g = v.getUint32(16, true);
  if (g > gen.seen) gen.seen = g;
  return p[12] === 1 && g === gen.generation ? { title: p.slice(0, 8), ic: v.getUint32(8, true) } : undefined;
}

/** The meter's keys: the factory ones (image config) and those transferred since. */
export interface MeterKeys {
  encryptionKey: Uint8Array;
  authenticationKey: Uint8Array;
  masterKey: Uint8Array;
}

/**
 * The keys transferred by Security setup global_key_transfer, kept over resets as a real meter
 * keeps them in non-volatile memory (otherwise a reset brings the factory keys back and the head
 * end, which has the new ones, loses the meter). One record in two copies (TwoSlotRecord): all
 * the keys of one ACTION go in one write, so a torn write leaves the old key set or the new one,
 * never half of each. Each key is stored wrapped (RFC 3394) under the factory master key, so the
 * FRAM never holds a key in clear. That KEK comes from the image's config: a development-kit
 * choice; a production meter would wrap under a device-unique key from protected flash (or keep
 * the keys in a secure element), which reading the image would not reveal.
 */
export class KeyRecord implements Generation {
  readonly rec: TwoSlotRecord | undefined;
  /** Which keys were transferred (bit = key id). */
  mask = 0;
  generation = 0;
  seen = 0;
  /** After load(): 'new', 'ok', 'corrupt', 'unwrap' (a stored key failed to unwrap) or 'absent'. */
  status: 'new' | 'ok' | 'corrupt' | 'unwrap' | 'absent' = 'absent';

  constructor(
    nv: Nvram | undefined,
    crc: Crc32 | undefined,
    private readonly aes: AesBlock,
    private readonly kek: Uint8Array,
  ) {
    this.rec = nv && crc ? new TwoSlotRecord(nv, crc, 4 * RECORD, KEY_SLOT, KEY_SLOT, KEY_MAGIC) : undefined;
  }

  /**
   * The keys to use from factory ones: those stored override them. A corrupt record or a key that
   * does not unwrap (a memory fault, tampering, or an image with another factory master key)
   * leaves the factory keys (the caller traces an error): the head end can still reach the meter
   * with the keys it was delivered with and transfer new ones, where refusing every key would
   * brick the meter's DLMS access.
   */
  load(factory: MeterKeys): MeterKeys {
    const out = { ...factory },
      { rec } = this;
    if (!rec) return out;
    const found = rec.load();
    this.status = rec.status;
    if (!found) return out;
    const mask = rec.bytes[8]!,
      g = rec.view.getUint32(12, true);
    if (g > this.seen) this.seen = g;
    const keys: Partial<MeterKeys> = {};
    for (let i = 0; i < 3; i++) {
      if (!((mask >> KEY_IDS[i]!) & 1)) continue;
      const key = aesKeyUnwrap(this.aes, this.kek, rec.bytes.slice(16 + i * WRAPPED, 16 + (i + 1) * WRAPPED));
      if (key?.length !== 16) {
        this.status = 'unwrap';
        return out;
      }
      keys[KEY_NAMES[i]!] = key;
    }
    this.mask = mask;
    this.generation = g;
    return Object.assign(out, keys);
  }

  /**
   * Saves the key set after a transfer of the keys `ids` (one write). A new unicast or
   * authentication key starts a new counter space, so a new generation: the caller clears the
   * received-counter floor after this write, tagged with it. A master key alone keeps the
   * generation (and the floor, which stays valid).
   */
  save(keys: MeterKeys, ids: readonly number[]): boolean {
    const { rec } = this;
    if (!rec) return false;
    let mask = this.mask;
    for (const id of ids) mask |= 1 << id;
    const g = ids.some((id) => id !== 3) ? (Math.max(this.generation, this.seen) + 1) >>> 0 : this.generation;
    rec.bytes.fill(0);
    rec.bytes[8] = mask;
    rec.view.setUint32(12, g, true);
    for (let i = 0; i < 3; i++)
      if ((mask >> KEY_IDS[i]!) & 1) rec.bytes.set(aesKeyWrap(this.aes, this.kek, keys[KEY_NAMES[i]!]), 16 + i * WRAPPED);
    rec.save();
    this.mask = mask;
    this.generation = g;
    if (g > this.seen) this.seen = g;
    this.status = 'ok';
    return true;
  }
}

/** The meter's keys at boot (factory ones overridden by the stored ones) and their record. */
export function keyStore(rs: RunServiceFn, factory: MeterKeys, aes: AesBlock): { keys: MeterKeys; record: KeyRecord } {
  const { nv, crc } = drivers(rs);
  const record = new KeyRecord(nv, crc, aes, factory.masterKey);
  const keys = record.load(factory);
  const s = record.status;
  if (s === 'corrupt' || s === 'unwrap')
    rs('trace', 1, `security: key record ${s === 'corrupt' ? 'corrupt' : 'does not unwrap'}: factory keys in use`);
  else
    rs(
      'trace',
      3,
      `DLMS keys ${s === 'absent' ? 'not kept (no NVRAM area)' : record.mask ? `restored (mask ${record.mask}, generation ${record.generation})` : `factory (${s})`}`,
    );
  return { keys, record };
}

/** The alarm push's record (id 7): the last LEGAL event seq pushed. */
export function pushRecord(rs: RunServiceFn): NvRecord {
  const { nv, crc } = drivers(rs);
  const r = new NvRecord(nv, crc, REC_PUSH);
  return r;
}
