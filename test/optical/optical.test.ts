// The meter's optical port (UART1) on the real firmware, lin and mps2-an386, driven by the
// project's DLMS client: IEC 62056-21 mode C readout checked against METRO SHOW, HDLC (direct
// and after the mode E switch), public and HLS-GMAC associations, every object of the object
// list, SET clock, disconnect control, load profile by range, a wrong key, and a corpus of
// malformed input after which the port still serves.
import assert from 'node:assert/strict';
import { FirmwareNode, type Platform, type UartLink } from '../../emulator/node.js';
import { nodeGcm } from '../dlms/helpers.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import { serverAddress, encodeHdlcFrame } from '../../modules/nonlegal/dlms/hdlc.js';
import { parseIdentification, parseDataReadout, parseDataSet, ETX } from '../../modules/nonlegal/dlms/iec62056-21.js';
import { Mechanism, DataAccessResult } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { DlmsClient, DlmsError, ClassId, dateTimeOf, items, num, octets, u32, dt } from '../../modules/nonlegal/cosem/index.js';
import { HdlcClientLink } from '../../modules/nonlegal/dlms/hdlc-link.js';
import type { ByteTransport } from '../../modules/nonlegal/dlms/link.js';
import { toDateTime, fromDateTime } from '../../modules/nonlegal/cosem/clock.js';

const KEYS = { encryptionKey: fromHex('000102030405060708090A0B0C0D0E0F'), authenticationKey: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const TITLE = fromHex('4D4D4D0000000001');
const SERVER = serverAddress(1, 17);
const crlf = (b: Uint8Array) => b.length >= 2 && b[b.length - 2] === 0x0d && b[b.length - 1] === 0x0a;
const readoutDone = (b: Uint8Array) => {
  const e = b.indexOf(ETX);
  return e >= 0 && b.length >= e + 2;
};
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

function transport(u: UartLink): ByteTransport {
  return { send: (b) => u.send(b), receive: () => u.receive(5000) };
}
// Each client starts its invocation counter above everything an earlier client can have used
// (the server refuses a counter that does not increase).
let nextIc = Date.now() % 1e9;
function client(u: UartLink, sap: number, keys = KEYS): DlmsClient {
  nextIc += 1e6;
  return new DlmsClient({
    link: new HdlcClientLink(transport(u), sap, SERVER),
    gcm: nodeGcm,
    keys,
    systemTitle: TITLE,
    invocationCounter: nextIc,
  });
}
async function show(node: FirmwareNode): Promise<Record<string, number>> {
  const lines = await node.command('METRO SHOW', /^AP=/);
  return Object.fromEntries(
    lines
      .map((l) => l.split('='))
      .filter((kv) => kv.length === 2)
      .map(([k, v]) => [k!, Number(v)]),
  );
}
async function stats(node: FirmwareNode): Promise<Record<string, number>> {
  const lines = await node.command('DLMS STATS', /^profile /);
  const out: Record<string, number> = {};
  for (const l of lines) {
    const [group, ...kv] = l.split(' ');
    for (const p of kv) {
      const [k, v] = p.split('=');
      out[`${group}.${k}`] = Number(v);
    }
  }
  return out;
}
async function readout(u: UartLink, signOn = '/?!\r\n'): Promise<Map<string, { value: string; unit?: string }>> {
  u.flush();
  await u.send(signOn);
  const id = parseIdentification(await u.receiveUntil(crlf));
  assert.equal(id.manufacturer, 'MFW');
  assert.match(id.id, /^\\2/); // mode E offered
  await u.send(Uint8Array.of(0x06, 0x30, 0x35, 0x30, 0x0d, 0x0a)); // data readout at 9600
  const lines = parseDataReadout(await u.receiveUntil(readoutDone)); // checks the BCC
  return new Map(
    lines.map((l) => {
      const d = parseDataSet(l);
      return [d.address, d.values[0]!];
    }),
  );
}

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`optical port (DLMS/COSEM) on ${platform}`, function () {
    this.timeout(60000);
    let node: FirmwareNode;
    let u: UartLink;
    before(async () => {
      node = await FirmwareNode.start({ platform, role: 'meter', uart1: true });
      await node.waitFor(/^PARTS started$/);
      u = node.uart1!;
      await u.ready();
      await node.command('METRO LOAD 1 230000 10000 0', /^METRO LOAD/);
      await node.command('METRO LOAD 2 231000 5000 3000', /^METRO LOAD/);
      // two full seconds of the new load
      for (;;) {
        const s = await node.command('METRO SHOW', /^AP=|^ERROR/);
        if (s.some((l) => /^L2\.I=5\.0/.test(l))) break;
      }
      await show(node);
    });
    after(async () => {
      await node.stop();
    });

    it('gives a mode C data readout that matches METRO SHOW', async () => {
      const before = await show(node);
      const r = await readout(u);
      const after = await show(node);
      assert.equal(r.get('0.0.0')?.value, '12345678');
      assert.equal(r.get('32.7.0')?.unit, 'V');
      assert.ok(Math.abs(Number(r.get('32.7.0')!.value) - after['L1.V']!) <= 0.1);
      assert.ok(Math.abs(Number(r.get('31.7.0')!.value) - after['L1.I']!) <= 0.002);
      assert.ok(Math.abs(Number(r.get('51.7.0')!.value) - after['L2.I']!) <= 0.002);
      assert.ok(
        Math.abs(Number(r.get('21.7.0')!.value) * 1000 - after['L1.P']!) <= 2,
        `${r.get('21.7.0')?.value} kW vs ${after['L1.P']} W`,
      );
      assert.equal(r.get('1.8.0')?.unit, 'kWh');
      const kwh = Number(r.get('1.8.0')!.value);
      assert.ok(
        kwh > 0 && kwh * 1000 >= before['A+']! - 1 && kwh * 1000 <= after['A+']! + 1,
        `${kwh} kWh vs A+ ${before['A+']}..${after['A+']} Wh`,
      );
      assert.equal(r.get('14.7.0')?.unit, 'Hz');
      // addressed sign-on: ours answers, another meter's address gets silence, the port goes on
      assert.equal((await readout(u, '/?12345678!\r\n')).get('0.0.0')?.value, '12345678');
      await u.send('/?99999999!\r\n');
      assert.equal((await readout(u)).get('0.0.0')?.value, '12345678');
      assert.ok((await stats(node))['optical.readouts']! >= 3);
    });

    it('associates the public client over HDLC (first byte a flag) and reads every listed object', async () => {
      u.flush();
      const c = client(u, 16);
      await c.associate();
      const list = items(await c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 2))!;
      assert.ok(list.length >= 20, `${list.length} objects`);
      let reads = 0;
      for (const e of list) {
        const [cls, , ln, rights] = items(e)!;
        const attrs = items(items(rights)![0])!;
        for (const a of attrs) {
          const [id, access] = items(a)!;
          if (!(num(access)! & 1)) continue;
          const v = await c.get(num(cls)!, octets(ln)!, num(id)!);
          assert.ok(v.type);
          reads++;
        }
      }
      assert.ok(reads >= 60, `${reads} attributes read`);
      assert.equal(text(octets(await c.get(1, '0.0.96.1.0.255', 2))!), '12345678');
      const [scaler, unit] = items(await c.get(3, '1.0.32.7.0.255', 3))!;
      assert.deepEqual([num(scaler), num(unit)], [-1, 35]);
      const s = await show(node);
      assert.ok(Math.abs(num(await c.get(3, '1.0.32.7.0.255', 2))! / 10 - s['L1.V']!) <= 0.2);
      assert.ok(Math.abs(num(await c.get(3, '1.0.51.7.0.255', 2))! / 1000 - s['L2.I']!) <= 0.01);
      // read-only: SET refused, disconnect refused to the public client
      await assert.rejects(c.set(8, '0.0.1.0.0.255', 2, dt(toDateTime(Date.now()))), (e: unknown) => e instanceof DlmsError);
      // (the public association has no ACTION conformance: the server answers with an exception)
      await assert.rejects(c.action(70, '0.0.96.3.10.255', 1, { type: 'integer', value: 0 }), (e: unknown) => e instanceof DlmsError);
      assert.equal((await c.get(70, '0.0.96.3.10.255', 2)).type === 'boolean', true);
      await c.release();
    });

    it('switches to HDLC with mode E and associates the management client with HLS-GMAC', async () => {
      u.flush();
      await u.send('/?!\r\n');
      await u.receiveUntil(crlf);
      await u.send(Uint8Array.of(0x06, 0x32, 0x35, 0x32, 0x0d, 0x0a));
      assert.deepEqual([...(await u.receiveUntil(crlf))], [0x06, 0x32, 0x35, 0x32, 0x0d, 0x0a]);
      const c = client(u, 1);
      await c.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
      const list = items(await c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 2))!;
      const names = list.map((e) => octets(items(e)![2])!.join('.'));
      for (const o of [
        '0.0.40.0.0.255',
        '0.0.1.0.0.255',
        '0.0.42.0.0.255',
        '0.0.96.1.0.255',
        '1.0.1.8.0.255',
        '1.0.2.8.0.255',
        '1.0.3.8.0.255',
        '1.0.4.8.0.255',
        '1.0.99.1.0.255',
        '0.0.99.98.0.255',
        '0.0.96.3.10.255',
        '0.0.25.9.0.255',
        '0.0.43.0.0.255',
      ])
        assert.ok(names.includes(o), o);
      // GET with-list
      const r = await c.getList([
        [3, '1.0.1.8.0.255', 2],
        [3, '1.0.1.8.0.255', 3],
        [1, '0.0.42.0.0.255', 2],
      ]);
      assert.equal(r.length, 3);
      assert.ok(r.every((x) => 'data' in x));
      // SET clock: LEGAL applies it (X_METRO_SET_CLOCK) or, where LEGAL does not answer yet, temporary failure
      const target = Date.UTC(2030, 5, 1, 12, 0, 0);
      let set = 0;
      try {
        await c.set(8, '0.0.1.0.0.255', 2, dt(toDateTime(target)));
      } catch (e) {
        set = (e as DlmsError).code;
      }
      const clock = fromDateTime(dateTimeOf(await c.get(8, '0.0.1.0.0.255', 2))!)!;
      if (set === 0) assert.ok(clock >= target && clock < target + 10000, `clock ${new Date(clock).toISOString()}`);
      else {
        assert.equal(set, DataAccessResult.TEMPORARY_FAILURE);
        assert.ok(Math.abs(clock - target) > 86400000);
      }
      // disconnect: the relay opens, the current reads 0, reconnect brings it back
      await c.action(70, '0.0.96.3.10.255', 1, { type: 'integer', value: 0 });
      assert.deepEqual(await c.get(70, '0.0.96.3.10.255', 2), { type: 'boolean', value: false });
      for (;;) {
        const s = await show(node);
        if (s['L1.I'] === 0 && s['L2.I'] === 0) break;
      }
      await c.set(70, '0.0.96.3.10.255', 4, { type: 'enum', value: 2 }); // mode 2: remote reconnection closes
      await c.action(70, '0.0.96.3.10.255', 2, { type: 'integer', value: 0 });
      assert.deepEqual(await c.get(70, '0.0.96.3.10.255', 2), { type: 'boolean', value: true });
      for (;;) {
        const s = await show(node);
        if (s['L1.I']! > 9.9) break;
      }
      // load profile: 1-second capture, then read by range
      await c.set(7, '1.0.99.1.0.255', 4, u32(1));
      await c.action(7, '1.0.99.1.0.255', 1, { type: 'integer', value: 0 }); // reset
      for (;;) {
        if (num(await c.get(7, '1.0.99.1.0.255', 7))! >= 4) break;
      }
      // both reads go through the native table codec (profile.ts encoded(), drivers/axdr)
      const encoded = (await stats(node))['cosem.encoded']!;
      const all = await c.readProfileByEntry('1.0.99.1.0.255', 1);
      assert.ok(all.length >= 4);
      const times = all.map((row) => fromDateTime(dateTimeOf(items(row)![0])!)!);
      const sel = await c.readProfileByRange('1.0.99.1.0.255', toDateTime(times[1]!), toDateTime(times[2]!));
      assert.equal(sel.length, 2);
      assert.deepEqual(
        sel.map((row) => fromDateTime(dateTimeOf(items(row)![0])!)),
        [times[1], times[2]],
      );
      const e1 = num(items(sel[0])![1])!,
        e2 = num(items(sel[1])![1])!;
      assert.ok(e2 >= e1 && e1 > 0);
      assert.equal((await stats(node))['cosem.encoded'], encoded + 2);
      assert.ok((await node.command('DLMS STATS', /^profile /)).some((l) => / codec=native /.test(l)));
      await c.set(7, '1.0.99.1.0.255', 4, u32(900));
      await c.release();
    });

    it('rejects a wrong HLS key and counts it as a security event', async () => {
      const before = (await stats(node))['security.authentication']!;
      u.flush();
      const link = new HdlcClientLink(transport(u), 1, SERVER);
      const c = new DlmsClient({
        link,
        gcm: nodeGcm,
        keys: { encryptionKey: KEYS.encryptionKey, authenticationKey: new Uint8Array(16) },
        systemTitle: TITLE,
      });
      await assert.rejects(c.associate({ mechanism: Mechanism.HIGH_GMAC }), (e: unknown) => e instanceof DlmsError);
      const after = await stats(node);
      assert.equal(after['security.authentication'], before + 1);
      await link.close();
      // the right key still associates
      const ok = client(u, 1);
      await ok.associate({ mechanism: Mechanism.HIGH_GMAC });
      await ok.release();
    });

    it('survives a corpus of malformed optical input and keeps serving', async () => {
      let seed = 7;
      const rnd = (n: number) =>
        Uint8Array.from({ length: n }, () => {
          seed = (seed * 1664525 + 1013904223) >>> 0;
          return seed >>> 24;
        });
      const snrm = encodeHdlcFrame({
        type: 'SNRM',
        destination: SERVER,
        source: { upper: 16, size: 1 },
        pf: true,
        info: new Uint8Array(0),
        segmented: false,
      });
      const corpus: (Uint8Array | string)[] = [
        rnd(300),
        '/?' + 'A'.repeat(100) + '!\r\n',
        '/?!\r\n',
        Uint8Array.of(0x06, 0x39, 0x39, 0x39, 0x0d, 0x0a),
        '/?!\r\n\x15garbage\r\n',
        snrm.subarray(0, 5),
        Uint8Array.of(0x7e, 0xa0, 0xff, 0x03, 0x21, 0x93, 0x7e),
        Uint8Array.of(0x7e, 0xa7, 0xff, ...rnd(40), 0x7e),
        Uint8Array.of(0x7e, ...rnd(3000), 0x7e),
        rnd(1500),
        '/?!\r\n\x06050\r',
      ];
      const s0 = await stats(node);
      for (const b of corpus) {
        await u.send(b);
        // each case ends in idle after the mode C time-out or is dropped; a readout must work after it
        await node.command('SYS TRACE 2', /^trace=/);
      }
      while (!/^optical state=idle /.test((await node.command('DLMS STATS', /^profile /))[0]!));
      u.flush();
      const r = await readout(u);
      assert.equal(r.get('0.0.0')?.value, '12345678');
      const s1 = await stats(node);
      assert.ok(s1['optical.noise']! + s1['optical.errors']! > s0['optical.noise']! + s0['optical.errors']!);
      // and HDLC still associates
      u.flush();
      const c = client(u, 16);
      await c.associate();
      assert.equal(text(octets(await c.get(1, '0.0.42.0.0.255', 2))!), 'MFW0000012345678');
      await c.release();
      await node.command('SYS VERSION', /^NON-LEGAL .* running$/);
    });
  });
}
