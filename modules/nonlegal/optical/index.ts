// The meter's optical port (UART1): IEC 62056-21 and HDLC (port.ts) in front of the meter's
// DLMS application (meter/index.ts, started by main.ts as its own task), the Mode C readout and
// DLMS STATS. Loaded by main.ts only where the manifest's config enables it (not on the STM32F405: RAM).
import type { RunServiceFn } from '../../generic/services.js';
import type { TimerModule } from '../../generic/timer.js';
import type { Meter, MeterConfig } from '../meter/meter.js';
import type { MeterApp } from '../meter/index.js';
import type { Instant } from '../../generic/shared/messages.js';
import { OpticalPort, STATE_NAMES, type OpticalSerial, type PortConfig } from './port.js';
import { tsTable } from '../dlms/axdr-table.js';

export type OpticalConfig = MeterConfig & PortConfig & { baud: number };

interface OpticalDriver {
  open(o: { baud: number; onReadable: (n: number) => void }): OpticalSerial;
}

// "address(value*unit)"; values here never hold the reserved characters ( ) * / !
const formatDataSet = (address: string, value: string, unit?: string) => `${address}(${value}${unit === undefined ? '' : '*' + unit})`;
const pad = (v: number, digits: number, width: number) => {
  const s = v.toFixed(digits);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
};

/** Mode C data readout: OBIS reduced ids (IEC 62056-61 C.D.E), value and unit. */
export function readoutLines(cfg: OpticalConfig, i: Instant | undefined, now: number): string[] {
  const d = new Date(now),
    two = (n: number) => (n < 10 ? '0' : '') + n;
  const lines = [
    formatDataSet('0.0.0', cfg.deviceId),
    formatDataSet('0.9.1', `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`),
    formatDataSet('0.9.2', `${two(d.getUTCFullYear() % 100)}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`),
  ];
  if (!i) return [...lines, formatDataSet('F.F', '00000001')]; // error register: no metrology data
  const r = i.registers;
  lines.push(
    formatDataSet('1.8.0', pad(r.aImp / 1000, 3, 10), 'kWh'),
    formatDataSet('2.8.0', pad(r.aExp / 1000, 3, 10), 'kWh'),
    formatDataSet('3.8.0', pad((r.rQ1 + r.rQ2) / 1000, 3, 10), 'kvarh'),
    formatDataSet('4.8.0', pad((r.rQ3 + r.rQ4) / 1000, 3, 10), 'kvarh'),
  );
  const ids = [
    [32, 31, 21],
    [52, 51, 41],
    [72, 71, 61],
  ];
  i.phases.slice(0, 3).forEach((p, k) => {
    const [v, c, w] = ids[k]!;
    lines.push(
      formatDataSet(`${v}.7.0`, p.v.toFixed(1), 'V'),
      formatDataSet(`${c}.7.0`, p.i.toFixed(3), 'A'),
      formatDataSet(`${w}.7.0`, (p.p / 1000).toFixed(3), 'kW'),
    );
  });
  lines.push(
    formatDataSet('1.7.0', (i.total.p / 1000).toFixed(3), 'kW'),
    formatDataSet('14.7.0', i.phases[0]!.f.toFixed(2), 'Hz'),
    formatDataSet('F.F', '00000000'),
  );
  return lines;
}

export function start(RunService: RunServiceFn, app: MeterApp, cfg: OpticalConfig): Meter {
  const timer = RunService('timer.module') as TimerModule;
  const trace = (level: number, text: string) => RunService('trace', level, text);
  const { meter, legal } = app;
  let port: OpticalPort | undefined;
  const serial = (RunService('driver.get', 'optical') as OpticalDriver).open({ baud: cfg.baud, onReadable: (n) => port?.onReadable(n) });
  port = new OpticalPort(
    serial,
    meter.server,
    timer,
    cfg,
    async () => readoutLines(cfg, await meter.instant(), meter.now()),
    trace,
    () => RunService('misc.uptime') as number,
  );
  meter.push = (apdu) => (port as OpticalPort).push(apdu);

  RunService('shell.register', 'DLMS', 'STATS', 0, '- optical port, HDLC, COSEM and security counters', (_p, out) => {
    const p = port as OpticalPort,
      s = p.stats,
      h = p.hdlc,
      d = meter.server.drops,
      e = meter.security,
      l = legal.stats,
      f = meter.profile;
    out(
      `optical state=${STATE_NAMES[p.state]} baud=${p.baud} signons=${s.signOns} readouts=${s.readouts} hdlc=${s.hdlcSessions} noise=${s.noise} errors=${s.errors} timeouts=${s.timeouts} unsupported=${s.unsupported} overflow=${s.overflow} pushes=${s.pushes} uart.dropped=${serial.dropped}\r\n`,
    );
    if (h)
      out(
        `hdlc state=${h.state} address=${h.drops.address} sequence=${h.drops.sequence} llc=${h.drops.llc} reassembly=${h.drops.reassembly} params=${h.drops.params} fcs=${h.reader.drops.fcs} hcs=${h.reader.drops.hcs} garbage=${h.reader.drops.garbage} timeout=${h.reader.drops.timeout} resync=${h.reader.drops.resync} frames=${h.received}\r\n`,
      );
    out(
      `cosem malformed=${d.malformed} unassociated=${d.unassociated} deciphering=${d.deciphering} replay=${d.replay} rejected=${d.rejected} tooLong=${d.tooLong} internal=${d.internal} encoded=${meter.server.encodedGets.count}\r\n`,
    );
    out(
      `security authentication=${e['authentication-failure']} deciphering=${e['deciphering-failure']} replay=${e.replay} rejected=${e['association-rejected']} keys=${e['key-changed']}\r\n`,
    );
    out(
      `profile entries=${f.used} depth=${f.depth} captures=${f.captures} missed=${f.missed} codec=${f.table.codec === tsTable ? 'ts' : 'native'} legal.requests=${l.requests} legal.timeouts=${l.timeouts}\r\n`,
    );
  });
  RunService('trace', 3, `DLMS optical port on UART1, HDLC ${cfg.hdlcLogical}/${cfg.hdlcPhysical}`);
  return meter;
}
