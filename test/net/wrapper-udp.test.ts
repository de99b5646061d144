// The meter's UDP wrapper port (modules/nonlegal/net/wrapper-udp.ts) on the real COSEM server, in
// Node: byte-exact wrapper PDUs in and out, malformed datagrams dropped and counted without a
// reply, the bounded session table, per-remote associations, the inactivity time-out; and the
// persisted invocation counter (ic-store.ts) over a power cut and a torn write.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { WrapperUdpServer, WRAPPER_SESSIONS } from '../../modules/nonlegal/net/wrapper-udp.js';
import { NvRecord, storedCounter, IC_BLOCK } from '../../modules/nonlegal/meter/ic-store.js';
import { encodeWrapper, decodeWrapperDatagram } from '../../modules/nonlegal/dlms/wrapper.js';
import { decodeAcse } from '../../modules/nonlegal/dlms/acse.js';
import { Mechanism } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { DlmsClient } from '../../modules/nonlegal/cosem/index.js';
import { WrapperClientLink, type ByteTransport } from '../../modules/nonlegal/dlms/link.js';
import { makeMeter, KEYS, CLIENT_TITLE, nodeGcm, hex } from '../cosem/helpers.js';
import { toH } from '../dlms/helpers.js';
import { randomBytes } from 'node:crypto';

// AARQ of a public client, LN referencing without ciphering, lowest security: conformance
// 0x001E1D (GET, SET, ACTION, selective access, block transfer), client max PDU 0xFFFF.
const AARQ = '601DA109060760857405080101BE10040E01000000065F1F0400001E1DFFFF';
const GET_CLOCK = 'C001C100080000010000FF0200';

function rig(opts: { inactivityMs?: number; maxSessions?: number; maxQueue?: number } = {}) {
  const m = makeMeter();
  let now = 0;
  const sent: { dst: number; port: number; data: Uint8Array }[] = [];
  const w = new WrapperUdpServer({
    server: m.server,
    now: () => now,
    send: (dst, port, data) => {
      sent.push({ dst, port, data });
      return '';
    },
    ...opts,
  });
  /** Feeds one datagram and waits until the server has served its queue. */
  const feed = async (src: number, port: number, d: Uint8Array | string) => {
    const n = sent.length;
    w.input(src, port, typeof d === 'string' ? hex(d) : d);
    for (let k = 0; k < 50 && sent.length === n; k++) await new Promise((r) => setImmediate(r));
    return sent.length > n ? sent[sent.length - 1]! : undefined;
  };
  return {
    m,
    w,
    sent,
    feed,
    tick: (ms: number) => {
      now += ms;
      w.tick();
    },
  };
}

/** A DLMS client whose datagrams go to the rig as (src, port). */
function udpClient(
  r: ReturnType<typeof rig>,
  src: number,
  port: number,
  wPort: number,
  o: { keys?: typeof KEYS; ic?: number } = {},
): DlmsClient {
  const q: Uint8Array[] = [];
  const t: ByteTransport = {
    send: async (b) => {
      const x = await r.feed(src, port, b);
      if (x) q.push(x.data);
    },
    receive: async () => {
      const b = q.shift();
      if (!b) throw new Error('no reply');
      return b;
    },
  };
  return new DlmsClient({
    link: new WrapperClientLink(t, wPort, 1),
    gcm: nodeGcm,
    keys: o.keys ?? KEYS,
    systemTitle: CLIENT_TITLE,
    invocationCounter: o.ic ?? 1000,
    random: (n) => new Uint8Array(randomBytes(n)),
  });
}

describe('DLMS/COSEM UDP wrapper port (meter side)', () => {
  it('answers byte-exact wrapper PDUs: header 0001, swapped wPorts, APDU length', async () => {
    const r = rig();
    const req = '0001' + '0010' + '0001' + '001F' + AARQ;
    assert.equal(toH(encodeWrapper({ sourceWPort: 16, destinationWPort: 1, apdu: hex(AARQ) })), req);
    const out = await r.feed(0x0002, 4059, req);
    assert.ok(out, 'a reply');
    assert.deepEqual([out.dst, out.port], [0x0002, 4059]);
    assert.equal(toH(out.data.subarray(0, 6)), '000100010010');
    assert.equal((out.data[6]! << 8) | out.data[7]!, out.data.length - 8);
    const aare = decodeAcse(out.data.subarray(8));
    assert.equal(aare.kind, 'aare');
    assert.equal((aare as { result: number }).result, 0);
    // GET clock time, then the same request's reply is a GET-Response-Normal with a date-time
    const get = await r.feed(0x0002, 4059, '000100100001000D' + GET_CLOCK);
    assert.equal(toH(get!.data.subarray(0, 8)), '00010001001000' + (get!.data.length - 8).toString(16).toUpperCase().padStart(2, '0'));
    assert.equal(toH(get!.data.subarray(8, 12)), 'C401C100');
    assert.equal(get!.data[12], 0x09); // octet-string(12): the date-time
    assert.equal(r.w.counters.rx, 2);
    assert.equal(r.w.counters.tx, 2);
  });

  it('drops malformed wrapper input without a reply, each counted, and keeps serving', async () => {
    const r = rig();
    const corpus: [string, keyof WrapperUdpServer['drops']][] = [
      ['', 'malformed'], // empty datagram
      ['000100', 'malformed'], // shorter than the header
      ['0002001000010002C001', 'malformed'], // version 2
      ['000100100001000DC001', 'malformed'], // length beyond the datagram
      ['0001001000010001C001', 'malformed'], // bytes beyond the length
      ['0001001000010000', 'malformed'], // no APDU
      ['00010010000108010000', 'malformed'], // length 2049 > 2048
      ['000100100005000D' + GET_CLOCK, 'wPort'], // another logical device
    ];
    for (const [d, why] of corpus) {
      const before = r.w.drops[why];
      assert.equal(await r.feed(3, 4059, d), undefined, d);
      assert.equal(r.w.drops[why], before + 1, d);
    }
    assert.equal(r.sent.length, 0);
    assert.equal(r.w.drops.malformed, 7);
    // not associated: the server answers with an exception-response (state error)
    const x = await r.feed(3, 4059, '000100100001000D' + GET_CLOCK);
    assert.equal(toH(decodeWrapperDatagram(x!.data).apdu.subarray(0, 1)), 'D8');
    assert.equal(r.w.open, 0);
    const c = udpClient(r, 3, 4059, 16);
    await c.associate();
    assert.equal((await c.get(1, '0.0.96.1.0.255', 2)).type, 'octet-string');
    await c.release();
    assert.equal(r.w.open, 0, 'RLRQ ends the session');
  });

  it('keeps one association per remote and client wPort, in a bounded table with an inactivity time-out', async () => {
    const r = rig({ inactivityMs: 60000 });
    const clients = [];
    for (let k = 0; k < WRAPPER_SESSIONS; k++) {
      const c = udpClient(r, 0x10 + k, 4059, 16);
      await c.associate();
      clients.push(c);
    }
    assert.equal(r.w.open, WRAPPER_SESSIONS);
    // a fifth remote is not served
    assert.equal(await r.feed(0x20, 4059, '000100100001001F' + AARQ), undefined);
    assert.equal(r.w.drops.sessionsFull, 1);
    // the same wPort from two remotes: releasing one leaves the other associated
    await clients[0]!.release();
    assert.equal((await clients[1]!.get(1, '0.0.96.1.0.255', 2)).type, 'octet-string');
    // the management client with HLS-GMAC on the freed slot
    const mgmt = udpClient(r, 0x21, 4059, 1);
    await mgmt.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
    assert.equal(r.m.server.associationOf(1, 1)?.sap, 1, 'on the first slot, freed by the release');
    // idle past the time-out: every session is closed, its associations released
    r.tick(30000);
    assert.equal(r.w.open, WRAPPER_SESSIONS);
    r.tick(30001);
    assert.equal(r.w.open, 0);
    assert.equal(r.w.counters.timeouts, WRAPPER_SESSIONS);
    assert.equal(r.m.server.associations, 0);
    const x = await r.feed(0x11, 4059, '000100100001000D' + GET_CLOCK);
    assert.equal(decodeWrapperDatagram(x!.data).apdu[0], 0xd8, 'not associated any more');
  });

  it('rejects a wrong HLS key over the wrapper and reports the security event', async () => {
    const r = rig();
    const bad = udpClient(r, 5, 4059, 1, { keys: { ...KEYS, authenticationKey: new Uint8Array(16) } });
    await assert.rejects(bad.associate({ mechanism: Mechanism.HIGH_GMAC }));
    assert.ok(
      r.m.events.some(([k]) => k === 'authentication-failure'),
      JSON.stringify(r.m.events),
    );
    assert.equal(r.w.open, 0);
  });
});

/** An FRAM model: byte-writable; a write can be torn after `tearAfter` bytes. */
class Fram {
  mem = new Uint8Array(256).fill(0xff);
  tearAfter = Infinity;
  read(o: number, v: ArrayBufferView) {
    new Uint8Array(v.buffer, v.byteOffset, v.byteLength).set(this.mem.subarray(o, o + v.byteLength));
  }
  write(o: number, v: ArrayBufferView) {
    const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    const n = Math.min(b.length, this.tearAfter);
    this.mem.set(b.subarray(0, n), o);
    if (n < b.length) throw new Error('power cut');
  }
  capacity() {
    return this.mem.length;
  }
  info() {
    return 'kind=file size=256';
  }
}
const crc = {
  b: new Uint8Array(0),
  reset() {
    this.b = new Uint8Array(0);
  },
  checksum(x: Uint8Array) {
    return crc32(x) >>> 0;
  },
};

describe('invocation counter persisted as a reserved bound (ic-store)', () => {
  it('restarts above every counter used before a power cut, also after a torn write', () => {
    const fram = new Fram();
    let max = -1;
    for (let boot = 0; boot < 7; boot++) {
      const c = storedCounter(fram, crc, 0, () => 0);
      if (boot === 3) {
        // power cut while the boot-time reservation is written: nothing was sent in this boot
        fram.tearAfter = 13;
        assert.throws(() => c.start(), /power cut/);
        fram.tearAfter = Infinity;
        continue;
      }
      let ic = c.start();
      assert.ok(ic > max, `boot ${boot}: start ${ic} not above ${max}`);
      // use a varying number of counters, each reserved before it is "sent"
      const n = [3, IC_BLOCK, 2 * IC_BLOCK + 5, 0, 1, 0, 200][boot]!;
      for (let k = 0; k < n; k++) {
        c.reserve(++ic);
        max = ic;
      }
    }
    assert.ok(fram.mem.subarray(0, 64).some((b) => b !== 0xff));
  });

  it('a blank record starts at 0; a corrupt one starts at the fallback', () => {
    const fram = new Fram();
    assert.equal(storedCounter(fram, crc, 1, () => 777).start(), 0);
    fram.mem.fill(0x5a, 64, 128);
    const rec = new NvRecord(fram, crc, 1);
    assert.equal(rec.load(), undefined);
    assert.equal(rec.status, 'corrupt');
    assert.equal(storedCounter(fram, crc, 1, () => 777).start(), 777);
  });
});

describe('UDP wrapper bounds from the manifest (parts.nonlegal.udpMaxSessions, udpMaxQueue)', () => {
  it('sessions beyond the configured number are refused and counted sessionsFull', async () => {
    const r = rig({ maxSessions: 2 });
    for (let k = 0; k < 2; k++) await udpClient(r, 0x10 + k, 4059, 16).associate();
    assert.equal(r.w.open, 2);
    assert.equal(await r.feed(0x20, 4059, '000100100001001F' + AARQ), undefined);
    assert.equal(r.w.drops.sessionsFull, 1);
  });

  it('datagrams beyond the configured queue are dropped and counted queueFull', () => {
    const r = rig({ maxQueue: 2 });
    for (let k = 0; k < 5; k++) r.w.input(0x10, 4059, hex('000100100001000D' + GET_CLOCK));
    assert.equal(r.w.drops.queueFull, 3);
  });
});
