// The native MAC codec's XS binding in the firmware (drivers/macframe/xs_macframe.c through
// modules/plc/mac-native.ts): `PLC BENCH` compares its encode, decode, CCM* secure and unsecure
// of a 100-byte-payload frame with the TypeScript codec's, byte for byte, and the MAC layer's
// one-call native receive and transmit paths (drivers/macframe/macrx.c) with mac.ts's (the same
// payload delivered, the same frame sent, the repeated frame dropped as a duplicate by both),
// before timing them.
import assert from 'node:assert/strict';
import { FirmwareNode } from '../../emulator/node.js';

for (const platform of ['lin', 'mps2-an386'] as const) {
  describe(`native MAC codec in the firmware on ${platform}`, function () {
    this.timeout(60000);
    it('encodes, decodes, secures and unsecures exactly as the TypeScript codec does', async () => {
      const node = await FirmwareNode.start({ platform, role: 'meter', waitReady: false });
      try {
        await node.waitFor(/^PARTS started$/);
        const lines = (await node.command('PLC BENCH 10', /^bench tx-path |^ERROR/)).filter((l) => l.startsWith('bench '));
        assert.deepEqual(
          lines.map((l) => l.split(' ')[1]),
          ['encode', 'decode', 'decode-call', 'secure', 'unsecure', 'rx-path', 'rx-call', 'tx-call', 'tx-path'],
        );
        for (const l of lines) assert.match(l, /^bench [\w-]+ bytes=1[01]9 n=10 same=1 native\.ms=\d+( ts\.ms=\d+)?$/, l);
        const bad = await node.command('PLC BENCH 5', /^ERROR/);
        assert.match(bad.join('\n'), /ERROR PLC BENCH: n 10\.\.100000/);
      } finally {
        await node.stop();
      }
    });
  });
}
