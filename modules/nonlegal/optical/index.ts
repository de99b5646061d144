// NON-LEGAL's DLMS/COSEM server on the optical port (UART1): the DLMS task (replies from LEGAL),
// the COSEM server and its objects (meter.ts), the port (port.ts) and the DLMS shell commands.
// Loaded by main.ts only where the manifest's config enables it (not on the STM32F405: RAM).
import type { RunServiceFn } from '../../generic/services.js';
import type { TimerModule } from '../../generic/timer.js';
import { LegalLink } from '../meter/legal.js';
import { encodeApdu, decodeApdu, type Apdu } from '../dlms/xdlms.js';
import { AxdrDecoder, AxdrEncoder, type DlmsData } from '../dlms/axdr.js';
import { ByteReader, ByteWriter, bytesEqual } from '../dlms/bytes.js';
import { AXDR_DEFAULT_MAX_DEPTH, AXDR_DEFAULT_MAX_LENGTH, DataTag } from '../dlms/axdr-const.js';
import { AxdrTable, decodeGetResponseTable, encodeGetResponseTable, tsTable, type TableColumn } from '../dlms/axdr-table.js';
import type { AxdrTableDriver } from 'drivers/axdr/axdr';
import { obis, st, arr, u32, dt } from '../cosem/data.js';
import { toDateTime } from '../cosem/clock.js';
import { createMeter, type Meter, type MeterConfig } from '../meter/meter.js';
import type { CryptoDriver } from 'drivers/crypto/crypto-driver';
import type { Instant } from '../../generic/shared/messages.js';
import { OpticalPort, STATE_NAMES, type OpticalSerial, type PortConfig } from './port.js';

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

/** The bench's load profile columns: the clock (date-time as octet-string(12)) and four registers. */
const PROFILE_COLUMNS: TableColumn[] = [
  { tag: DataTag.OCTET_STRING, size: 12 },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
];

export function start(RunService: RunServiceFn, cfg: OpticalConfig): Meter {
  const timer = RunService('timer.module') as TimerModule;
  const legal = new LegalLink(RunService, timer, cfg.legalTimeoutMs);
  legal.task = RunService('task.create', {
    name: 'DLMS',
    priority: 3,
    queue: 16,
    onMessage: (m) => {
      legal.onMessage(m);
    },
  });
  const trace = (level: number, text: string) => RunService('trace', level, text);
  const crypto = RunService('driver.get', 'crypto') as CryptoDriver;
  const meter = createMeter(RunService, legal, timer, crypto, cfg, trace);
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
      `cosem malformed=${d.malformed} unassociated=${d.unassociated} deciphering=${d.deciphering} replay=${d.replay} rejected=${d.rejected} tooLong=${d.tooLong} internal=${d.internal}\r\n`,
    );
    out(
      `security authentication=${e['authentication-failure']} deciphering=${e['deciphering-failure']} replay=${e.replay} rejected=${e['association-rejected']} keys=${e['key-changed']}\r\n`,
    );
    out(
      `profile entries=${f.used} depth=${f.depth} captures=${f.captures} missed=${f.missed} legal.requests=${l.requests} legal.timeouts=${l.timeouts}\r\n`,
    );
  });
  RunService('shell.register', 'DLMS', 'CAPTURE', 0, '- capture one load profile entry now', (_p, out) => {
    void meter
      .captureNow()
      .then((ok) => out(ok ? `profile entries=${meter.profile.used}\r\n` : 'ERROR DLMS CAPTURE: LEGAL did not answer\r\n'));
  });
  RunService(
    'shell.register',
    'DLMS',
    'BENCH',
    1,
    '<n 20..10000> - encode and decode n GET requests and n/20 one-day profile responses (and the profile by the reference A-XDR walkers), elapsed ms',
    (p, out) => {
      const n = p[0]!;
      if (!(n >= 20 && n <= 10000)) throw new RangeError('n 20..10000');
      const invoke = { invokeId: 1, confirmed: true, highPriority: true };
      const rows = [];
      for (let k = 0; k < 96; k++)
        rows.push(st(dt(toDateTime(Date.UTC(2026, 0, 1) + k * 900000)), u32(1000 + k), u32(k), u32(500 + k), u32(2 * k)));
      const cases: [string, Apdu, number][] = [
        [
          'get-request',
          { kind: 'get-request-normal', invoke, attribute: { classId: 3, instance: obis('1.0.1.8.0.255'), attributeId: 2 } },
          p[0]!,
        ],
        ['profile-96', { kind: 'get-response-normal', invoke, result: { data: arr(rows) } }, Math.floor(p[0]! / 20)],
      ];
      for (const [name, apdu, n] of cases) {
        let bytes = encodeApdu(apdu);
        const t0 = RunService('misc.uptime');
        for (let k = 0; k < n; k++) bytes = encodeApdu(apdu);
        const t1 = RunService('misc.uptime');
        for (let k = 0; k < n; k++) decodeApdu(bytes);
        const t2 = RunService('misc.uptime');
        out(`bench ${name} bytes=${bytes.length} n=${n} encode.ms=${t1 - t0} decode.ms=${t2 - t1}\r\n`);
      }
      // The same day of profile as Data alone through the plain reference walkers
      // (AxdrEncoder.encodeReference, AxdrDecoder.readReference): the cost before the lean path.
      const data: DlmsData = arr(rows);
      const enc = new AxdrEncoder();
      const dec = new AxdrDecoder();
      const m = Math.floor(n / 20);
      let bytes: Uint8Array = new Uint8Array(0);
      const t0 = RunService('misc.uptime');
      for (let k = 0; k < m; k++) {
        const w = new ByteWriter();
        enc.encodeReference(w, data);
        bytes = w.finish();
      }
      const t1 = RunService('misc.uptime');
      for (let k = 0; k < m; k++) dec.readReference(new ByteReader(bytes));
      const t2 = RunService('misc.uptime');
      out(`bench profile-96-generic bytes=${bytes.length} n=${m} encode.ms=${t1 - t0} decode.ms=${t2 - t1}\r\n`);
      // The same GET.response as a table (axdr-table.ts: the day as flat records, one call per
      // APDU), by the TypeScript table codec and by the native driver "axdr" on the same boot;
      // same=1: the bytes are encodeApdu()'s and decode back to the same records. The native row
      // runs n APDUs, not n/20: one of them takes well under a millisecond.
      let drv: AxdrTableDriver | undefined;
      try {
        drv = RunService('driver.get', 'axdr') as AxdrTableDriver;
      } catch {
        drv = undefined;
      }
      const want = encodeApdu(cases[1]![1]);
      const bounds = { maxRows: AXDR_DEFAULT_MAX_LENGTH, maxDepth: AXDR_DEFAULT_MAX_DEPTH };
      for (const [name, codec] of [
        ['profile-96-table-ts', tsTable],
        ['profile-96-native', drv],
      ] as const) {
        if (!codec) {
          out(`bench ${name} unavailable\r\n`);
          continue;
        }
        const t = new AxdrTable(PROFILE_COLUMNS, codec);
        const rec = new Uint8Array(96 * t.recordSize);
        const back = new Uint8Array(rec.length);
        t.fromData(data, rec);
        let apdu: Uint8Array = new Uint8Array(0);
        let rows: { rows: number } | undefined;
        const t0 = RunService('misc.uptime');
        const reps = codec === tsTable ? m : n;
        for (let k = 0; k < reps; k++) apdu = encodeGetResponseTable(invoke, t, rec, 96);
        const t1 = RunService('misc.uptime');
        for (let k = 0; k < reps; k++) rows = decodeGetResponseTable(apdu, t, back, bounds);
        const t2 = RunService('misc.uptime');
        const same = bytesEqual(apdu, want) && rows?.rows === 96 && bytesEqual(back, rec) ? 1 : 0;
        out(`bench ${name} bytes=${apdu.length} n=${reps} same=${same} encode.ms=${t1 - t0} decode.ms=${t2 - t1}\r\n`);
      }
    },
  );
  RunService('trace', 3, `DLMS optical port on UART1, HDLC ${cfg.hdlcLogical}/${cfg.hdlcPhysical}`);
  return meter;
}
