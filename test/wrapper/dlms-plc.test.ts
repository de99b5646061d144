// DLMS/COSEM over the UDP wrapper (port 4059) across the emulated power line: the lin
// concentrator's `DLMS READ` reads every object of the object list of a lin meter and of an
// mps2-an386 meter, as the public client and as the management client (HLS-GMAC, suite 0);
// the public client may not disconnect; a wrong key is refused and counted as a security event.
// (The invocation counter over a power cut: ic-reboot.test.ts, on the optical port.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { Medium } from '../../emulator/medium/medium.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';
import { AxdrDecoder } from '../../modules/nonlegal/dlms/axdr.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import { num, octets } from '../../modules/nonlegal/cosem/index.js';

interface Dev {
  eui64: string;
  psk: string;
}
const provisionRecord = provisionRecordJs as (o: { eui64: string; psk: string; seed: string; devices?: Dev[]; pad?: number }) => Buffer;
const psk = (n: number): string => n.toString(16).padStart(32, '0');
const eui = (n: number): string => '0x' + n.toString(16);
const field = (line: string, key: string): string => {
  const m = new RegExp(`(?:^| )${key.replace('.', '\\.')}=(\\S+)`).exec(line);
  assert.ok(m, `${key} in ${line}`);
  return m[1]!;
};
const value = (hex: string) => new AxdrDecoder().decode(fromHex(hex));

/** Runs a DLMS command on the concentrator; returns its OBJ lines and the summary (or ERROR) line. */
async function dlms(
  c: FirmwareNode,
  cmd: string,
  timeoutMs = 120000,
): Promise<{ objs: Map<string, string>; end: string; lines: string[] }> {
  c.skip();
  c.send(cmd);
  const verb = cmd.split(' ')[1]!;
  const lines = await c.collect(new RegExp(`^(DLMS ${verb} meter=|ERROR)`), timeoutMs);
  const objs = new Map<string, string>();
  for (const l of lines) {
    const m = /^DLMS OBJ (\S+) (.*)$/.exec(l);
    if (m) objs.set(m[1]!, m[2]!);
  }
  return { objs, end: lines[lines.length - 1]!, lines };
}

describe('DLMS/COSEM over the UDP wrapper across the PLC network (lin + mps2-an386)', function () {
  this.timeout(300000);
  const dir = mkdtempSync(join(tmpdir(), 'dlms-plc-'));
  const sock = join(dir, 'plc.sock');
  let medium: Medium;
  const nodes: FirmwareNode[] = [];
  let conc: FirmwareNode, lin: FirmwareNode, board: FirmwareNode;
  let linShort = '',
    boardShort = '';
  const file = (name: string, b: Buffer): string => {
    const f = join(dir, name);
    writeFileSync(f, b);
    return f;
  };

  before(async () => {
    medium = new Medium({ seed: 11 });
    await medium.listen(sock);
    const table = [2, 3].map((n): Dev => ({ eui64: eui(n), psk: psk(n) }));
    const cfile = file('c.bin', provisionRecord({ eui64: eui(1), psk: psk(1), seed: 'c1'.repeat(16), devices: table }));
    file('m2.bin', provisionRecord({ eui64: eui(2), psk: psk(2), seed: psk(0x102) }));
    const bfile = file('m3.bin', provisionRecord({ eui64: eui(3), psk: psk(3), seed: psk(0x103), pad: 8192 }));
    conc = await FirmwareNode.start({ platform: 'lin', role: 'concentrator', args: ['--modem', sock, '--provision', cfile] });
    nodes.push(conc);
    await conc.waitFor(/^PLC PAN pan=/, 20000);
    lin = await FirmwareNode.start({ platform: 'lin', role: 'meter', args: ['--modem', sock, '--provision', join(dir, 'm2.bin')] });
    board = await FirmwareNode.start({
      platform: 'mps2-an386',
      role: 'meter',
      provision: bfile,
      args: ['-serial', 'null', '-serial', `unix:${sock}`],
    });
    nodes.push(lin, board);
    const joined = await Promise.all([lin, board].map((m) => m.waitFor(/^PLC JOINED /, 90000)));
    [linShort, boardShort] = joined.map((l) => '0x' + /short=0x([0-9a-f]{4})/.exec(l)![1]!) as [string, string];
    await lin.command('METRO LOAD 1 230000 10000 0', /^METRO LOAD/);
  });

  after(async () => {
    for (const n of nodes) await n.stop();
    await medium?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every object of the lin meter as the public client (read-only)', async () => {
    const r = await dlms(conc, `DLMS READ ${linShort} ALL PUBLIC`);
    assert.match(
      r.end,
      new RegExp(
        `^DLMS READ meter=${linShort} client=16 objects=\\d+ attributes=\\d+ errors=0 apdu\\.tx=\\d+ apdu\\.rx=\\d+ datagrams=\\d+ ms=\\d+$`,
      ),
      r.lines.slice(-5).join('\n'),
    );
    const objects = Number(field(r.end, 'objects')),
      attributes = Number(field(r.end, 'attributes'));
    assert.ok(objects >= 20, r.end);
    assert.equal(r.objs.size, attributes, 'one line per attribute');
    // the logical device name and the device id, exactly
    assert.equal(Buffer.from(octets(value(r.objs.get('1/0.0.96.1.0.255/2')!))!).toString('latin1'), '12345678');
    assert.equal(Buffer.from(octets(value(r.objs.get('1/0.0.42.0.0.255/2')!))!).toString('latin1'), 'MFW0000012345678');
    // L1 voltage (0.1 V) against the load the meter measures
    const v = num(value(r.objs.get('3/1.0.32.7.0.255/2')!))! / 10;
    assert.ok(Math.abs(v - 230) < 1, `L1 voltage ${v}`);
    // the public client does not see the security setup
    assert.ok(!r.objs.has('64/0.0.43.0.0.255/2'));
  });

  it('reads every object of the lin meter as the management client (HLS-GMAC, ciphered)', async () => {
    const r = await dlms(conc, `DLMS READ ${linShort} ALL MGMT`);
    assert.match(
      r.end,
      /^DLMS READ meter=0x[0-9a-f]{4} client=1 objects=\d+ attributes=\d+ errors=0 server\.ic=\d+ /,
      r.lines.slice(-5).join('\n'),
    );
    assert.equal(r.objs.size, Number(field(r.end, 'attributes')));
    for (const o of [
      '64/0.0.43.0.0.255/2',
      '7/1.0.99.1.0.255/2',
      '7/0.0.99.98.0.255/2',
      '70/0.0.96.3.10.255/2',
      '40/0.0.25.9.0.255/2',
      '15/0.0.40.0.0.255/2',
    ])
      assert.ok(r.objs.has(o), o);
    assert.ok(Number(field(r.end, 'server.ic')) > 0);
    const udp = (await lin.command('DLMS UDP', /^dlms\.udp\.drop /)).join(' ');
    assert.match(udp, /open=0\/4 /, 'both sessions released');
    assert.ok(Number(field(udp, 'rx')) >= Number(field(r.end, 'datagrams')) / 2);
  });

  it('reads every object of the mps2-an386 meter as the management client', async () => {
    const r = await dlms(conc, `DLMS READ ${boardShort} ALL MGMT`, 240000);
    assert.match(
      r.end,
      new RegExp(`^DLMS READ meter=${boardShort} client=1 objects=\\d+ attributes=\\d+ errors=0 `),
      r.lines.slice(-5).join('\n'),
    );
    assert.ok(Number(field(r.end, 'objects')) >= 24, r.end);
    assert.equal(Buffer.from(octets(value(r.objs.get('1/0.0.96.1.0.255/2')!))!).toString('latin1'), '12345678');
  });

  it('refuses disconnect to the public client; the management client opens the relay', async () => {
    const pub = await dlms(conc, `DLMS DISCONNECT ${linShort} OPEN PUBLIC`);
    assert.match(pub.end, /^ERROR DLMS DISCONNECT: exception-response \(\d+\)/);
    const r = await dlms(conc, `DLMS DISCONNECT ${linShort} OPEN MGMT`);
    assert.match(r.end, new RegExp(`^DLMS DISCONNECT meter=${linShort} client=1 relay=open server\\.ic=\\d+ `));
    assert.ok(Number(field(r.end, 'server.ic')) > 0);
    for (;;) {
      const s = await lin.command('METRO SHOW', /^AP=/);
      if (s.some((l) => l === 'L1.I=0.000' || /^L1\.I=0(\.0+)?$/.test(l))) break;
    }
  });

  it('refuses a wrong authentication key and logs the security event on the meter', async () => {
    // with a ciphered context the wrong key already fails the GCM tag of the glo-initiate-request
    const events = async () => {
      const s = (await lin.command('DLMS STATS', /^profile /)).find((l) => l.startsWith('security '))!;
      return Number(field(s, 'authentication')) + Number(field(s, 'deciphering'));
    };
    const before = await events();
    await conc.command('DLMS KEY AUTH 0 0 0 0', /^DLMS KEY/);
    lin.skip();
    const r = await dlms(conc, `DLMS READ ${linShort} 1 MGMT`);
    assert.match(r.end, /^ERROR DLMS READ: /);
    assert.match(await lin.waitFor(/^TRACE WARN NON-LEGAL: security: /), /security: (authentication|deciphering)-failure: /);
    assert.equal(await events(), before + 1);
    await conc.command('DLMS KEY AUTH 0xD0D1D2D3 0xD4D5D6D7 0xD8D9DADB 0xDCDDDEDF', /^DLMS KEY/);
    const ok = await dlms(conc, `DLMS READ ${linShort} 1 MGMT`);
    assert.match(ok.end, /^DLMS READ .* errors=0 /);
  });
});
