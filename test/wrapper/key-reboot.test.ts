// Keys transferred by Security setup global_key_transfer over a power cut, on the lin firmware
// and on mps2-an386 (QEMU killed: the FRAM model's file is written through semihosting), with an
// NVRAM file: the management client (HLS-GMAC, ciphered) transfers a new global unicast
// and authentication key through the optical port, the meter is killed (SIGKILL) and restarted on
// the same NVRAM; the factory keys are then refused and the new ones accepted, and no key is in
// the NVRAM file in clear (modules/nonlegal/meter/ic-store.ts KeyRecord: wrapped under the master key).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { FirmwareNode } from '../../emulator/node.js';
import { nodeGcm } from '../dlms/helpers.js';
import { nodeAes } from '../cosem/helpers.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import { Mechanism } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { ClassId, KeyId } from '../../modules/nonlegal/cosem/cosem-const.js';
import { aesKeyWrap } from '../../modules/nonlegal/cosem/keywrap.js';
import { DlmsClient } from '../../modules/nonlegal/cosem/index.js';
import { MeterOnNvram, managementLink } from './helpers.js';
import type { SecurityKeys } from '../../modules/nonlegal/dlms/security.js';

// the factory keys of the meter's image (modules/nonlegal/manifest.json)
const FACTORY = {
  encryptionKey: fromHex('000102030405060708090A0B0C0D0E0F'),
  authenticationKey: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF'),
};
const MASTER = fromHex('00112233445566778899AABBCCDDEEFF');
const NEW = { encryptionKey: fromHex('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF'), authenticationKey: fromHex('B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF') };
const TITLE = fromHex('4D4D4D0000000002');

for (const platform of ['lin', 'mps2-an386'] as const)
  describe(`DLMS keys transferred by global_key_transfer over power cuts (${platform}, NVRAM file)`, function () {
    this.timeout(180000);
    const meter = new MeterOnNvram('key-reboot', platform);
    const { nvram } = meter;
    after(() => meter.dispose());
    const boot = () => meter.boot(),
      cut = () => meter.cut();
    const client = (n: FirmwareNode, keys: SecurityKeys, ic: number) =>
      new DlmsClient({ link: managementLink(n), gcm: nodeGcm, keys, systemTitle: TITLE, invocationCounter: ic });
    const inClear = (b: Buffer) =>
      [MASTER, FACTORY.encryptionKey, FACTORY.authenticationKey, NEW.encryptionKey, NEW.authenticationKey].filter(
        (k) => b.indexOf(Buffer.from(k)) >= 0,
      ).length;

    it('the new keys survive the cut, the factory keys are refused, no key is kept in clear', async () => {
      let n = await boot();
      const c0 = client(n, FACTORY, 1000);
      await c0.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
      assert.equal((await c0.get(1, '0.0.96.1.0.255', 2)).type, 'octet-string');
      const wrap = (k: Uint8Array) => ({ type: 'octet-string' as const, value: aesKeyWrap(nodeAes, MASTER, k) });
      const entry = (id: number, k: Uint8Array) => ({ type: 'structure' as const, items: [{ type: 'enum' as const, value: id }, wrap(k)] });
      await c0.action(ClassId.SECURITY_SETUP, '0.0.43.0.0.255', 2, {
        type: 'array',
        items: [entry(KeyId.GLOBAL_UNICAST, NEW.encryptionKey), entry(KeyId.AUTHENTICATION, NEW.authenticationKey)],
      });
      await n.waitFor(/security: key-changed: key 2$/);
      await cut();
      assert.equal(inClear(readFileSync(nvram)), 0, 'a key in clear in the NVRAM file');

      n = await boot();
      await assert.rejects(
        client(n, FACTORY, c0.ic).associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true }),
        'the factory keys are refused after the cut',
      );
      const c1 = client(n, NEW, 1); // new keys, new counter space
      await c1.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
      assert.equal((await c1.get(1, '0.0.96.1.0.255', 2)).type, 'octet-string');
      await c1.release();
      await cut();

      // and over a second cut, with the counter accepted under the new keys as the floor
      n = await boot();
      const c2 = client(n, NEW, c1.ic);
      await c2.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
      assert.equal((await c2.get(1, '0.0.96.1.0.255', 2)).type, 'octet-string');
      await cut();
      assert.equal(inClear(readFileSync(nvram)), 0);
    });
  });
