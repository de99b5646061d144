// The concentrator's applications (concentrator role only, started from main.ts): the meter
// registry (registry.ts), the sessions (session.ts), the read scheduler (scheduler.ts) and the DC
// shell commands (shell.ts). Meters come from PLC's device table (ADP device requests by index,
// devices.ts), polled every discovery period; config.dc in the manifest sets every bound.
import type { RunServiceFn } from '../../generic/services.js';
import type { TimerModule } from '../../generic/timer.js';
import type { FlashDriver } from 'drivers/spinor/flash';
import { type Crc32, persistentArea } from '../../generic/shared/nvrecord.js';
import type { UplinkSink } from './headend/records.js';
import { METRO_GET_INSTANT } from '../../generic/shared/metro-requests.js';
import { METRO_INSTANT } from '../../generic/shared/metro-answers.js';
import { DeviceLookup } from '../app/devices.js';
import { LegalLink } from '../meter/legal.js';
import type { DlmsUdpClient } from './dlms-read.js';
import { alarmBackpressure, alarmFromLog } from './alarms.js';
import { Balance, balanceConfig, type BalanceConfig, TransformerMeter } from './balance.js';
import { DlmsMeterReader } from './dlms-reader.js';
import { type MeterStore, Registry, RegistryStore, registryConfig, STORE_CAPACITY, type RegistryConfig } from './registry.js';
import { FlashRegistryStore } from './registry-flash.js';
import { Scheduler, schedulerConfig, type SchedulerConfig } from './scheduler.js';
import { Prng, Sessions, sessionLimits, type SessionLimits } from './session.js';
import { DcShell } from './shell.js';
import { type Campaign, type FotaConfig, startFota } from './fota.js';

export interface DcConfig extends Partial<RegistryConfig>, Partial<SchedulerConfig> {
  session?: Partial<SessionLimits>;
  /** How often PLC's device table is polled for new meters, s (10..3600). */
  discoveryS?: number;
  /** The energy balance (balance.ts); absent: none. */
  balance?: Partial<BalanceConfig>;
  /** Firmware campaigns (fota.ts, DC FOTA); absent: none. */
  fota?: Partial<FotaConfig>;
}

export interface Concentrator {
  registry: Registry;
  sessions: Sessions;
  scheduler: Scheduler;
  shell: DcShell;
  balance: Balance | undefined;
  fota: Campaign | undefined;
}

/** A sink that counts records (main.ts passes it until the head-end uplink is wired). */
export function countingSink(): UplinkSink & { records: number; alarms: number } {
  const s = {
    records: 0,
    alarms: 0,
    record: () => {
      s.records++;
      return true;
    },
    alarm: () => {
      s.alarms++;
    },
  };
  return s;
}

const hexOf = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();

/** The flash area of the registry (manifest config.flash, owner nonlegal). */
export const REGISTRY_AREA = 'dc-registry';

/**
 * The registry's store, from the drivers NON-LEGAL gets: the flash area when the board has the
 * SPI NOR and the area (lin, mps2-an386), else the NVRAM record when the NVRAM survives a reset,
 * else none.
 */
function registryStore(rs: RunServiceFn): MeterStore | undefined {
  try {
    const fd = rs('driver.get', 'flash') as FlashDriver;
    if (fd.areas().includes(REGISTRY_AREA)) {
      const c = rs('driver.get', 'crc') as { CRC32: new (p: number, i: number, ri: boolean, ro: boolean, x: number) => Crc32 };
      return new FlashRegistryStore(fd.open(REGISTRY_AREA), new c.CRC32(0x04c11db7, 0xffffffff, true, true, 0xffffffff));
    }
  } catch {
    // no flash driver on this board (no chip, no table, config.flash false)
  }
  const area = persistentArea(rs, 'nvstore');
  return area.kind === 'file' ? new RegistryStore(area.nv, area.crc) : undefined;
}

export function startConcentrator(rs: RunServiceFn, client: DlmsUdpClient, cfg: DcConfig | undefined, sink: UplinkSink): Concentrator {
  const timers = rs('timer.module') as TimerModule;
  const t = { set: (cb: () => void, ms: number) => timers.set(cb, ms), clear: (h: unknown) => timers.clear(h as never) };
  const now = () => rs('misc.time');
  const store = registryStore(rs);
  // without the flash area the NVRAM record's 7 meters bound the registry, whatever the manifest asks
  let rcfg: Partial<RegistryConfig> | undefined = cfg;
  if (store?.kind !== 'flash' && (cfg?.maxMeters ?? 0) > STORE_CAPACITY) {
    rs(
      'trace',
      2,
      `DC registry: no flash area ${REGISTRY_AREA}: ${STORE_CAPACITY} meters (NVRAM record), not dc.maxMeters ${cfg!.maxMeters}`,
    );
    rcfg = { ...cfg, maxMeters: STORE_CAPACITY };
  }
  const registry = new Registry(registryConfig(rcfg, store?.capacity ?? STORE_CAPACITY), store);
  const restored = registry.restore();
  const find = (eui: string) => registry.find(eui);
  const prng = new Prng(rs('misc.random'));
  const sessions = new Sessions(sessionLimits(cfg?.session), t, () => prng.next(), {
    bulkPaused: alarmBackpressure,
    unreachable: (eui, why) => {
      const m = find(eui);
      if (!m) return;
      m.failures++;
      if (m.state !== 'unreachable') {
        m.state = 'unreachable';
        registry.save();
        rs('trace', 2, `DC meter ${eui} unreachable: ${why}`);
      }
    },
    answered: (eui) => {
      const m = find(eui);
      if (!m) return;
      m.lastSeenS = Math.floor(now() / 1000);
      if (m.state === 'joining' || m.state === 'unreachable') {
        m.state = 'online';
        registry.save();
      }
    },
    retry: (eui) => {
      const m = find(eui);
      if (m) m.retries++;
    },
    isUnreachable: (eui) => find(eui)?.state === 'unreachable',
  });
  const scheduler = new Scheduler(schedulerConfig(cfg), registry, sessions, new DlmsMeterReader(client, now), sink, now, t);
  scheduler.onLogEvent = alarmFromLog; // an alarm whose push was lost is found in the event log
  scheduler.onCycle = (n) => {
    const c = scheduler.counters;
    if (n < 0) return rs('trace', 3, 'DC cycle skipped: paused');
    rs(
      'trace',
      3,
      `DC cycle ${n} done: meters=${registry.size} intervals=${c.intervals} duplicates=${c.duplicates} clockSets=${c.clockSets}`,
    );
  };
  const shell = new DcShell(registry, scheduler, sessions, now);
  // the energy balance: the transformer's energy from this concentrator's own LEGAL part (its
  // three-phase METRO) against the meters' profile intervals
  let legal: LegalLink | undefined;
  let balance: Balance | undefined;
  if (cfg?.balance) {
    const bcfg = balanceConfig(cfg.balance);
    const period = () => scheduler.periodS;
    const b = new Balance(bcfg, registry, period, (r) => sink.record(r));
    const tr = new TransformerMeter(period, (s, total, phases) => b.transformerInterval(s, total, phases));
    legal = new LegalLink(rs, timers, 1000);
    const link = legal;
    scheduler.onInterval = (m, r) => b.meterInterval(m, r.captureS, r.values[0] ?? Number.NaN);
    timers.repeat(() => {
      void link.request(METRO_GET_INSTANT, {}, METRO_INSTANT).then((a) => {
        if (a && a.instant.time >= 0) tr.sample(a.instant, now());
      });
    }, bcfg.sampleS * 1000);
    balance = b;
    shell.balance = b;
  }
  shell.register(rs);
  // firmware campaigns to the meters (DLMS image transfer), where the manifest configures them
  const fota = cfg?.fota
    ? startFota(
        rs,
        client,
        registry,
        shell,
        cfg.fota,
        new (rs('driver.get', 'crc') as { CRC32: new (p: number, i: number, ri: boolean, ro: boolean, x: number) => Crc32 }).CRC32(
          0x04c11db7,
          0xffffffff,
          true,
          true,
          0xffffffff,
        ),
      )
    : undefined;
  // meters from PLC's device table: index 0.. until ADP says there is no such device
  const discoveryS = cfg?.discoveryS ?? 60;
  if (!(Number.isInteger(discoveryS) && discoveryS >= 10 && discoveryS <= 3600)) throw new RangeError('dc.discoveryS: 10..3600');
  let lookup: DeviceLookup | undefined;
  const task = rs('task.create', {
    name: 'DC',
    priority: 3,
    queue: 8,
    onMessage: (m) => {
      if (legal && m.id === METRO_INSTANT.id) legal.onMessage(m);
      else lookup?.onMessage(m);
    },
  });
  if (legal) legal.task = task;
  lookup = new DeviceLookup(rs, task, timers);
  const discover = async (): Promise<void> => {
    for (let i = 0; i < 0xffff; i++) {
      let e: { short: number; eui64: Uint8Array; count: number };
      try {
        e = await lookup!.entry(i);
      } catch {
        return; // past the last device, or no table (counted by DeviceLookup)
      }
      registry.add(hexOf(e.eui64), e.short);
      if (i + 1 >= e.count) return;
    }
  };
  timers.repeat(() => void discover(), discoveryS * 1000);
  void discover();
  scheduler.start();
  rs(
    'trace',
    3,
    `DC started: ${restored} meters restored (registry ${registry.storeStatus}, ${registry.storeInfo()}, max ${registry.cfg.maxMeters}), profile every ${scheduler.cfg.profileMin} min`,
  );
  return { registry, sessions, scheduler, shell, balance, fota };
}
