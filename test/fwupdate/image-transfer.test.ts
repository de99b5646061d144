// DLMS Image transfer (class 18, 0.0.44.0.0.255) on a lin meter, driven by the project's DLMS
// client as the management client over the optical port (HDLC): the blocks go into NON-LEGAL's
// SPI NOR slot, a wrongly signed image is refused at image_verify with its reason (DLMS IMAGE,
// FW LOG), a good one is activated (the runtime swap), confirmed by its health check and reported
// activation-successful by the new NON-LEGAL; a transfer cut by a restart of the meter resumes
// from the bitmap kept in flash, sending only the missing blocks.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { FirmwareNode, type UartLink } from '../../emulator/node.js';
import { nodeGcm } from '../dlms/helpers.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import { serverAddress } from '../../modules/nonlegal/dlms/hdlc.js';
import { HdlcClientLink } from '../../modules/nonlegal/dlms/hdlc-link.js';
import { ActionResult, Mechanism } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { DlmsClient, DlmsError, num } from '../../modules/nonlegal/cosem/index.js';
import { ImageStatus, activateImage, imageStatus, sendImage, verifyImage } from '../../modules/nonlegal/cosem/image-client.js';
import { changedNonlegal, norWith, sign, SLOT, tmp, withVersion } from './images.js';

const KEYS = { encryptionKey: fromHex('000102030405060708090A0B0C0D0E0F'), authenticationKey: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
let nextIc = Date.now() % 1e9;

async function management(u: UartLink): Promise<DlmsClient> {
  nextIc += 1e6; // above every counter an earlier client used
  u.flush();
  const c = new DlmsClient({
    link: new HdlcClientLink({ send: (b) => u.send(b), receive: () => u.receive(20000) }, 1, serverAddress(1, 17)),
    gcm: nodeGcm,
    keys: KEYS,
    systemTitle: fromHex('4D4D4D0000000001'),
    invocationCounter: nextIc,
  });
  await c.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
  return c;
}
const start = (nor: string, flash: string) =>
  FirmwareNode.start({ platform: 'lin', role: 'meter', uart1: true, spinor: nor, args: ['--flash', flash], readyTimeout: 60000 });
const imageLine = async (node: FirmwareNode) => (await node.command('DLMS IMAGE', /^IMAGE status/, 30000)).at(-1)!;
const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 0;
  } catch (e) {
    assert.ok(e instanceof DlmsError, String(e));
    return e.code;
  }
};
const id = (s: string) => new TextEncoder().encode(s);

describe('DLMS image transfer (class 18) on a lin meter', function () {
  this.timeout(600000);

  it('refuses a wrongly signed image at verify with its reason, activates a good one that confirms', async () => {
    const dir = tmp();
    const nor = norWith(dir, SLOT.nonlegal, Buffer.alloc(0));
    const node = await start(nor, join(dir, 'flash.bin'));
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      const u = node.uart1!;
      await u.ready();
      let c = await management(u);
      assert.equal(num(await c.get(18, '0.0.44.0.0.255', 2)), 512);
      assert.equal(await imageStatus(c), ImageStatus.NOT_INITIATED);
      // signed with a key the meter does not know: every block goes in, verify refuses it
      const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }) as string;
      const bad = sign(withVersion('nonlegal', [1, 2, 3]), { keyPem: otherKey, securityCounter: 1 });
      const t0 = Date.now();
      const r0 = await sendImage(c, bad, id('NONLEGAL-bad'));
      console.log(`      ${bad.length} bytes in ${r0.sent} blocks of ${r0.blockSize} over the optical port: ${Date.now() - t0} ms`);
      assert.equal(r0.sent, Math.ceil(bad.length / 512));
      assert.equal(await code(verifyImage(c)), ActionResult.OTHER_REASON);
      assert.equal(await imageStatus(c), ImageStatus.VERIFICATION_FAILED);
      assert.equal(await code(activateImage(c)), ActionResult.TEMPORARY_FAILURE);
      assert.match(await imageLine(node), /^IMAGE status=4 .* reason=unknown key$/);
      const log = await node.command('FW LOG', /^records=/, 30000);
      assert.ok(
        log.some((l) => /^LOG \d+ REFUSED NON-LEGAL reason=unknown key/.test(l)),
        log.join('\n'),
      );
      // the good one: new identifier, a new transfer
      const good = sign(changedNonlegal(), { securityCounter: 1 });
      const r1 = await sendImage(c, good, id('NONLEGAL-1.2.3'));
      assert.equal(r1.sent, r1.blocks);
      await verifyImage(c);
      assert.equal(await imageStatus(c), ImageStatus.VERIFICATION_SUCCESSFUL);
      node.skip();
      await activateImage(c); // answered before the swap
      assert.equal(await imageStatus(c), ImageStatus.ACTIVATION_INITIATED);
      await node.waitFor(/^PART NON-LEGAL 1\.2\.3 started$/, 120000);
      await node.waitFor(/^FW NON-LEGAL confirmed \(health check passed\) securityCounter=1$/, 60000);
      // the new NON-LEGAL's server (the port opened again) reports the activation
      await u.ready();
      c = await management(u);
      assert.equal(await imageStatus(c), ImageStatus.ACTIVATION_SUCCESSFUL);
      await c.release();
      node.skip();
      node.send('APP PING');
      await node.waitFor(/^pong NON-LEGAL from task/, 30000);
    } finally {
      await node.stop();
    }
  });

  it('resumes a transfer cut by a restart of the meter from the bitmap in flash', async () => {
    const dir = tmp();
    const nor = norWith(dir, SLOT.nonlegal, Buffer.alloc(0));
    const flash = join(dir, 'flash.bin');
    const good = sign(changedNonlegal(), { securityCounter: 1 });
    const blocks = Math.ceil(good.length / 512);
    const cutAfter = 150;
    let node = await start(nor, flash);
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      await node.uart1!.ready();
      const c = await management(node.uart1!);
      await assert.rejects(
        sendImage(c, good, id('NONLEGAL-1.2.3'), (_n, sent) => {
          if (sent === cutAfter) throw new Error('cut');
        }),
        /cut/,
      );
      assert.match(await imageLine(node), new RegExp(`^IMAGE status=1 size=${good.length} blocks=${blocks} firstMissing=${cutAfter} `));
    } finally {
      await node.stop();
    }
    node = await start(nor, flash);
    try {
      await node.waitFor(/^PARTS started$/, 60000);
      assert.match(await imageLine(node), new RegExp(`^IMAGE status=1 size=${good.length} blocks=${blocks} firstMissing=${cutAfter} `));
      await node.uart1!.ready();
      const c = await management(node.uart1!);
      const r = await sendImage(c, good, id('NONLEGAL-1.2.3'));
      assert.deepEqual(r, { blockSize: 512, blocks, sent: blocks - cutAfter });
      await verifyImage(c);
      assert.equal(await imageStatus(c), ImageStatus.VERIFICATION_SUCCESSFUL);
      assert.match(await imageLine(node), /^IMAGE status=3 .* version=1\.2\.3\+0 reason=-$/);
    } finally {
      await node.stop();
    }
  });
});
