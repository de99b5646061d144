// The meter's DLMS invocation counter over power cuts, on the lin firmware with an NVRAM file:
// the management client (HLS-GMAC, ciphered) reads through the optical port, the meter is killed
// (SIGKILL) and restarted on the same NVRAM, and the first counter it uses after each restart is
// above every counter it used before; the load relay (LEGAL, saved with the registers) comes back
// as it was: opened by remote_disconnect before a cut, still open after it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { nodeGcm } from '../dlms/helpers.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import { serverAddress } from '../../modules/nonlegal/dlms/hdlc.js';
import { Mechanism } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { DlmsClient } from '../../modules/nonlegal/cosem/index.js';
import { HdlcClientLink } from '../../modules/nonlegal/dlms/hdlc-link.js';

const KEYS = { encryptionKey: fromHex('000102030405060708090A0B0C0D0E0F'), authenticationKey: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };

describe('DLMS invocation counter and load relay over power cuts (lin, NVRAM file)', function () {
  this.timeout(120000);
  const dir = mkdtempSync(join(tmpdir(), 'ic-reboot-'));
  const nvram = join(dir, 'meter.nv');
  let node: FirmwareNode | undefined;
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts above every invocation counter used before the cut; the relay state is kept', async () => {
    let used = -1;
    let clientIc = 1000;
    for (let boot = 0; boot < 3; boot++) {
      node = await FirmwareNode.start({ platform: 'lin', role: 'meter', uart1: true, nvram });
      await node.waitFor(/^PARTS started$/);
      const u = node.uart1!;
      await u.ready();
      const c = new DlmsClient({
        link: new HdlcClientLink({ send: (b) => u.send(b), receive: () => u.receive(5000) }, 1, serverAddress(1, 17)),
        gcm: nodeGcm,
        keys: KEYS,
        systemTitle: fromHex('4D4D4D0000000002'),
        invocationCounter: clientIc,
      });
      await c.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
      const first = c.serverInvocationCounter; // the ciphered AARE's
      assert.ok(first > used, `boot ${boot}: the meter's first counter ${first} is not above ${used}`);
      // a varying number of ciphered exchanges, more than one reserved block in the last boot
      for (let k = 0; k < [3, 20, 70][boot]!; k++) await c.get(1, '0.0.96.1.0.255', 2);
      // the relay: boot 0 opens it; boot 1 finds it open and closes it; boot 2 finds it closed
      const relay = async () => {
        const v = await c.get(70, '0.0.96.3.10.255', 2);
        return v.type === 'boolean' && v.value;
      };
      if (boot === 0) {
        assert.equal(await relay(), true);
        await c.action(70, '0.0.96.3.10.255', 1, { type: 'integer', value: 0 });
        assert.equal(await relay(), false);
      } else if (boot === 1) {
        assert.equal(await relay(), false, 'the relay stays open over the power cut');
        await c.set(70, '0.0.96.3.10.255', 4, { type: 'enum', value: 2 });
        await c.action(70, '0.0.96.3.10.255', 2, { type: 'integer', value: 0 });
        assert.equal(await relay(), true);
      } else assert.equal(await relay(), true, 'closed again after the next cut');
      used = c.serverInvocationCounter;
      clientIc = c.ic;
      assert.ok(used > first);
      node.child.kill('SIGKILL');
      await node.wait();
      node = undefined;
    }
  });
});
