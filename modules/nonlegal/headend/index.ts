// The head-end link on the concentrator: starts the uplink (uplink.ts) and its shell commands.
// The scheduler (modules/nonlegal/dc/) hands its records and alarms to the returned sink.
import type { RunServiceFn } from '../../generic/services.js';
import type { UplinkRecord } from './records.js';
import { startUplink, statsLine, type Uplink, type UplinkConfig } from './uplink.js';

const hex2 = (n: number) => (n < 16 ? '0' : '') + n.toString(16).toUpperCase();
/** The synthetic meters of HE TEST: EUI-64 4D46570000000000 + n (MFW's prefix) */
export const testMeter = (n: number) => `4D465700000000${hex2(n)}`;

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
  // sink the scheduler uses (values: [active energy import Wh, voltage V])
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
      let refused = 0;
      for (let k = 0; k < intervals; k++)
        for (let m = 1; m <= meters; m++) {
          const r: UplinkRecord = {
            kind: 'profile',
            meter: testMeter(m),
            obis: '1.0.99.1.0.255',
            captureS: first + 900 * k,
            values: [m * 100000 + k * 250, 230],
          };
          if (!up.record(r)) refused++;
        }
      out(`HE TEST records=${meters * intervals} refused=${refused}\r\n`);
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
