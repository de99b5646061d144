// The APP task's UDP protocol (port APP_PORT on every node). The first byte of a datagram is
// the message type (X_APP_RX_EVENT dispatch through a table indexed by type; unknown types and
// malformed messages are counted and dropped):
//   0x01 FW_UPDATE_REQUEST / 0x02 FW_UPDATE_REPLY   reserved for the firmware-update issue: the
//        reply says NOT_SUPPORTED                   [type][id u16][status u8]
//   0x03 TEST_REQUEST / 0x04 TEST_REPLY             [type][id u16][seq u16][pattern...]: the
//        reply echoes the request; the sender's checker verifies it (APP TEST)
//   0x05 DATA_REQUEST                               [type][id u16][n u8 1..APP_DATA_MAX]
//   0x06 DATA_REPLY                                 [type][id u16][status u8][count u8] then
//        count datasets of 7 float64 BE: time (ms, the meter's uptime at capture), P (W),
//        Q (var), A+ (Wh), A- (Wh), R+ (varh, Q1+Q2), R- (varh, Q3+Q4)
// The meter answers DATA_REQUEST with the records METRO pops from its ring (X_METRO_GET_DATA
// {req} -> X_METRO_SET_DATA {req}, matched by request id); the concentrator's
// `APP GET_DATA_STREAM` prints them.
import { accept, formatMalformed, type MalformedCounts } from '../../generic/shared/messages.js';
import { RequestIds } from '../../generic/shared/request-ids.js';
import { APP_RX_EVENT } from '../../generic/shared/net-messages.js';
import { METRO_GET_DATA } from '../../generic/shared/metro-requests.js';
import { METRO_SET_DATA } from '../../generic/shared/metro-answers.js';
import { DeviceLookup, validMeter, METER_RANGE } from './devices.js';
import type { RunServiceFn } from '../../generic/services.js';
import type { Message } from '../../generic/kernel.js';
import type { ShellPrint } from '../../generic/shell.js';
import type { Tcpip } from '../net/tcpip.js';
import { formatCounters } from '../../generic/shared/format.js';
import { boundOf } from '../../generic/shared/pending.js';

/** 0xF0B1: in the 0xF0B0..0xF0BF range that RFC 6282 NHC compresses to 4 bits per port. */
export const APP_PORT = 0xf0b1;
export const APP_FW_UPDATE_REQUEST = 0x01;
export const APP_FW_UPDATE_REPLY = 0x02;
export const APP_TEST_REQUEST = 0x03;
export const APP_TEST_REPLY = 0x04;
export const APP_DATA_REQUEST = 0x05;
export const APP_DATA_REPLY = 0x06;
export const APP_OK = 0;
export const APP_BAD_REQUEST = 1;
export const APP_BUSY = 2;
export const APP_NO_METROLOGY = 3;
export const APP_NOT_SUPPORTED = 4;
/** Datasets in one DATA_REPLY: 5 + 16 x 56 bytes stays inside one 1280-byte IPv6 datagram. */
export const APP_DATA_MAX = 16;
const DATASET = 56;
const DATA_HEADER = 5;
const TEST_HEADER = 5;
const TEST_MAX = 1024;
/** Default of the METRO requests waiting for their X_METRO_SET_DATA (manifest parts.nonlegal.appMetroPendingMax). */
const METRO_PENDING_MAX = 4;

/** APP's bounds (manifest parts.nonlegal.appMetroPendingMax, deviceLookupMax); defaults above and in devices.ts. */
export interface AppBounds {
  metroPendingMax?: number | undefined;
  deviceLookupMax?: number | undefined;
}
const TIMEOUT_MS = 30000;
const FIELDS = ['P', 'Q', 'A+', 'A-', 'R+', 'R-'];

type Op = {
  kind: 'data' | 'test';
  id: number;
  meter: number;
  n: number;
  started: number;
  print: ShellPrint;
  seq: number;
  sent: number;
  ok: number;
  bad: number;
  size: number;
};
type Pending = { src: number; port: number; id: number; req: number };

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function pattern(seq: number, i: number): number {
  return (seq * 31 + i * 7 + 1) & 0xff;
}

export class App {
  private op: Op | null = null;
  private id = 0;
  private readonly metroWait: Pending[] = [];
  private readonly metroPendingMax: number;
  private readonly metroIds = new RequestIds();
  private lookup: DeviceLookup | undefined; // created on the first lookup by index
  readonly malformedMessages: MalformedCounts = {};
  private readonly timer: number;
  private readonly dispatch = new Map<number, (src: number, port: number, d: Uint8Array) => void>();
  readonly counters = { rx: 0, unknownType: 0, malformed: 0, stale: 0, fwUpdate: 0, testIn: 0, dataIn: 0, metroBusy: 0, sendFailed: 0 };

  constructor(
    private readonly rs: RunServiceFn,
    readonly task: number,
    private readonly ip: Tcpip,
    private readonly bounds: AppBounds = {},
  ) {
    this.metroPendingMax = boundOf(bounds.metroPendingMax ?? METRO_PENDING_MAX, 'appMetroPendingMax');
    ip.bind(APP_PORT, task);
    this.timer = rs('timer.create', { name: 'APP', period: TIMEOUT_MS, repeat: false, onTimer: () => this.timeout() });
    this.dispatch.set(APP_FW_UPDATE_REQUEST, (s, p, d) => this.fwUpdate(s, p, d));
    this.dispatch.set(APP_TEST_REQUEST, (s, p, d) => this.testRequest(s, p, d));
    this.dispatch.set(APP_TEST_REPLY, (s, _p, d) => this.testReply(s, d));
    this.dispatch.set(APP_DATA_REQUEST, (s, p, d) => this.dataRequest(s, p, d));
    this.dispatch.set(APP_DATA_REPLY, (s, _p, d) => this.dataReply(s, d));
  }

  /** Messages to the APP task other than the ping (main.ts). */
  onMessage(m: Message): void {
    if (m.id === APP_RX_EVENT.id && m.from === this.ip.task) {
      const p = accept(APP_RX_EVENT, m, this.malformedMessages);
      if (!p) {
        this.counters.malformed++;
        return;
      }
      this.counters.rx++;
      const h = this.dispatch.get(p.data[0]!);
      if (h) h(p.src, p.srcPort, p.data);
      else this.counters.unknownType++;
    } else if (m.id === METRO_SET_DATA.id) this.metroData(m);
    else this.lookup?.onMessage(m);
  }

  private reply(src: number, port: number, b: Uint8Array): void {
    if (this.ip.sendUdp(src, APP_PORT, port, b) !== '') this.counters.sendFailed++;
  }

  // ---- served on every node ----

  private fwUpdate(src: number, port: number, d: Uint8Array): void {
    if (d.length < 3) {
      this.counters.malformed++;
      return;
    }
    this.counters.fwUpdate++;
    this.reply(src, port, Uint8Array.of(APP_FW_UPDATE_REPLY, d[1]!, d[2]!, APP_NOT_SUPPORTED));
  }

  private testRequest(src: number, port: number, d: Uint8Array): void {
    if (d.length < TEST_HEADER) {
      this.counters.malformed++;
      return;
    }
    this.counters.testIn++;
    const r = d.slice();
    r[0] = APP_TEST_REPLY;
    this.reply(src, port, r);
  }

  private dataRequest(src: number, port: number, d: Uint8Array): void {
    const n = d[3];
    if (d.length !== 4 || n === undefined || n < 1 || n > APP_DATA_MAX) {
      this.counters.malformed++;
      if (d.length >= 3) this.reply(src, port, Uint8Array.of(APP_DATA_REPLY, d[1]!, d[2]!, APP_BAD_REQUEST, 0));
      return;
    }
    this.counters.dataIn++;
    const metro = this.rs('task.find', 'METRO');
    const req = this.metroIds.next();
    const status =
      metro === undefined
        ? APP_NO_METROLOGY
        : this.metroWait.length >= this.metroPendingMax
          ? APP_BUSY
          : this.rs('msg.send', this.task, metro, METRO_GET_DATA.id, { req, n }) !== 0
            ? APP_BUSY
            : APP_OK;
    if (status !== APP_OK) {
      if (status === APP_BUSY) this.counters.metroBusy++;
      this.reply(src, port, Uint8Array.of(APP_DATA_REPLY, d[1]!, d[2]!, status, 0));
      return;
    }
    this.metroWait.push({ src, port, id: u16(d, 1), req });
  }

  private metroData(m: Message): void {
    const p = accept(METRO_SET_DATA, m, this.malformedMessages);
    const at = p ? this.metroWait.findIndex((w) => w.req === p.req) : -1;
    if (!p || at < 0) {
      if (p) this.counters.stale++;
      return; // a malformed answer is dropped: its request gets no reply, as if lost
    }
    const w = this.metroWait.splice(at, 1)[0]!;
    const records = p.records;
    const count = Math.min(records.length, APP_DATA_MAX);
    const b = new Uint8Array(DATA_HEADER + count * DATASET);
    b[0] = APP_DATA_REPLY;
    b[1] = w.id >> 8;
    b[2] = w.id & 0xff;
    b[3] = APP_OK;
    b[4] = count;
    const v = new DataView(b.buffer);
    for (let i = 0; i < count; i++) {
      const r = records[i]!;
      const at = DATA_HEADER + i * DATASET;
      const vals = [r.time, r.p, r.q, r.aImp, r.aExp, r.rImp, r.rExp];
      for (let k = 0; k < 7; k++) v.setFloat64(at + k * 8, vals[k]!);
    }
    this.reply(w.src, w.port, b);
  }

  // ---- the requester's side (one operation at a time) ----

  /** meter: a short address 1..0x7FFF, or -i for the i-th device of `PLC DEVICES` (1-based). */
  start(kind: 'data' | 'test', meter: number, n: number, size: number, print: ShellPrint): void {
    if (this.op) throw new Error('busy: a request is running');
    if (!validMeter(meter)) throw new RangeError(METER_RANGE);
    this.id = (this.id + 1) & 0xffff;
    const op: Op = { kind, id: this.id, meter, n, started: this.rs('misc.uptime'), print, seq: 0, sent: 0, ok: 0, bad: 0, size };
    this.op = op;
    this.rs('timer.start', this.timer, TIMEOUT_MS);
    if (meter > 0) return this.go();
    (this.lookup ??= new DeviceLookup(this.rs, this.task, this.rs('timer.module'), this.bounds.deviceLookupMax)).resolve(meter).then(
      (short) => {
        if (this.op !== op) return; // timed out meanwhile
        op.meter = short;
        this.go();
      },
      (e: unknown) => {
        if (this.op === op) this.fail(e instanceof Error ? e.message : String(e));
      },
    );
  }

  private go(): void {
    const op = this.op!;
    if (op.kind === 'test') return this.nextTest();
    const why = this.ip.sendUdp(op.meter, APP_PORT, APP_PORT, Uint8Array.of(APP_DATA_REQUEST, op.id >> 8, op.id & 0xff, op.n));
    if (why) this.fail(why);
  }

  private nextTest(): void {
    const op = this.op!;
    if (op.sent >= op.n)
      return this.finish(
        `APP TEST meter=0x${hex4(op.meter)} sent=${op.sent} ok=${op.ok} bad=${op.bad} lost=${op.sent - op.ok - op.bad} ms=${this.rs('misc.uptime') - op.started}\r\n`,
      );
    op.seq++;
    op.sent++;
    const b = new Uint8Array(TEST_HEADER + op.size);
    b[0] = APP_TEST_REQUEST;
    b[1] = op.id >> 8;
    b[2] = op.id & 0xff;
    b[3] = op.seq >> 8;
    b[4] = op.seq & 0xff;
    for (let i = 0; i < op.size; i++) b[TEST_HEADER + i] = pattern(op.seq, i);
    this.rs('timer.start', this.timer, TIMEOUT_MS);
    const why = this.ip.sendUdp(op.meter, APP_PORT, APP_PORT, b);
    if (why) this.fail(why);
  }

  private testReply(src: number, d: Uint8Array): void {
    const op = this.op;
    if (
      op?.kind !== 'test' ||
      d.length < TEST_HEADER ||
      u16(d, 1) !== op.id ||
      u16(d, 3) !== op.seq ||
      (src !== op.meter && !this.ip.loopback)
    ) {
      this.counters.stale++;
      return;
    }
    let good = d.length === TEST_HEADER + op.size;
    for (let i = 0; good && i < op.size; i++) good = d[TEST_HEADER + i] === pattern(op.seq, i);
    if (good) op.ok++;
    else op.bad++;
    this.nextTest();
  }

  private dataReply(src: number, d: Uint8Array): void {
    const op = this.op;
    if (op?.kind !== 'data' || d.length < DATA_HEADER || u16(d, 1) !== op.id || (src !== op.meter && !this.ip.loopback)) {
      this.counters.stale++;
      return;
    }
    const status = d[3]!,
      count = d[4]!;
    if (status !== APP_OK) {
      return this.fail(
        `meter 0x${hex4(op.meter)}: ${['', 'bad request', 'busy', 'no metrology', 'not supported'][status] ?? `status ${status}`}`,
      );
    }
    if (count > op.n || d.length !== DATA_HEADER + count * DATASET) {
      this.counters.malformed++;
      return this.fail(`meter 0x${hex4(op.meter)}: malformed reply`);
    }
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    let text = '';
    for (let i = 0; i < count; i++) {
      const at = DATA_HEADER + i * DATASET;
      text += `DATA ${i + 1} t=${v.getFloat64(at)}`;
      for (let k = 0; k < 6; k++) text += ` ${FIELDS[k]}=${v.getFloat64(at + 8 + k * 8).toFixed(k < 2 ? 4 : 6)}`;
      text += '\r\n';
    }
    this.finish(
      `${text}APP GET_DATA_STREAM meter=0x${hex4(op.meter)} datasets=${count} requested=${op.n} ms=${this.rs('misc.uptime') - op.started}\r\n`,
    );
  }

  private finish(text: string): void {
    const op = this.op!;
    this.op = null;
    this.rs('timer.stop', this.timer);
    op.print(text);
  }

  private fail(why: string): void {
    const op = this.op!;
    this.finish(`ERROR APP ${op.kind === 'data' ? 'GET_DATA_STREAM' : 'TEST'}: ${why}\r\n`);
  }

  private timeout(): void {
    const op = this.op;
    if (!op) return;
    if (op.kind === 'test') return this.nextTest(); // that one is lost; go on
    this.fail(`timeout (${TIMEOUT_MS / 1000} s), meter ${op.meter > 0 ? `0x${hex4(op.meter)}` : 'index'}`);
  }

  stats(): string {
    return `app port=${APP_PORT} ${formatCounters(this.counters)} dropped{${formatMalformed({ ...this.malformedMessages, ...this.lookup?.malformed })}}\r\n`;
  }
}

function hex4(v: number): string {
  return (v & 0xffff).toString(16).padStart(4, '0');
}

export function startApp(rs: RunServiceFn, task: number, ip: Tcpip, bounds: AppBounds = {}): App {
  const app = new App(rs, task, ip, bounds);
  rs(
    'shell.register',
    'APP',
    'GET_DATA_STREAM',
    2,
    `<n 1..${APP_DATA_MAX}> <meter: short address, or -i for PLC DEVICES line i> - datasets from a meter's ring over UDP`,
    (p, out) => {
      if (!(p[0]! >= 1 && p[0]! <= APP_DATA_MAX)) throw new RangeError(`n 1..${APP_DATA_MAX}`);
      app.start('data', p[1]!, p[0]!, 0, out);
    },
  );
  rs('shell.register', 'APP', 'TEST', 3, `<meter> <count 1..100> <bytes 0..${TEST_MAX}> - test datagrams, echoed and checked`, (p, out) => {
    if (!(p[1]! >= 1 && p[1]! <= 100)) throw new RangeError('count 1..100');
    if (!(p[2]! >= 0 && p[2]! <= TEST_MAX)) throw new RangeError(`bytes 0..${TEST_MAX}`);
    app.start('test', p[0]!, p[1]!, p[2]!, out);
  });
  rs('shell.register', 'APP', 'STATS', 0, '- APP datagrams by type, unknown types and malformed messages dropped', (_p, out) =>
    out(app.stats()),
  );
  return app;
}
