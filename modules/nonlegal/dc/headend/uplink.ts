// The concentrator's side of the head-end link (docs/headend.md) on the backhaul UART (driver
// "backhaul"): records are batched, compressed (driver "deflate": zlib's raw deflate) and framed
// as uploads, each with an id; alarms go at once, ahead of every batch. An upload stays queued
// until the head-end acknowledges it and is resent after ackTimeoutMs or when the head-end says
// HELLO (it connected again), so a link down for hours loses nothing until the bound: at
// maxUploads the oldest batch is dropped (counted), never an alarm; repeats of a queued alarm
// are aggregated into its count, and only distinct alarms beyond maxAlarms are dropped (counted).
import type { RunServiceFn } from '../../../generic/services.js';
import type { UplinkAlarm, UplinkRecord, UplinkSink } from './records.js';
import { checkRecord, encodeFrame, encodeMessage, encodeRecords, FrameReader, decodeMessage, recordSize } from './wire.js';
import { ACK_REJECTED, ENC_DEFLATE, ENC_RAW, FRAME_OVERHEAD } from './wire-const.js';

/** config.parts.nonlegal.headend (modules/nonlegal/manifest.json, concentrator role) */
export interface UplinkConfig {
  readonly baud: number;
  /** largest frame body sent, bytes (a batch closes before its records exceed it) */
  readonly maxFrame: number;
  /** records per batch at most */
  readonly batchRecords: number;
  /** a batch not full is sent this long after its first record */
  readonly batchMs: number;
  /** uploads (batches and alarms) kept until acknowledged: the bound of a long link outage */
  readonly maxUploads: number;
  /** distinct alarms kept until acknowledged (part of maxUploads) */
  readonly maxAlarms: number;
  /** uploads in flight (sent, not yet acknowledged) */
  readonly window: number;
  readonly ackTimeoutMs: number;
  readonly compress: boolean;
}

interface UplinkSerial {
  read(byteLength: number): ArrayBuffer | undefined;
  write(bytes: Uint8Array): void;
}
interface Deflate {
  raw(bytes: Uint8Array): Uint8Array;
}

interface Upload {
  id: number;
  alarm: UplinkAlarm | undefined;
  records: number;
  frame: Uint8Array;
  sentAt: number | undefined;
}

export interface UplinkStats {
  /** timer rounds (batch closing, ack time-outs) */
  ticks: number;
  queued: number;
  pending: number;
  sent: number;
  acked: number;
  resent: number;
  rejected: number;
  aggregated: number;
  rawBytes: number;
  wireBytes: number;
  dropped: { bulkUploads: number; bulkRecords: number; alarms: number; invalid: number; deflate: number };
  rx: { frames: number; garbage: number; badCrc: number; badLength: number; malformed: number; unknownAck: number };
  link: 'up' | 'down';
}

export interface Uplink extends UplinkSink {
  stats(): UplinkStats;
  /** Closes the current batch now (it is sent as soon as the window allows). */
  flush(): void;
}

const BATCH_HEAD = 8;
const RX_BODY_MAX = 16;

function check(cfg: UplinkConfig): void {
  const int = (v: number, min: number, max: number, what: string) => {
    if (!(Number.isInteger(v) && v >= min && v <= max)) throw new RangeError(`headend.${what} ${min}..${max}`);
  };
  int(cfg.baud, 1, 4000000, 'baud');
  int(cfg.maxFrame, 64, 0xffff, 'maxFrame');
  int(cfg.batchRecords, 1, 0xffff, 'batchRecords');
  int(cfg.batchMs, 1, 3600000, 'batchMs');
  int(cfg.maxUploads, 2, 4096, 'maxUploads');
  int(cfg.maxAlarms, 1, cfg.maxUploads - 1, 'maxAlarms');
  int(cfg.window, 1, cfg.maxUploads, 'window');
  int(cfg.ackTimeoutMs, 10, 3600000, 'ackTimeoutMs');
}

export function startUplink(rs: RunServiceFn, cfg: UplinkConfig): Uplink {
  check(cfg);
  const deflate = cfg.compress ? (rs('driver.get', 'deflate') as Deflate) : undefined;
  const reader = new FrameReader(RX_BODY_MAX);
  const queue: Upload[] = []; // alarms first, then batches, each in id order
  let batch: UplinkRecord[] = [];
  let batchBytes = 2;
  let batchAt = 0;
  let nextId = (rs('misc.random') * 0x7fffffff) >>> 0;
  let linkUp = false;
  let timeouts = 0;
  const s: Omit<UplinkStats, 'queued' | 'pending' | 'link' | 'rx'> & { rx: { malformed: number; unknownAck: number } } = {
    ticks: 0,
    sent: 0,
    acked: 0,
    resent: 0,
    rejected: 0,
    aggregated: 0,
    rawBytes: 0,
    wireBytes: 0,
    dropped: { bulkUploads: 0, bulkRecords: 0, alarms: 0, invalid: 0, deflate: 0 },
    rx: { malformed: 0, unknownAck: 0 },
  };
  const uptime = () => rs('misc.uptime');
  const takeId = () => {
    const id = nextId;
    nextId = (nextId + 1) >>> 0;
    return id;
  };

  const serial: UplinkSerial = (
    rs('driver.get', 'backhaul') as { open(o: { baud: number; onReadable: (n: number) => void }): UplinkSerial }
  ).open({ baud: cfg.baud, onReadable: () => receive() });

  function receive(): void {
    for (;;) {
      const chunk = serial.read(256);
      if (!chunk) break;
      for (const body of reader.push(new Uint8Array(chunk))) {
        let m: ReturnType<typeof decodeMessage>;
        try {
          m = decodeMessage(body);
        } catch {
          s.rx.malformed++;
          continue;
        }
        if (m.type === 'hello') {
          // the head-end (re)connected: what it has not acknowledged goes again, now
          linkUp = true;
          timeouts = 0;
          for (const u of queue) if (u.sentAt !== undefined) u.sentAt = undefined;
        } else if (m.type === 'ack') {
          const k = queue.findIndex((u) => u.id === m.id);
          if (k < 0) s.rx.unknownAck++;
          else {
            queue.splice(k, 1);
            if (m.status === ACK_REJECTED) s.rejected++;
            else s.acked++;
          }
          linkUp = true;
          timeouts = 0;
        } else s.rx.malformed++;
      }
    }
    pump();
  }

  function send(u: Upload): void {
    if (u.sentAt === undefined) {
      serial.write(u.frame);
      s.sent++;
      s.wireBytes += u.frame.length;
      u.sentAt = uptime();
    }
  }

  /**
   * Link up: alarms not in flight go at once, batches as the window allows. Link down (no answer
   * to two rounds): one probe at a time, the oldest upload (an alarm first); repeats of the
   * alarms waiting meanwhile are aggregated into them.
   */
  function pump(): void {
    let inFlight = 0;
    let bulkInFlight = 0;
    for (const u of queue)
      if (u.sentAt !== undefined) {
        inFlight++;
        if (u.alarm === undefined) bulkInFlight++;
      }
    if (!linkUp) {
      const first = queue.find((u) => u.sentAt === undefined);
      if (inFlight === 0 && first) send(first);
      return;
    }
    for (const u of queue) {
      if (u.sentAt !== undefined) continue;
      if (u.alarm) send(u);
      else if (bulkInFlight < cfg.window) {
        send(u);
        bulkInFlight++;
      }
    }
  }

  function tick(): void {
    const now = uptime();
    s.ticks++;
    if (batch.length && now - batchAt >= cfg.batchMs) close();
    let expired = false;
    for (const u of queue) if (u.sentAt !== undefined && now - u.sentAt >= cfg.ackTimeoutMs) expired = true;
    if (expired) {
      // no answer: everything in flight goes again (the head-end stores a record once)
      for (const u of queue)
        if (u.sentAt !== undefined) {
          u.sentAt = undefined;
          s.resent++;
        }
      if (++timeouts >= 2) linkUp = false;
    }
    pump();
  }

  /** Room for one more upload: the oldest batch goes (counted) when the queue is at its bound. */
  function makeRoom(): boolean {
    if (queue.length < cfg.maxUploads) return true;
    const k = queue.findIndex((u) => u.alarm === undefined);
    if (k < 0) return false;
    const [old] = queue.splice(k, 1);
    s.dropped.bulkUploads++;
    s.dropped.bulkRecords += (old as Upload).records;
    return true;
  }

  function close(): void {
    if (!batch.length) return;
    const raw = encodeRecords(batch);
    const records = batch.length;
    batch = [];
    batchBytes = 2;
    let data = raw;
    let encoding = ENC_RAW;
    if (deflate) {
      try {
        const z = deflate.raw(raw);
        if (z.length < raw.length) {
          data = z;
          encoding = ENC_DEFLATE;
        }
      } catch {
        s.dropped.deflate++; // sent uncompressed: counted, nothing lost
      }
    }
    makeRoom();
    const id = takeId();
    s.rawBytes += raw.length;
    queue.push({
      id,
      alarm: undefined,
      records,
      frame: encodeFrame(encodeMessage({ type: 'batch', id, encoding, rawLength: raw.length, data })),
      sentAt: undefined,
    });
    pump();
  }

  const bodyMax = cfg.maxFrame - FRAME_OVERHEAD - BATCH_HEAD;
  const timer = rs('timer.create', {
    name: 'HE',
    period: Math.max(10, Math.min(cfg.batchMs, cfg.ackTimeoutMs) >> 1),
    repeat: true,
    onTimer: () => tick(),
  });
  rs('timer.start', timer);

  return {
    record(r) {
      try {
        checkRecord(r);
        if (2 + recordSize(r) > bodyMax) throw new RangeError('record larger than maxFrame');
      } catch {
        s.dropped.invalid++;
        return false;
      }
      if (batchBytes + recordSize(r) > bodyMax) close();
      if (!batch.length) batchAt = uptime();
      batch.push({ kind: r.kind, meter: r.meter.toUpperCase(), obis: r.obis, captureS: r.captureS, values: r.values.slice() });
      batchBytes += recordSize(r);
      if (batch.length >= cfg.batchRecords) close();
      return true;
    },
    alarm(a) {
      const meter = typeof a.meter === 'string' ? a.meter.toUpperCase() : '';
      // a repeat of an alarm not yet sent is aggregated into it
      const same = queue.find((u) => u.alarm && u.sentAt === undefined && u.alarm.meter === meter && u.alarm.code === a.code);
      let frame: Uint8Array;
      const alarm: UplinkAlarm = same
        ? { ...(same.alarm as UplinkAlarm), count: Math.min(0xffff, (same.alarm as UplinkAlarm).count + Math.max(1, a.count)) }
        : { meter, code: a.code, eventS: a.eventS, receivedS: a.receivedS, count: Math.max(1, a.count) };
      try {
        frame = encodeFrame(encodeMessage({ type: 'alarm', id: same ? same.id : nextId, alarm }));
      } catch {
        s.dropped.invalid++;
        return;
      }
      if (same) {
        same.alarm = alarm;
        same.frame = frame;
        s.aggregated++;
        return;
      }
      if (queue.filter((u) => u.alarm).length >= cfg.maxAlarms || !makeRoom()) {
        s.dropped.alarms++;
        return;
      }
      takeId();
      // ahead of every batch, behind the alarms already queued
      const k = queue.findIndex((u) => u.alarm === undefined);
      const u: Upload = { id: (nextId - 1) >>> 0, alarm, records: 1, frame, sentAt: undefined };
      if (k < 0) queue.push(u);
      else queue.splice(k, 0, u);
      // at once, even past a full window
      send(u);
    },
    flush: () => close(),
    stats: () => ({
      ...s,
      dropped: { ...s.dropped },
      queued: queue.length,
      pending: batch.length,
      link: linkUp ? 'up' : 'down',
      rx: { ...reader.counters, ...s.rx },
    }),
  };
}

/** `HE STATS` line */
export function statsLine(st: UplinkStats): string {
  const d = st.dropped;
  const r = st.rx;
  return (
    `HE STATS link=${st.link} ticks=${st.ticks} queued=${st.queued} pending=${st.pending} sent=${st.sent} acked=${st.acked} resent=${st.resent} rejected=${st.rejected} aggregated=${st.aggregated} raw=${st.rawBytes} wire=${st.wireBytes}` +
    ` dropped{bulkUploads=${d.bulkUploads} bulkRecords=${d.bulkRecords} alarms=${d.alarms} invalid=${d.invalid} deflate=${d.deflate}}` +
    ` rx{frames=${r.frames} garbage=${r.garbage} badCrc=${r.badCrc} badLength=${r.badLength} malformed=${r.malformed} unknownAck=${r.unknownAck}}\r\n`
  );
}
