import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc16Fcs } from '../../emulator/medium/crc.js';
import { PcapFileWriter } from '../../emulator/medium/pcap.js';
import { macFrame } from './fake-node.js';

describe('medium/pcap writer', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'pcap-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('802.15.4 FCS is CRC-16/KERMIT (ITU-T, reflected)', () => {
    assert.equal(crc16Fcs(new TextEncoder().encode('123456789')), 0x2189);
  });

  it('writes the global header and records in libpcap layout, DLT 195', () => {
    const f = join(dir, 'a.pcap');
    const w = new PcapFileWriter(f);
    w.write(1_500_000n, new Uint8Array([1, 2, 3, 4, 5]));
    w.write(2_000_001n, new Uint8Array([9]));
    w.close();
    const b = readFileSync(f);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    assert.equal(b.length, 24 + 16 + 5 + 16 + 1);
    assert.equal(v.getUint32(0, true), 0xa1b2c3d4);
    assert.equal(v.getUint16(4, true), 2);
    assert.equal(v.getUint16(6, true), 4);
    assert.equal(v.getUint32(16, true), 65535);
    assert.equal(v.getUint32(20, true), 195);
    assert.deepEqual([v.getUint32(24, true), v.getUint32(28, true), v.getUint32(32, true), v.getUint32(36, true)], [1, 500_000, 5, 5]);
    assert.deepEqual([...b.subarray(40, 45)], [1, 2, 3, 4, 5]);
    assert.deepEqual([v.getUint32(45, true), v.getUint32(49, true), v.getUint32(53, true)], [2, 1, 1]);
  });

  it('decodes as IEEE 802.15.4 + 6LoWPAN with tshark, if installed', function () {
    if (spawnSync('tshark', ['-v']).status !== 0) this.skip();
    const f = join(dir, 'b.pcap');
    const w = new PcapFileWriter(f);
    // 6LoWPAN IPHC (0x7b 0x33...) would need context; a plain uncompressed IPv6 dispatch (0x41) is unambiguous.
    const ipv6 = new Uint8Array(41);
    ipv6[0] = 0x41; // LOWPAN_IPV6 dispatch
    ipv6[1] = 0x60; // version 6
    ipv6[7] = 17; // next header UDP, payload length 0
    ipv6[8] = 64;
    const mpdu = macFrame(5, 0x0001, 0x0002, ipv6);
    const fcs = crc16Fcs(mpdu);
    w.write(0n, new Uint8Array([...mpdu, fcs & 0xff, fcs >> 8]));
    w.close();
    const out = execFileSync('tshark', ['-r', f, '-T', 'fields', '-e', 'frame.protocols', '-e', 'wpan.seq_no', '-e', 'wpan.fcs_ok'], {
      encoding: 'utf8',
    });
    assert.match(out, /wpan/);
    assert.match(out, /6lowpan/);
    assert.match(out, /\t5\t/);
  });
});
