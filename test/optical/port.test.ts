// The optical port's HDLC time-outs in Node (modules/nonlegal/optical/port.ts), with a fake UART
// and fake timers (issue 16, finding 1): the inactivity time-out is restarted by valid frames
// only, never by noise; chunks carry their arrival time to the inter-octet time-out.
import assert from 'node:assert/strict';
import { OpticalPort, type OpticalSerial, type PortConfig } from '../../modules/nonlegal/optical/port.js';
import { encodeHdlcFrame, decodeHdlcFrame, serverAddress } from '../../modules/nonlegal/dlms/hdlc.js';
import type { TimerModule, TimerHandle, TimerCallback } from '../../modules/generic/timer.js';
import { makeMeter } from '../cosem/helpers.js';

const SERVER = serverAddress(1, 17, 4);
const CFG: PortConfig = {
  manufacturer: 'MFW',
  identification: 'METERFW1',
  address: '12345678',
  maxBaud: '5',
  hdlcLogical: 1,
  hdlcPhysical: 17,
  hdlcMaxInfo: 128,
  modeCTimeoutMs: 1500,
  hdlcTimeoutMs: 10000,
  hdlcInterOctetMs: 25,
};

function rig(cfg: PortConfig = CFG) {
  let now = 0,
    nextId = 1;
  const timers = new Map<number, { at: number; cb: TimerCallback; h: TimerHandle }>();
  const fake: TimerModule = {
    set(cb, interval = 0) {
      const h = { id: nextId++ };
      timers.set(h.id, { at: now + interval, cb, h });
      return h;
    },
    repeat() {
      throw new Error('not used');
    },
    schedule(h, interval = 0) {
      const t = timers.get(h.id);
      if (t) t.at = now + interval;
    },
    clear(h) {
      if (h) timers.delete(h.id);
    },
    delay() {},
  };
  let rx: Uint8Array[] = [];
  const tx: Uint8Array[] = [];
  const io: OpticalSerial = {
    read(n) {
      const b = rx.shift();
      if (!b) return undefined;
      if (b.length > n) {
        rx.unshift(b.subarray(n));
        return b.slice(0, n).buffer;
      }
      return b.slice().buffer;
    },
    write(b) {
      tx.push(b.slice());
    },
    dropped: 0,
  };
  const port = new OpticalPort(
    io,
    makeMeter().server,
    fake,
    cfg,
    async () => [],
    () => {},
    () => now,
  );
  const settle = async () => {
    for (let k = 0; k < 20; k++) await new Promise((r) => setImmediate(r));
  };
  return {
    port,
    tx,
    /** The HDLC link's state, 'none' once the port is back to mode C. */
    link: () => port.hdlc?.state ?? 'none',
    async feed(b: Uint8Array) {
      rx = [b];
      port.onReadable(b.length);
      await settle();
    },
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...timers])
        if (t.at <= now) {
          timers.delete(id);
          t.cb(t.h);
        }
    },
  };
}
const snrm = () =>
  encodeHdlcFrame({
    type: 'SNRM',
    destination: SERVER,
    source: { upper: 16, size: 1 },
    pf: true,
    info: new Uint8Array(0),
    segmented: false,
  });

describe('optical port HDLC time-outs (fake UART and timers)', () => {
  it('noise in NRM does not restart the inactivity time-out; a valid frame does', async () => {
    const r = rig();
    await r.feed(snrm());
    assert.equal(decodeHdlcFrame(r.tx.at(-1)!).type, 'UA');
    assert.equal(r.link(), 'nrm');
    // noise (and a header announcing 2,047 bytes) every second: the link still ends 10 s after the UA
    let seed = 9;
    const rnd = (n: number) =>
      Uint8Array.from({ length: n }, () => {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        return seed >>> 24;
      });
    for (let s = 0; s < 9; s++) {
      r.advance(1000);
      await r.feed(Uint8Array.from([0x7e, 0xa7, 0xff, ...rnd(200)]));
      assert.equal(r.link(), 'nrm', `${s + 1} s`);
    }
    r.advance(1000);
    assert.equal(r.link(), 'none');
    assert.equal(r.port.stats.timeouts, 1);
    // a valid frame restarts it: a new session, then an SNRM 9 s later keeps it 10 s more
    await r.feed(snrm());
    r.advance(9000);
    await r.feed(snrm());
    r.advance(9000);
    assert.equal(r.link(), 'nrm');
    r.advance(1000);
    assert.equal(r.link(), 'none');
    assert.equal(r.port.stats.timeouts, 2);
  });

  it('a frame whose bytes stop coming is abandoned after the inter-octet time-out (arrival time, not processing)', async () => {
    const r = rig();
    await r.feed(snrm());
    const f = snrm();
    await r.feed(f.subarray(0, 6));
    r.advance(30); // > 25 ms: the rest comes too late
    await r.feed(f.subarray(6));
    assert.equal(r.port.hdlc!.reader.drops.timeout, 1);
    const n = r.tx.length;
    await r.feed(f.subarray(0, 6));
    r.advance(20); // in time
    await r.feed(f.subarray(6));
    assert.equal(r.tx.length, n + 1);
    assert.equal(decodeHdlcFrame(r.tx.at(-1)!).type, 'UA');
    assert.equal(r.port.hdlc!.reader.drops.timeout, 1);
  });
});

describe('optical port input bound (manifest parts.nonlegal.optical.queueMax)', () => {
  it('bytes beyond the configured queue are dropped and counted overflow', async () => {
    const r = rig({ ...CFG, queueMax: 16 });
    await r.feed(new Uint8Array(40).fill(0x55));
    assert.equal(r.port.stats.overflow, 40);
    const ok = rig({ ...CFG, queueMax: 64 });
    await ok.feed(new Uint8Array(40).fill(0x55));
    assert.equal(ok.port.stats.overflow, 0);
  });
});
