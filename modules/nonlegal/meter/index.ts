// The meter's DLMS application: its own task (DLMS, answers from LEGAL), the COSEM server and
// its objects (meter.ts), and the meter's DLMS shell commands. NON-LEGAL's main starts it where
// the manifest's config enables it (config.optical: not on the STM32F405, RAM); the optical port
// (optical/index.ts) and UDP 4059 (net/wrapper-udp.ts) serve it.
import type { RunServiceFn } from '../../generic/services.js';
import type { TimerModule } from '../../generic/timer.js';
import type { CryptoDriver } from 'drivers/crypto/crypto-driver';
import { encodeApdu, decodeApdu, type Apdu } from '../dlms/xdlms.js';
import { AxdrDecoder, AxdrEncoder, type DlmsData } from '../dlms/axdr.js';
import { ByteReader, ByteWriter, bytesEqual } from '../dlms/bytes.js';
import { AXDR_DEFAULT_MAX_DEPTH, AXDR_DEFAULT_MAX_LENGTH, DataTag } from '../dlms/axdr-const.js';
import { AxdrTable, decodeGetResponseTable, encodeGetResponseTable, tsTable, type TableColumn } from '../dlms/axdr-table.js';
import type { AxdrTableDriver } from 'drivers/axdr/axdr';
import { obis, st, arr, u32, dt } from '../cosem/data.js';
import { toDateTime } from '../cosem/clock.js';
import { LegalLink } from './legal.js';
import { createMeter, LoadProfile, type Meter, type MeterConfig } from './meter.js';
import { ProfileGeneric } from '../cosem/profile.js';
import { def } from '../cosem/objects.js';
import { ClassId } from '../cosem/cosem-const.js';
import { ENERGY_REGISTERS } from './meter-objects.js';
import { encodeData } from '../dlms/axdr.js';

/** The meter and its link to LEGAL (the port's DLMS STATS prints the link's counters). */
export interface MeterApp {
  readonly meter: Meter;
  readonly legal: LegalLink;
}

/** The bench's load profile columns: the clock (date-time as octet-string(12)) and four registers. */
const PROFILE_COLUMNS: TableColumn[] = [
  { tag: DataTag.OCTET_STRING, size: 12 },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
  { tag: DataTag.DOUBLE_LONG_UNSIGNED },
];

export function startMeter(RunService: RunServiceFn, cfg: MeterConfig): MeterApp {
  const timer = RunService('timer.module') as TimerModule;
  const legal = new LegalLink(RunService, timer, cfg.legalTimeoutMs, cfg.legalMaxWaiting);
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
  RunService('shell.register', 'DLMS', 'CAPTURE', 0, '- capture one load profile entry now', (_p, out) => {
    void meter
      .captureNow()
      .then((ok) => out(ok ? `profile entries=${meter.profile.used}\r\n` : 'ERROR DLMS CAPTURE: LEGAL did not answer\r\n'));
  });
  // the Image transfer object (0.0.44.0.0.255): the transfer's state as a DLMS client sees it
  RunService('shell.register', 'DLMS', 'IMAGE', 0, '- the DLMS image transfer: status, blocks held, refusals', (_p, out) => {
    const o = meter.image;
    if (!o) {
      out('IMAGE none\r\n');
      return;
    }
    const st = o.store.state();
    const r = o.refused;
    out(
      `IMAGE status=${st?.status ?? 0} size=${st?.size ?? 0} blocks=${st?.blocks ?? 0} firstMissing=${o.firstMissing(st)} blockSize=${o.store.blockSize} enabled=${o.store.enabled ? 1 : 0} received=${o.blocksReceived} version=${st?.version || '-'} reason=${st?.reason || '-'}\r\n`,
    );
    out(`IMAGE refused disabled=${r.disabled} state=${r.state} bounds=${r.bounds} type=${r.type} store=${r.store}\r\n`);
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
      // The profile attribute read as the COSEM server reads it (profile.ts over a LoadProfile of
      // the same day, in its own ring, not the meter's): get() then encodeData() (the Data path),
      // and encoded() by the TypeScript and the native table codec; same=1: the Data path's bytes.
      void (async () => {
        const capture = [def(ClassId.CLOCK, '0.0.1.0.0.255'), ...ENERGY_REGISTERS.map(([o]) => def(ClassId.REGISTER, o))];
        let ref: Uint8Array | undefined;
        for (const [name, codec] of [
          ['profile-96-read-data', tsTable],
          ['profile-96-read-ts', tsTable],
          ['profile-96-read-native', drv],
        ] as const) {
          if (!codec) {
            out(`bench ${name} unavailable\r\n`);
            continue;
          }
          const lp = new LoadProfile(96, codec);
          for (let k = 0; k < 96; k++)
            lp.add(Date.UTC(2026, 0, 1) + k * 900000, { aImp: 1000 + k, aExp: k, rQ1: 500 + k, rQ2: 0, rQ3: 2 * k, rQ4: 0, app: 0 });
          const pg = new ProfileGeneric('1.0.99.1.0.255', ['', 'rrrrrrrr'], { buffer: lp, capture, period: 900, depth: 96 });
          const data = name === 'profile-96-read-data';
          const read = async () =>
            data ? encodeData((await pg.get(2, undefined as never)) as DlmsData) : await pg.encoded(2, undefined as never);
          const reps = codec === drv ? n : m;
          let bytes = await read();
          const t0 = RunService('misc.uptime');
          for (let k = 0; k < reps; k++) bytes = await read();
          const t1 = RunService('misc.uptime');
          ref ??= bytes;
          const same = bytes && ref && bytesEqual(bytes, ref) ? 1 : 0;
          out(`bench ${name} bytes=${bytes?.length ?? 0} n=${reps} same=${same} encode.ms=${t1 - t0}\r\n`);
        }
      })().catch((e: unknown) => out(`ERROR DLMS BENCH: ${e instanceof Error ? e.message : String(e)}\r\n`));
    },
  );
  return { meter, legal };
}
