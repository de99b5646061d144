// LEGAL's persistent state and its events: billing registers saved every second in alternating
// NVRAM copies and a witness (records.ts; places in layout.ts), the meter's clock, the legal
// event log (eventlog.ts) with power fail/restore, voltage, reverse-energy, tamper and
// clock-change events, the display and its buttons (display.ts), their shell commands and the
// X_METRO_GET_EVENTS / X_METRO_SET_CLOCK messages. Loaded by main.ts before the first second is measured (not on the STM32F405 until
// its bytecode leaves RAM: manifest config parts.legal.eventLog).
//
// Power cuts: the registers are saved right after each measured second, before anything can
// show them, so a cut loses at most the energy of the second being measured (plus the one
// being saved, when the cut tears that save: the other copy then holds the second before).
// A corruption of the NVRAM that destroys the newest copy leaves the witness (and the reverse);
// if every copy is lost the registers restart from 0 marked as lost (REGISTERS_LOST event, the
// flag kept in every later record), never silently. The area's layout header is checked first
// (layout.ts): an older layout is migrated (LAYOUT event), an unknown one refused (this throws:
// main.ts reports LEGAL FAULT and metrology does not start).
// The meter has no battery-backed clock modelled: after a cut it resumes from the clock of the
// newest record (POWER_FAIL is stamped with it), so an outage's length is not known.
// The 1 Hz ring (store.ts) is not persisted: it is a short window for readers, not a legal
// register, and after a cut its records would describe seconds before the outage.
import { X_METRO_EVENTS, X_METRO_CLOCK, X_METRO_RELAY_STATE } from '../generic/ids.js';
import { accept, CLOCK_MIN, CLOCK_MAX, type MalformedCounts } from '../generic/shared/messages.js';
import { METRO_RELAY, METRO_GET_EVENTS, METRO_SET_CLOCK } from '../generic/shared/metro-requests.js';
import type { RunServiceFn } from '../generic/services.js';
import type { MetroDriver } from 'drivers/metrology/metro-driver';
import type { MetroLegal } from 'drivers/metrology/metro-legal';
import type { GridEvents } from 'drivers/gridmodel/grid-events';
import type { Message } from '../generic/kernel.js';
import { BillingStore, type Nvram, type Crc32 } from './records.js';
import { EventLog, EVENT_NAMES } from './eventlog.js';
import { prepareArea, NO_AREA } from './layout.js';
import { SustainedDetector, REVERSE, type VoltageConfig } from './detect.js';
import { OpenEvents, OPEN_SLOTS } from './openevents.js';
import { Display, BUTTONS, BUTTON_NAMES } from './display.js';
import { MX_PHASE_FIELDS as PHASE, MX_ENERGY as ENERGY, MX_SECOND as SECOND, MX_TOTAL as TOTAL } from '../generic/shared/metro-record.js';

const POWER_FAIL = 1,
  POWER_RESTORE = 2,
  COVER = 9,
  MAGNET = 10,
  CLOCK = 11,
  NVRAM = 12,
  REGISTERS_LOST = 13,
  LAYOUT = 14;
const PQ_TYPES = [0, 3, 4, 5, COVER, MAGNET]; // drivers/metrology/pq.h PQ_* -> log type
const PQ_KEY_P1 = 6,
  PQ_KEY_P2 = 7;
const VOLTAGE_TYPES = [3, 4, 5]; // SAG, SWELL, INTERRUPTION: one slot per phase (a dip may become one)              // pq.h: buttons pressed on the model's input lines
const LOG_MAX = 32;
const DEFAULT_VOLTAGE: VoltageConfig = {
  declaredMv: 230000,
  sagPermille: 900,
  swellPermille: 1100,
  interruptionPermille: 50,
  hysteresisPermille: 20,
  overPermille: 1100,
  underPermille: 900,
  sustainS: 5,
};

export interface Legal {
  second(): void;
  /** Serves m when it is one of LEGAL's requests (true); a malformed one is counted in `malformed` and dropped. */
  message(m: Message, task: number, malformed: MalformedCounts): boolean;
}

export function start(
  RunService: RunServiceFn,
  driver: MetroDriver & MetroLegal,
  now: Float64Array,
  voltage: VoltageConfig | undefined,
): Legal {
  const nv = RunService('driver.get', 'nvram') as Nvram;
  const crcs = RunService('driver.get', 'crc') as { CRC32: new (p: number, i: number, ri: boolean, ro: boolean, x: number) => Crc32 };
  const crc = new crcs.CRC32(0x04c11db7, 0xffffffff, true, true, 0xffffffff);
  const info = nv.info();
  const size = nv.capacity();
  const persistent = info.startsWith('kind=file');
  let area: ReturnType<typeof prepareArea> | undefined;
  try {
    area = size > 0 ? prepareArea(nv, crc, size) : undefined;
  } catch (e) {
    RunService('trace', 1, `NVRAM: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
  const layout = area?.layout ?? NO_AREA;
  const bill = new BillingStore(nv, crc, layout);
  const log = new EventLog(nv, crc, layout);
  const openEvents = new OpenEvents(nv, crc, layout);
  const restored = size > 0 && bill.load();
  // every copy of the registers lost (not a new NVRAM): they restart from 0, marked
  const lost = size > 0 && bill.status === 'corrupt';
  if (lost) bill.lost = true;
  if (size > 0) {
    log.load();
    openEvents.load();
  }
  // The legal clock starts from the RTC (misc.time) when the RTC holds a plausible date not
  // older than the last saved second; otherwise it goes on from the saved clock (an RTC that lost
  // its time with the power), or from 0 on a fresh meter until the clock is set.
  const rtc = RunService('misc.time');
  const rtcValid = rtc >= CLOCK_MIN && rtc < CLOCK_MAX;
  const start0 = restored ? (rtcValid && rtc >= bill.clock ? rtc : bill.clock) : rtcValid ? rtc : 0;
  let clockBase = start0 - RunService('misc.uptime');
  const clock = () => clockBase + RunService('misc.uptime');
  if (restored) driver.restore(bill.values);
  // The load relay comes back as it was before the power cut (a disconnected customer stays
  // disconnected); the state is saved at once when it changes (message()).
  if (restored && bill.relayOpen && driver.relay(false)) bill.relayOpen = false; // the relay did not open

  const cfgV = voltage ?? DEFAULT_VOLTAGE;
  driver.quality(cfgV.declaredMv, cfgV.sagPermille, cfgV.swellPermille, cfgV.interruptionPermille, cfgV.hysteresisPermille);
  const record = (type: number, phase: number, time: number, duration: number, value: number) => {
    const seq = log.append(time, type, phase, value, duration);
    RunService(
      'trace',
      3,
      `event #${seq} ${EVENT_NAMES[type]} L${phase} t=${time} value=${Math.round(value)} duration=${Math.round(duration)}`,
    );
    return seq;
  };
  // An event is journaled when it ends; while it runs it is kept in its open-event slot.
  const slotOf = (type: number, phase: number) =>
    type === REVERSE ? 6 : type === COVER ? 7 : type === MAGNET ? 8 : VOLTAGE_TYPES.includes(type) ? phase - 1 : 3 + phase - 1;
  const begin = (type: number, phase: number, start: number, value: number) => {
    if (size > 0) openEvents.set(slotOf(type, phase), { type, phase, start, value });
    RunService('trace', 3, `event ${EVENT_NAMES[type]} L${phase} started t=${start}`);
  };
  const finish = (type: number, phase: number, start: number, duration: number, value: number) => {
    const seq = record(type, phase, start, duration, value);
    if (size > 0) openEvents.set(slotOf(type, phase), undefined);
    return seq;
  };
  const sustained = new SustainedDetector(cfgV, finish, begin);
  const display = new Display((line, text) => RunService('lcd.print', line, text));
  let keysP1 = 0,
    keysP2 = 0; // presses recognised on the input lines (not the shell's)

  const dropped = bill.dropped + log.dropped + openEvents.dropped + (area?.dropped ?? 0);
  RunService(
    'shell.print',
    size === 0
      ? 'NVRAM absent: registers and event log are not kept\r\n'
      : `NVRAM ${persistent ? 'file' : 'volatile (no backing file): registers and event log are lost at power off;'} size=${size} registers=${restored ? `restored seq=${bill.seq}` : lost ? 'lost' : 'new'} log=${log.count}/${log.capacity} dropped=${dropped}${area && area.status !== 'current' ? ` layout=${area.status}` : ''}\r\n`,
  );
  if (area && area.status !== 'current' && area.status !== 'formatted') {
    RunService('trace', 2, `NVRAM: layout ${area.status === 'migrated' ? 1 : 2} ${area.status} to layout 2`);
    record(LAYOUT, 0, clock(), 0, area.status === 'migrated' ? 1 : 2);
  }
  if (dropped > 0) {
    RunService(
      'trace',
      2,
      `NVRAM: ${bill.dropped} billing, ${openEvents.dropped} open-event, ${log.dropped} event and ${area?.dropped ?? 0} header records corrupt, dropped`,
    );
    record(NVRAM, 0, clock(), 0, dropped);
  }
  if (restored && bill.fromWitness)
    RunService('trace', 2, `NVRAM: registers restored from the witness (seq=${bill.seq}): the copies lost or older`);
  if (lost) {
    RunService('trace', 1, 'NVRAM: every copy of the registers lost, restarting from 0 marked as lost');
    record(REGISTERS_LOST, 0, clock(), 0, 0);
  }
  if (restored) {
    // events still running at the power failure end with it (unless the cut came between
    // journaling one and closing its slot: then it is among the newest records already)
    const recent = log.list(OPEN_SLOTS + 2);
    for (const e of openEvents.open) {
      if (!e) continue;
      const same = (t: number) => t === e.type || (VOLTAGE_TYPES.includes(t) && VOLTAGE_TYPES.includes(e.type));
      if (recent.some((r) => same(r.type) && r.phase === e.phase && Math.abs(r.time - e.start) <= 50)) continue;
      record(e.type, e.phase, e.start, Math.max(0, bill.clock - e.start), e.value);
    }
  }
  if (size > 0) openEvents.clear();
  if (restored) {
    record(POWER_FAIL, 0, bill.clock, 0, 0);
    record(POWER_RESTORE, 0, clock(), 0, 0);
  }

  const counts = new Float64Array(2),
    pq = new Float64Array(5 * 12);
  const setClock = (ms: number) => {
    const previous = clock();
    clockBase = ms - RunService('misc.uptime');
    if (lastT >= 0) lastT += ms - previous;
    record(CLOCK, 0, ms, 0, Math.round((ms - previous) / 1000));
    driver.counts(counts);
    if (size > 0) bill.save(ms, now, ENERGY, counts);
    return previous;
  };
  let measured = false;
  // The samples of a second end exactly 1000 ms after those of the one before: event times are
  // counted from the clock at the previous capture (lastT), so they do not jitter with the timer.
  let lastT = -1;

  const list = (n: number, out: (s: string) => void) => {
    let text = '';
    for (const e of log.list(n))
      text += `#${e.seq} t=${e.time} ${EVENT_NAMES[e.type]} L${e.phase} value=${e.value} duration=${e.duration}\r\n`;
    out(`${text}log=${log.count} capacity=${log.capacity} last=${log.last} overwritten=${log.overwritten} dropped=${log.dropped}\r\n`);
  };

  RunService('shell.register', 'METRO', 'LOG', [0, 1], '[<n 1..32>] - the newest n (10) legal events, oldest first', (p, out) => {
    const n = p[0] ?? 10;
    if (!(n >= 1 && n <= LOG_MAX)) throw new RangeError(`n 1..${LOG_MAX}`);
    list(n, out);
  });
  RunService(
    'shell.register',
    'METRO',
    'EVENT',
    [4, 5],
    '<type 1..6> <phase 0..3> <param> <duration ms> [<delay ms>] - front-end model event',
    (p, out) => {
      const delay = (RunService('driver.get', 'gridmodel') as GridEvents).event(p[0]!, p[1]!, p[2]!, p[3]!, p[4] ?? 0);
      out(
        `METRO EVENT ${p[0]} L${p[1]} from second=${measured ? now[SECOND]! + 1 : 0} delay=${delay} duration=${p[3]}${measured ? ` start=${lastT + delay}` : ''}\r\n`,
      );
    },
  );
  RunService('shell.register', 'METRO', 'CLOCK', [0, 1], '[<unix seconds>] - read or set the meter clock', (p, out) => {
    if (p.length && !(p[0]! * 1000 >= CLOCK_MIN && p[0]! * 1000 < CLOCK_MAX)) throw new RangeError('unix seconds 946684800..4102444799');
    const previous = p.length ? setClock(p[0]! * 1000) : clock();
    out(`clock=${clock()} previous=${previous}\r\n`);
  });
  RunService('shell.register', 'METRO', 'LED', 0, '- metrology LED pulse counts', (_p, out) => out(driver.pulses()));
  RunService('shell.register', 'METRO', 'NVRAM', 0, '- NVRAM, billing record and event log state', (_p, out) => {
    out(`nvram ${nv.info()}\r\nregisters seq=${bill.seq} dropped=${bill.dropped} lost=${bill.lost ? 1 : 0}\r\n`);
    out(
      `log count=${log.count} capacity=${log.capacity} last=${log.last} overwritten=${log.overwritten} dropped=${log.dropped} pq.dropped=${driver.voltageDropped()}\r\n`,
    );
  });
  RunService(
    'shell.register',
    'LCD',
    'PRESS',
    1,
    '<P1|P2|TPA|TPB or 1..4> - press a button',
    (p, out) => {
      const b = p[0]!;
      if (b === BUTTONS.P1 || b === BUTTONS.P2) {
        const label = display.scroll(b === BUTTONS.P2);
        if (measured) display.refresh(now, '');
        out(`LCD PRESS ${BUTTON_NAMES[b]} item=${display.item} ${label}\r\n`);
      } else if (b === BUTTONS.TPA || b === BUTTONS.TPB) {
        const seq = record(b === BUTTONS.TPA ? COVER : MAGNET, 0, clock(), 0, 1);
        out(`LCD PRESS ${BUTTON_NAMES[b]} event #${seq} ${EVENT_NAMES[b === BUTTONS.TPA ? COVER : MAGNET]}\r\n`);
      } else throw new RangeError('button P1|P2|TPA|TPB or 1..4');
    },
    BUTTONS,
  );
  RunService('shell.register', 'LCD', 'KEYS', 0, '- button presses seen on the input lines', (_p, out) => {
    out(`keys P1=${keysP1} P2=${keysP2} bounces=${driver.keyBounces()} item=${display.item}\r\n`);
  });

  return {
    second() {
      measured = true;
      const t = clock(),
        end = lastT < 0 ? t : lastT + 1000;
      lastT = t;
      driver.counts(counts);
      if (size > 0) bill.save(t, now, ENERGY, counts);
      for (let n = driver.voltageEvents(pq), k = 0; k < n; k++) {
        if (pq[5 * k] === PQ_KEY_P1 || pq[5 * k] === PQ_KEY_P2) {
          const down = pq[5 * k] === PQ_KEY_P2;
          if (down) keysP2++;
          else keysP1++;
          const label = display.scroll(down);
          RunService('trace', 3, `key ${down ? 'P2' : 'P1'} item=${display.item} ${label}`);
          continue;
        }
        const type = PQ_TYPES[pq[5 * k]!]!,
          phase = pq[5 * k + 1]!,
          start = end - pq[5 * k + 2]!;
        const value = pq[5 * k]! >= 4 ? 2 : pq[5 * k + 4]! * 1000; // tamper: front-end status
        if (pq[5 * k + 3]! < 0) begin(type, phase, start, value);
        else finish(type, phase, start, pq[5 * k + 3]!, value);
      }
      const reverse = ((now[PHASE - 1]! | now[2 * PHASE - 1]! | now[3 * PHASE - 1]!) & 8) !== 0; // DSP flags
      sustained.second(t, [now[0]!, now[PHASE]!, now[2 * PHASE]!], now[TOTAL]!, reverse);
      display.refresh(now, reverse ? 'REV' : '');
    },
    message(m, task, malformed) {
      if (m.id === METRO_RELAY.id) {
        // X_METRO_RELAY {req, connect?}: as relay.ts, and the new state goes to NVRAM before the reply
        const pl = accept(METRO_RELAY, m, malformed);
        if (!pl) return true;
        if (pl.connect !== undefined) {
          const open = !driver.relay(pl.connect);
          if (open !== bill.relayOpen) {
            bill.relayOpen = open;
            driver.counts(counts);
            if (size > 0) bill.save(clock(), now, ENERGY, counts);
          }
        }
        RunService('msg.send', task, m.from, X_METRO_RELAY_STATE, { req: pl.req, connected: !bill.relayOpen });
        return true;
      }
      if (m.id === METRO_GET_EVENTS.id) {
        const pl = accept(METRO_GET_EVENTS, m, malformed);
        if (pl) RunService('msg.send', task, m.from, X_METRO_EVENTS, { req: pl.req, events: log.list(pl.n, pl.from) });
        return true;
      }
      if (m.id === METRO_SET_CLOCK.id) {
        const pl = accept(METRO_SET_CLOCK, m, malformed);
        const ok = pl !== undefined && pl.time >= CLOCK_MIN && pl.time < CLOCK_MAX;
        if (pl) RunService('msg.send', task, m.from, X_METRO_CLOCK, { req: pl.req, ok, previous: ok ? setClock(pl.time) : clock() });
        return true;
      }
      return false;
    },
  };
}
