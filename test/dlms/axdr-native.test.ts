// The native A-XDR table codec's XS binding in the firmware (drivers/axdr/xs_axdr.c through
// modules/nonlegal/dlms/axdr-table.ts): `DLMS BENCH` encodes the day of load profile as a table
// with the TypeScript and the native codec, checks the bytes against encodeApdu()'s and decodes
// them back into the same records (same=1), before timing them.
import assert from 'node:assert/strict';
import { FirmwareNode } from '../../emulator/node.js';

describe('native A-XDR table codec in the firmware on mps2-an386', function () {
  this.timeout(120000);
  it('encodes and decodes the day of load profile exactly as the generic codec does', async () => {
    const node = await FirmwareNode.start({ platform: 'mps2-an386', role: 'meter', waitReady: false });
    try {
      await node.waitFor(/^PARTS started$/);
      const lines = (await node.command('DLMS BENCH 20', /^bench profile-96-native |^ERROR/)).filter((l) =>
        l.startsWith('bench profile-96-'),
      );
      assert.deepEqual(
        lines.map((l) => l.split(' ')[1]),
        ['profile-96-generic', 'profile-96-table-ts', 'profile-96-native'],
      );
      assert.match(lines[1] as string, /^bench profile-96-table-ts bytes=3462 n=1 same=1 encode\.ms=\d+ decode\.ms=\d+$/);
      assert.match(lines[2] as string, /^bench profile-96-native bytes=3462 n=20 same=1 encode\.ms=\d+ decode\.ms=\d+$/);
    } finally {
      await node.stop();
    }
  });
});
