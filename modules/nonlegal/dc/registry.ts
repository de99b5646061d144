// The concentrator's meter registry: one entry per meter EUI-64, bounded by config.dc.maxMeters
// (a meter beyond it is refused and counted). What must survive a restart (the EUI-64, short
// address, state and the scheduler's cursors) is kept by a MeterStore chosen at start from the
// drivers NON-LEGAL gets (index.ts): on the SPI NOR's flash area "dc-registry" as a log of meter
// records (registry-flash.ts, up to 256 meters and more), else in NON-LEGAL's NVRAM area (driver
// "nvstore") as one versioned, CRC'd record in two copies (generic/shared/nvrecord.ts), 7 meters.
// NVRAM layout (area-relative, little-endian; bytes the concentrator role does not otherwise use: the
// meter's server counters and key records, ic-store.ts ids 3 and the key record, live there only
// on a meter), 2 copies of 160 bytes at 192 and 352:
//   0 magic "DCR1", 4 seq, 8 version (u8, 1), 9 count (u8), 10.. count entries of 20 bytes:
//   EUI-64 (8), short (u16), state (u8), 0 (u8), profile cursor (u32 unix s), event cursor
//   (u32 unix s); CRC-32 of 0..155 at 156.
import { TwoSlotRecord, type Crc32, type Nvram } from '../../generic/shared/nvrecord.js';

export type MeterState = 'joining' | 'online' | 'unreachable' | 'suspended' | 'left';
export const STATES: readonly MeterState[] = ['joining', 'online', 'unreachable', 'suspended', 'left'];
/** The grid phase a meter is on (installation data, `DC PHASE`): one of L1..L3, all three, or not declared. */
export type MeterPhase = 'L1' | 'L2' | 'L3' | '3P' | '?';
export const PHASES: readonly MeterPhase[] = ['?', 'L1', 'L2', 'L3', '3P'];

export interface LastValue {
  captureS: number;
  values: number[];
}

export interface MeterEntry {
  /** EUI-64, 16 upper-case hex digits. */
  readonly eui: string;
  short: number;
  /** Logical device name (0.0.42.0.0.255) and serial (0.0.96.1.0.255), read once; '' until read. */
  name: string;
  serial: string;
  state: MeterState;
  /** Concentrator time of the last answer, unix s (0: never). */
  lastSeenS: number;
  /** Link quality and route hops: PLC does not expose them to NON-LEGAL yet (-1). */
  lqi: number;
  hops: number;
  failures: number;
  retries: number;
  /** Last values read, by OBIS (bounded: config.dc.lastValues per meter). */
  readonly last: Map<string, LastValue>;
  /** Meter clock minus concentrator clock at the last clock read, s (undefined: not read). */
  clockOffsetS: number | undefined;
  /** Capture time of the last load-profile interval stored (0: none); reads start after it. */
  profileCursorS: number;
  /** Capture time of the last event read (0: none). */
  eventCursorS: number;
  /** Day (unix s / 86400) of the last billing read. */
  billingDay: number;
  /** Its grid phase for the energy balance (balance.ts); '?' until declared. */
  phase: MeterPhase;
}

export const MAGIC = 0x3152_4344; // "DCR1"
export const VERSION = 1;
export const STORE_BASE = 192,
  STORE_SLOT = 160,
  ENTRY = 20;
/** Meters the NVRAM record holds: (160 - 8 header - 2 - 4 CRC) / 20. */
export const STORE_CAPACITY = Math.floor((STORE_SLOT - 14) / ENTRY);

export interface PersistedMeter {
  eui: string;
  short: number;
  state: MeterState;
  profileCursorS: number;
  eventCursorS: number;
}

/** Where the registry's persistent part lives: load() at start, save() after a change. */
export interface MeterStore {
  readonly kind: 'nvram' | 'flash';
  /** Meters it holds. */
  readonly capacity: number;
  /** After load(): 'new', 'ok', 'corrupt' or 'version'. */
  readonly status: string;
  readonly saves: number;
  load(): PersistedMeter[];
  save(meters: readonly PersistedMeter[]): void;
  info(): string;
}

/** The registry's record in the NVRAM area; status after load(): 'new', 'ok', 'corrupt' or 'version'. */
export class RegistryStore implements MeterStore {
  readonly kind = 'nvram';
  readonly capacity = STORE_CAPACITY;
  private readonly rec: TwoSlotRecord;
  status: 'new' | 'ok' | 'corrupt' | 'version' = 'new';
  saves = 0;
  constructor(nv: Nvram, crc: Crc32) {
    this.rec = new TwoSlotRecord(nv, crc, STORE_BASE, STORE_SLOT, STORE_SLOT, MAGIC);
  }

  load(): PersistedMeter[] {
    const found = this.rec.load();
    this.status = this.rec.status;
    if (!found) return [];
    const v = this.rec.view,
      b = this.rec.bytes;
    const count = b[9]!;
    if (b[8] !== VERSION || count > STORE_CAPACITY) {
      this.status = 'version';
      return [];
    }
    const out: PersistedMeter[] = [];
    for (let i = 0; i < count; i++) {
      const at = 10 + i * ENTRY;
      let eui = '';
      for (let k = 0; k < 8; k++) eui += b[at + k]!.toString(16).padStart(2, '0');
      out.push({
        eui: eui.toUpperCase(),
        short: v.getUint16(at + 8, true),
        state: STATES[b[at + 10]!] ?? 'joining',
        profileCursorS: v.getUint32(at + 12, true),
        eventCursorS: v.getUint32(at + 16, true),
      });
    }
    return out;
  }

  save(meters: readonly PersistedMeter[]): void {
    const v = this.rec.view,
      b = this.rec.bytes;
    b.fill(0);
    const n = Math.min(meters.length, STORE_CAPACITY);
    b[8] = VERSION;
    b[9] = n;
    for (let i = 0; i < n; i++) {
      const m = meters[i]!,
        at = 10 + i * ENTRY;
      for (let k = 0; k < 8; k++) b[at + k] = parseInt(m.eui.slice(2 * k, 2 * k + 2), 16);
      v.setUint16(at + 8, m.short, true);
      b[at + 10] = STATES.indexOf(m.state);
      v.setUint32(at + 12, m.profileCursorS >>> 0, true);
      v.setUint32(at + 16, m.eventCursorS >>> 0, true);
    }
    this.rec.save();
    this.saves++;
  }

  info(): string {
    return `nvram base=${STORE_BASE} slot=${STORE_SLOT} seq=${this.rec.seq} dropped=${this.rec.dropped}`;
  }
}

export interface RegistryConfig {
  /** Meters kept (1..the store's capacity: STORE_CAPACITY in the NVRAM area, the flash area's otherwise). */
  maxMeters: number;
  /** Last values kept per meter (distinct OBIS codes). */
  lastValues: number;
}

export function registryConfig(cfg: Partial<RegistryConfig> | undefined, capacity = STORE_CAPACITY): RegistryConfig {
  const maxMeters = cfg?.maxMeters ?? capacity;
  const lastValues = cfg?.lastValues ?? 8;
  if (!(Number.isInteger(maxMeters) && maxMeters >= 1 && maxMeters <= capacity))
    throw new RangeError(`dc.maxMeters: 1..${capacity}, got ${String(maxMeters)}`);
  if (!(Number.isInteger(lastValues) && lastValues >= 1 && lastValues <= 64))
    throw new RangeError(`dc.lastValues: 1..64, got ${String(lastValues)}`);
  return { maxMeters, lastValues };
}

const EUI = /^[0-9A-F]{16}$/;

export class Registry {
  readonly counters = { refused: 0, added: 0, restored: 0, saves: 0 };
  private readonly meters = new Map<string, MeterEntry>();

  constructor(
    readonly cfg: RegistryConfig,
    private readonly store: MeterStore | undefined,
  ) {}

  /** Restores the persisted meters; returns how many. */
  restore(): number {
    if (!this.store) return 0;
    for (const p of this.store.load()) {
      if (this.meters.size >= this.cfg.maxMeters) {
        this.counters.refused++;
        continue;
      }
      const m = this.make(p.eui, p.short);
      m.state = p.state === 'online' || p.state === 'unreachable' ? 'joining' : p.state;
      m.profileCursorS = p.profileCursorS;
      m.eventCursorS = p.eventCursorS;
      this.meters.set(m.eui, m);
      this.counters.restored++;
    }
    return this.counters.restored;
  }

  private make(eui: string, short: number): MeterEntry {
    return {
      eui,
      short,
      name: '',
      serial: '',
      state: 'joining',
      lastSeenS: 0,
      lqi: -1,
      hops: -1,
      failures: 0,
      retries: 0,
      last: new Map(),
      clockOffsetS: undefined,
      profileCursorS: 0,
      eventCursorS: 0,
      billingDay: 0,
      phase: '?',
    };
  }

  /** The meter's entry, added when new; undefined (refused, counted) at the bound or for a bad EUI-64. */
  add(eui: string, short: number): MeterEntry | undefined {
    const key = eui.toUpperCase();
    const known = this.meters.get(key);
    if (known) {
      if (known.short !== short) {
        known.short = short;
        this.save();
      }
      return known;
    }
    if (!EUI.test(key) || !(short >= 0 && short <= 0xffff) || this.meters.size >= this.cfg.maxMeters) {
      this.counters.refused++;
      return undefined;
    }
    const m = this.make(key, short);
    this.meters.set(key, m);
    this.counters.added++;
    this.save();
    return m;
  }

  /** By EUI-64 (16 hex digits) or short address. */
  find(key: string | number): MeterEntry | undefined {
    if (typeof key === 'string') return this.meters.get(key.toUpperCase());
    for (const m of this.meters.values()) if (m.short === key) return m;
    return undefined;
  }

  list(): MeterEntry[] {
    return [...this.meters.values()];
  }

  get size(): number {
    return this.meters.size;
  }

  /** Keeps a last value (bounded per meter: the oldest OBIS is dropped). */
  remember(m: MeterEntry, obis: string, v: LastValue): void {
    m.last.delete(obis);
    m.last.set(obis, v);
    while (m.last.size > this.cfg.lastValues) m.last.delete(m.last.keys().next().value as string);
  }

  /** Writes the persistent part (after a cursor or a state changed). */
  save(): void {
    if (!this.store) return;
    this.store.save(
      this.list().map((m) => ({
        eui: m.eui,
        short: m.short,
        state: m.state,
        profileCursorS: m.profileCursorS,
        eventCursorS: m.eventCursorS,
      })),
    );
    this.counters.saves++;
  }

  get storeStatus(): string {
    return this.store ? this.store.status : 'absent';
  }

  /** 'flash', 'nvram' or 'none' (nothing survives a restart). */
  get storeKind(): string {
    return this.store ? this.store.kind : 'none';
  }

  /** The store's own line (counters, layout), for DC STATS and traces. */
  storeInfo(): string {
    return this.store ? this.store.info() : 'none';
  }
}
