// Issue 16, findings 1 and 4, on the real firmware through the optical port (lin, mps2-an386):
// a partial HDLC header (`7E A7 FF`, 2,047 bytes announced) and 2 KB of noise in NRM never make
// the port deaf; a GET whose selective-access parameters nest 14 structures deep (and random
// deep A-XDR) is refused and leaves at least 25 % of the XS stack free (SYS MEM xs.stack.peak).
import assert from 'node:assert/strict';
import { FirmwareNode, type Platform, type UartLink } from '../../emulator/node.js';
import { nodeGcm } from '../dlms/helpers.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import { encodeHdlcFrame, serverAddress, HdlcFrameReader, type HdlcFrame } from '../../modules/nonlegal/dlms/hdlc.js';
import { DlmsClient, octets, items } from '../../modules/nonlegal/cosem/index.js';
import { HdlcClientLink } from '../../modules/nonlegal/dlms/hdlc-link.js';
import type { ByteTransport } from '../../modules/nonlegal/dlms/link.js';
import { toDateTime } from '../../modules/nonlegal/cosem/clock.js';

const KEYS = { encryptionKey: fromHex('000102030405060708090A0B0C0D0E0F'), authenticationKey: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const SERVER = serverAddress(1, 17);
const PUBLIC = { upper: 16, size: 1 as const };
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
/** The repro: GET profile 1.0.99.1.0.255 attribute 2, selector 1, 14 structures deep. */
const REPRO = fromHex('c001c100070100630100ff02' + '0102'.repeat(13) + '0100');
const MARGIN = 0.25;

function transport(u: UartLink): ByteTransport {
  return { send: (b) => u.send(b), receive: () => u.receive(5000) };
}
let nextIc = Date.now() % 1e9;
function client(u: UartLink): { c: DlmsClient; link: HdlcClientLink } {
  nextIc += 1e6;
  const link = new HdlcClientLink(transport(u), 16, SERVER);
  return {
    link,
    c: new DlmsClient({ link, gcm: nodeGcm, keys: KEYS, systemTitle: fromHex('4D4D4D0000000001'), invocationCounter: nextIc }),
  };
}
const snrm = () =>
  encodeHdlcFrame({ type: 'SNRM', destination: SERVER, source: PUBLIC, pf: true, info: new Uint8Array(0), segmented: false });
const disc = () =>
  encodeHdlcFrame({ type: 'DISC', destination: SERVER, source: PUBLIC, pf: true, info: new Uint8Array(0), segmented: false });

/** The next frame from the meter, and how long it took (ms). */
async function nextFrame(u: UartLink, timeoutMs: number): Promise<{ f: HdlcFrame; ms: number }> {
  const t0 = Date.now(),
    r = new HdlcFrameReader();
  for (;;) {
    const left = timeoutMs - (Date.now() - t0);
    if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
    const fs = r.push(await u.receive(left));
    if (fs.length) return { f: fs[0]!, ms: Date.now() - t0 };
  }
}
async function hdlcStats(node: FirmwareNode): Promise<Record<string, number>> {
  const lines = await node.command('DLMS STATS', /^profile /);
  const h = lines.find((l) => l.startsWith('hdlc '));
  const out: Record<string, number> = {};
  for (const kv of (h ?? '').split(' ').slice(1)) {
    const [k, v] = kv.split('=');
    out[k!] = Number(v);
  }
  return out;
}
async function stackPeak(node: FirmwareNode): Promise<{ peak: number; slots: number }> {
  const mem = (await node.command('SYS MEM', /^xs\.keys=/)).at(-1)!;
  const m = /xs\.stack\.slots=(\d+) xs\.stack\.peak=(\d+)/.exec(mem);
  assert.ok(m, mem);
  return { slots: Number(m[1]), peak: Number(m[2]) };
}

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`optical port bounds (issue 16) on ${platform}`, function () {
    this.timeout(60000);
    let node: FirmwareNode;
    let u: UartLink;
    before(async () => {
      node = await FirmwareNode.start({ platform, role: 'meter', uart1: true });
      await node.waitFor(/^PARTS started$/);
      u = node.uart1!;
      await u.ready();
    });
    after(async () => {
      await node.stop();
    });

    it('`7E A7 FF` then an SNRM: the UA comes at once (a stale length never swallows a valid frame)', async () => {
      u.flush();
      await u.send(Uint8Array.of(0x7e, 0xa7, 0xff));
      await node.command('DLMS STATS', /^profile /); // the three bytes are in: the port is in HDLC, waiting
      await u.send(snrm());
      const { f, ms } = await nextFrame(u, 3000);
      assert.equal(f.type, 'UA', `${f.type} after ${ms} ms`);
      const s = await hdlcStats(node);
      assert.equal(s.resync! + s.timeout!, 1, JSON.stringify(s)); // the partial frame was abandoned, and counted
      await u.send(disc());
      assert.equal((await nextFrame(u, 3000)).f.type, 'UA');
      while (!/^optical state=idle /.test((await node.command('DLMS STATS', /^profile /))[0]!));
    });

    it('2 KB of random bytes in NRM, then the client goes on at once (not after the 120 s inactivity time-out)', async () => {
      let seed = 4;
      const rnd = (n: number) =>
        Uint8Array.from({ length: n }, () => {
          seed = (seed * 1664525 + 1013904223) >>> 0;
          return seed >>> 24;
        });
      u.flush();
      const { c, link } = client(u);
      await c.associate();
      for (let round = 0; round < 3; round++) {
        const noise = rnd(2048);
        noise.set([0x7e, 0xa7, 0xff], noise.length - 64 - round * 7); // near its end, a header announcing 2,047 bytes
        for (let o = 0; o < noise.length; o += 256) await u.send(noise.subarray(o, o + 256));
        await node.command('DLMS STATS', /^profile /);
        u.flush();
        // a new SNRM (the client's recovery) gets its UA, and the association goes on
        const t0 = Date.now();
        await link.open();
        assert.ok(Date.now() - t0 < 3000, `UA after ${Date.now() - t0} ms`);
        await c.associate();
        assert.equal(text(octets(await c.get(1, '0.0.42.0.0.255', 2))!), 'MFW0000012345678');
      }
      await c.release();
      await link.close();
    });

    it('a GET nested 14 structures deep, and random deep A-XDR, are refused with >= 25 % of the XS stack free', async () => {
      u.flush();
      const { c, link } = client(u);
      await c.associate();
      // the legitimate deep paths first: a profile read by range (selective access)
      const now = Date.now();
      await c.readProfileByRange('1.0.99.1.0.255', toDateTime(now - 3600000), toDateTime(now));
      const refused = (r: Uint8Array) => r[0] === 0xd8 || (r[0] === 0xc4 && r[3] === 0x01); // exception, or a data-access-result
      const r1 = await link.request(REPRO);
      assert.ok(refused(r1), Buffer.from(r1).toString('hex'));
      // random nestings of arrays and structures, 9..24 deep, and compact arrays in them
      let seed = 23;
      const rnd = (n: number) => {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        return (seed >>> 16) % n;
      };
      for (let k = 0; k < 16; k++) {
        const depth = 9 + rnd(16);
        const body: number[] = [];
        for (let d = 0; d < depth; d++) body.push(rnd(2) ? 0x01 : 0x02, 1 + rnd(2));
        body.push(0x13, 0x02, 0x01, 0x12, 0x00); // compact-array of structure{long-unsigned}, no contents
        const apdu = Uint8Array.from([...fromHex('c001c100070100630100ff02'), ...body]);
        const r = await link.request(apdu);
        assert.ok(refused(r), `depth ${depth}: ${Buffer.from(r).toString('hex')}`);
      }
      // the deepest nestings the server accepts (maxDataDepth 8) decode and are refused by the profile:
      // structures, and a compact array whose type description nests 8 deep (and 9: malformed)
      const get = (params: string) => fromHex('c001c100070100630100ff02' + '0102' + params);
      for (const params of [
        '0201'.repeat(7) + '0200',
        '13' + '010001'.repeat(7) + '12' + '020000',
        '13' + '010001'.repeat(8) + '12' + '020000',
      ]) {
        const r = await link.request(get(params));
        assert.ok(refused(r), `${params}: ${Buffer.from(r).toString('hex')}`);
      }
      assert.equal(items(await c.get(7, '1.0.99.1.0.255', 3))!.length, 5); // still serving
      await c.release();
      await link.close();
      const { peak, slots } = await stackPeak(node);
      console.log(`      ${platform}: xs.stack.peak=${peak} of ${slots} slots`);
      assert.ok(peak <= slots * (1 - MARGIN), `xs.stack.peak=${peak} of ${slots}: less than ${MARGIN * 100} % free`);
      await node.command('SYS VERSION', /^NON-LEGAL .* running$/);
    });
  });
}
