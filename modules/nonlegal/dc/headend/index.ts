// The head-end link on the concentrator: starts the uplink (uplink.ts) and its shell commands.
// The scheduler (modules/nonlegal/dc/) hands its records and alarms to the returned sink.
import type { RunServiceFn } from '../../../generic/services.js';
import type { UplinkRecord } from './records.js';
import { startUplink, statsLine, type Uplink, type UplinkConfig } from './uplink.js';

const hex2 = (n: number) => (n < 16 ? '0' : '') + n.toString(16).toUpperCase();
/** The synthetic meters of HE TEST: EUI-64 4D46570000000000 + n (MFW's prefix) */
export const testMeter = (n: number) => `4D465700000000${hex2(n)}`;
/** HE TEST records made per event-loop turn */
const TEST_SLICE = 8;

export function startHeadend(rs: RunServiceFn, cfg: UplinkConfig): Uplink {
  const up = startUplink(rs, cfg);
  rs('shell.register', 'HE', 'STATS', 0, '- head-end link: uploads queued, sent, acked, resent, dropped{...}, link up/down', (_p, out) =>
    out(statsLine(up.stats())),
  );
  if (cfg.compress)
    rs('shell.register', 'HE', 'DEFLATE', 0, "- the firmware's zlib: calls, failures, bytes in/out, most heap held at once", (_p, out) =>
      out(`HE DEFLATE ${(rs('driver.get', 'deflate') as { info(): string }).info()}\r\n`),
    );
  rs('shell.register', 'HE', 'FLUSH', 0, '- close the current batch now', (_p, out) => {
    up.flush();
    out(statsLine(up.stats()));
  });
  // A diagnostic load, as APP TEST is: profile intervals of synthetic meters through the same
  // sink the scheduler uses (values: [active energy import Wh, voltage V]). Made TEST_SLICE
  // records per event-loop turn (a timer), so a large load never holds the loop past the
  // watchdog; the answer comes when the last is made. One load at a time.
  let job:
    | { k: number; m: number; meters: number; intervals: number; first: number; refused: number; out: (s: string) => void }
    | undefined;
  const step = () => {
    const j = job;
    if (!j) return;
    for (let n = 0; n < TEST_SLICE && j.k < j.intervals; n++) {
      const r: UplinkRecord = {
        kind: 'profile',
        meter: testMeter(j.m),
        obis: '1.0.99.1.0.255',
        captureS: j.first + 900 * j.k,
        values: [j.m * 100000 + j.k * 250, 230],
      };
      if (!up.record(r)) j.refused++;
      if (++j.m > j.meters) {
        j.m = 1;
        j.k++;
      }
    }
    if (j.k < j.intervals) return;
    rs('timer.stop', testTimer);
    job = undefined;
    j.out(`HE TEST records=${j.meters * j.intervals} refused=${j.refused}\r\n`);
  };
  const testTimer = rs('timer.create', { name: 'HE TEST', period: 1, repeat: true, onTimer: step });
  rs(
    'shell.register',
    'HE',
    'TEST',
    3,
    '<meters 1..255> <intervals 1..2880> <first capture, unix s> - 15-minute profile records of test meters',
    (p, out) => {
      const [meters, intervals, first] = p as [number, number, number];
      if (!(meters >= 1 && meters <= 255)) throw new RangeError('meters 1..255');
      if (!(intervals >= 1 && intervals <= 2880)) throw new RangeError('intervals 1..2880');
      if (job) throw new Error('HE TEST busy: one load at a time');
      job = { k: 0, m: 1, meters, intervals, first, refused: 0, out };
      step();
      if (job) rs('timer.start', testTimer);
    },
  );
  rs('shell.register', 'HE', 'ALARM', 3, '<test meter 1..255> <code 0..65535> <event time, unix s> - an alarm, sent at once', (p, out) => {
    const [m, code, eventS] = p as [number, number, number];
    if (!(m >= 1 && m <= 255)) throw new RangeError('meter 1..255');
    up.alarm({ meter: testMeter(m), code, eventS, receivedS: Math.floor(rs('misc.time') / 1000), count: 1 });
    out(statsLine(up.stats()));
  });
  return up;
}
