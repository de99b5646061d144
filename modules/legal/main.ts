// LEGAL part entry: the METRO task. Every second an RTOS timer has the metrology driver (C:
// front-end + DSP) measure one second, keeps the results and captures a record into the ring
// (metro_data_store, store.ts). Other parts get records only as copies, through
// X_METRO_GET_DATA {req, n} -> X_METRO_SET_DATA {req, records}; nothing they send changes legal
// state. Every request is checked against its contract (generic/shared/messages.ts): a malformed
// one is dropped and counted (`METRO STATS`).
// Lean on purpose: every function object and every byte of bytecode costs RAM on the STM32F405.
import { X_SYS_PING, X_SYS_PONG, X_METRO_SET_DATA, X_METRO_INSTANT, X_METRO_RELAY_STATE } from '../generic/ids.js';
import { accept, formatMalformed, METRO_GET_DATA_MAX, type MalformedCounts } from '../generic/shared/messages.js';
import { METRO_GET_DATA, METRO_GET_INSTANT, METRO_RELAY } from '../generic/shared/metro-requests.js';
import type { RunServiceFn } from '../generic/services.js';
import type { MetroDriver } from 'drivers/metrology/metro-driver';
import { MetroDataStore } from './store.js';
import type { Legal } from './legal.js';
import type { VoltageConfig } from './detect.js';
// Offsets in the driver's output: phase p at p * PHASE, then these (one definition, metro-record.ts)
import {
  MX_PHASE_FIELDS as PHASE,
  MX_TOTAL as TOTAL,
  MX_ENERGY as ENERGY,
  MX_SECOND as SECOND,
  MX_NEUTRAL as NEUTRAL,
  MX_PHASES as PHASES,
  MX_FIELDS as FIELDS,
} from '../generic/shared/metro-record.js';

const PHASE_KEYS = ['V', 'I', 'P', 'Q', 'S', 'PF', 'F'];
const ENERGY_KEYS = ['A+', 'A-', 'R.Q1', 'R.Q2', 'R.Q3', 'R.Q4', 'AP']; // Wh, varh, VAh

export function entryPoint(RunService: RunServiceFn): void {
  const cfg = RunService('config') as
    | { readonly ringCapacity?: number; readonly eventLog?: boolean; readonly voltage?: VoltageConfig; readonly phases?: number }
    | undefined;
  const store = new MetroDataStore(cfg?.ringCapacity ?? 16);
  const driver = RunService('driver.get', 'metro') as MetroDriver;
  // The front-end layout (config phases, default 3: L1 and the neutral on the main chip, L2 and L3
  // on the STPM34-like second device; 1 = single-phase meter), before the first second. The grid
  // model's commands (METRO LOAD, HARM, NOISE, LINK) are drivers/gridmodel/shell.ts, GENERIC's.
  driver.layout(cfg?.phases ?? 3);
  const now = new Float64Array(FIELDS); // the last measured second
  let time = -1; // its capture time, ms (-1: none yet)
  let legal: Legal | undefined; // registers in NVRAM, event log, display (legal.ts)
  const malformed: MalformedCounts = {}; // requests dropped, by message name

  const metro = RunService('task.create', {
    name: 'METRO',
    priority: 6,
    queue: 16,
    onMessage: (m) => {
      if (m.id === X_SYS_PING) RunService('msg.send', metro, m.from, X_SYS_PONG, { part: 'LEGAL', energyWh: now[ENERGY]! / 1e6 });
      else if (legal?.message(m, metro, malformed)) return;
      else if (m.id === METRO_GET_DATA.id) {
        const p = accept(METRO_GET_DATA, m, malformed);
        if (p) RunService('msg.send', metro, m.from, X_METRO_SET_DATA, { req: p.req, records: store.take(p.n) });
      }
      // loaded on first use: where no part asks (STM32F405, no DLMS) they cost no RAM
      else if (m.id === METRO_GET_INSTANT.id) {
        const p = accept(METRO_GET_INSTANT, m, malformed);
        if (p)
          void import('./instant.js').then((x) =>
            RunService('msg.send', metro, m.from, X_METRO_INSTANT, { req: p.req, instant: x.instant(now, time) }),
          );
      } else if (m.id === METRO_RELAY.id) {
        const p = accept(METRO_RELAY, m, malformed);
        if (p)
          void import('./relay.js').then((x) =>
            RunService('msg.send', metro, m.from, X_METRO_RELAY_STATE, { req: p.req, connected: x.relay(driver, p.connect) }),
          );
      }
    },
  });

  const timer = RunService('timer.create', {
    name: 'METRO',
    period: 1000,
    repeat: true,
    onTimer: () => {
      driver.second(now);
      time = RunService('misc.uptime');
      store.push(
        time,
        now[TOTAL]!,
        now[TOTAL + 1]!,
        now[TOTAL + 2]!,
        now[ENERGY]! / 1e6,
        now[ENERGY + 1]! / 1e6,
        (now[ENERGY + 2]! + now[ENERGY + 3]!) / 1e6,
        (now[ENERGY + 4]! + now[ENERGY + 5]!) / 1e6,
        now[ENERGY + 6]! / 1e6,
      );
      legal?.second();
    },
  });
  // The registers are restored from NVRAM before the first second is measured; if that cannot
  // be done, metrology does not start (it would restart the registers from zero).
  if (cfg?.eventLog === false) RunService('timer.start', timer);
  else {
    import('./legal.js')
      .then((m) => {
        legal = m.start(RunService, driver as Parameters<typeof m.start>[1], now, cfg?.voltage);
        RunService('timer.start', timer);
      })
      .catch((e: unknown) => {
        RunService(
          'shell.print',
          `LEGAL FAULT: registers and event log: ${e instanceof Error ? e.message : String(e)}; metrology stopped\r\n`,
        );
        RunService('lcd.print', 0, 'LEGAL FAULT');
      });
  }

  RunService(
    'shell.register',
    'METRO',
    'SHOW',
    0,
    '- last second: per phase V A W var VA PF Hz, totals W var VA, registers Wh varh VAh',
    (_p, out) => {
      if (time < 0) throw new Error('no second measured yet');
      let text = `time=${time}\r\nsecond=${now[SECOND]}\r\n`;
      for (let k = 0; k < 7 * now[PHASES]!; k++)
        text += `L${((k / 7) | 0) + 1}.${PHASE_KEYS[k % 7]}=${now[((k / 7) | 0) * PHASE + (k % 7)]!.toFixed(4)}\r\n`;
      text += `N.I=${now[NEUTRAL]!.toFixed(4)}\r\nP=${now[TOTAL]!.toFixed(4)}\r\nQ=${now[TOTAL + 1]!.toFixed(4)}\r\nS=${now[TOTAL + 2]!.toFixed(4)}\r\n`;
      for (let k = 0; k < 7; k++) text += `${ENERGY_KEYS[k]}=${(now[ENERGY + k]! / 1e6).toFixed(6)}\r\n`;
      out(text);
    },
  );
  RunService('shell.register', 'METRO', 'GET_DATA', 1, '<n 1..32> - pop up to n records of the ring, oldest first', (p, out) => {
    if (!(p[0]! >= 1 && p[0]! <= METRO_GET_DATA_MAX)) throw new RangeError(`n 1..${METRO_GET_DATA_MAX}`);
    const records = store.take(p[0]!);
    let text = '';
    for (const r of records) {
      text += `t=${r.time} P=${r.p.toFixed(4)} Q=${r.q.toFixed(4)} S=${r.s.toFixed(4)} A+=${r.aImp.toFixed(6)} A-=${r.aExp.toFixed(6)} R+=${r.rImp.toFixed(6)} R-=${r.rExp.toFixed(6)} AP=${r.app.toFixed(6)}\r\n`;
    }
    out(`${text}records=${records.length} left=${store.count} overwritten=${store.overwritten}\r\n`);
  });
  RunService('shell.register', 'METRO', 'STATS', 0, '- DSP cost of the last second; requests dropped as malformed', (_p, out) => {
    out(driver.stats());
    // only when something was dropped: a line more would follow the one scripts wait for
    const dropped = formatMalformed(malformed);
    if (dropped) out(`dropped{${dropped}}\r\n`);
  });
  RunService('lcd.print', 0, 'METER');
  RunService('trace', 3, 'METRO task started');
}
