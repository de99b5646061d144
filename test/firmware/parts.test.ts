// Part images at boot: a corrupt non-legal image is reported and skipped while the rest runs; a
// corrupt legal image stops in a safe state that says why. A hostile NON-LEGAL image cannot
// reach GENERIC's natives nor a writable reference to LEGAL's state.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { FirmwareNode, ROOT, type Platform } from '../../emulator/node.js';
import { corruptImage, makeImage } from './images.js';

// CRC-16 check values computed here, bit by bit, independently of the firmware.
function crc16(data: Buffer, poly: number, init: number, reflect: boolean, xorout: number): number {
  let crc = init;
  const rpoly = reflect ? parseInt([...poly.toString(2).padStart(16, '0')].reverse().join(''), 2) : poly;
  for (const byte of data) {
    if (reflect) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ rpoly : crc >>> 1;
    } else {
      crc ^= byte << 8;
      for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ poly) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return (crc ^ xorout) & 0xffff;
}

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`part images on ${platform}`, function () {
    this.timeout(60000);

    it('a corrupt PLC or NON-LEGAL image is reported on the shell and skipped; the rest runs', async () => {
      const node = await FirmwareNode.start({ platform, role: 'meter', images: { nonlegal: corruptImage(platform, 'meter', 'nonlegal') } });
      try {
        await node.waitFor(/^PART NON-LEGAL skipped: image bad hash$/);
        await node.waitFor(/^PARTS started$/);
        const v = await node.command('SYS VERSION', /^NON-LEGAL /);
        assert.match(v[2]!, / running$/);
        assert.match(v[4]!, / skipped \(bad hash\)$/);
        const tasks = await node.command('SYS TASKS', /^discarded=/);
        assert.ok(tasks.some((l) => / METRO LEGAL /.test(l)) && tasks.some((l) => / G3 PLC /.test(l)));
        assert.ok(!tasks.some((l) => / APP /.test(l)), 'no NON-LEGAL task');
      } finally {
        await node.stop();
      }
    });

    it('a corrupt LEGAL image stops in a safe state that says why', async () => {
      const node = await FirmwareNode.start({ platform, role: 'meter', images: { legal: corruptImage(platform, 'meter', 'legal') } });
      try {
        await node.waitFor(/^SAFE STATE: LEGAL image bad hash; metrology stopped, PLC and NON-LEGAL not started$/);
        const tasks = await node.command('SYS TASKS', /^discarded=/);
        assert.deepEqual(
          tasks.filter((l) => /^\d+ /.test(l)).map((l) => l.split(' ')[1]),
          ['BG'],
        );
        const lcd = await node.command('LCD SHOW', /^LCD1 /);
        assert.deepEqual(lcd, ['LCD0 LEGAL FAULT', 'LCD1 LEGAL image bad ']);
      } finally {
        await node.stop();
      }
    });

    it('a hostile NON-LEGAL part reaches neither natives nor writable legal state', async () => {
      const probe = makeImage('nonlegal', `probe-${platform}`, [
        { specifier: 'nonlegal/main', file: join(ROOT, 'test', 'fixtures', 'probe', 'main.js') },
      ]);
      const node = await FirmwareNode.start({ platform, role: 'meter', images: { nonlegal: probe } });
      try {
        await node.waitFor(/^PART NON-LEGAL 9\.9\.9 started$/);
        node.send('PROBE RUN');
        await node.waitFor(/^PROBE done$/, 20000);
        const r = Object.fromEntries(
          node.lines
            .filter((l) => l.startsWith('PROBE '))
            .map((l) => {
              const [, name, ...rest] = l.split(' ');
              return [name!, rest.join(' ')];
            }),
        );
        assert.match(r['import-legal']!, /^refused .*may not import legal\/main/);
        assert.match(r['import-legal-relative']!, /^refused .*may not import legal\/main/);
        assert.match(r['import-generic']!, /^refused .*may not import generic\/platform/);
        assert.match(r['import-config']!, /^refused /);
        assert.equal(r.native, 'undefined');
        assert.equal(r['global-write'], 'refused');
        assert.equal(r['intrinsic-write'], 'function');
        assert.equal(r['prototype-pollution'], 'refused');
        assert.match(r.eval!, /^threw .*no parser/);
        assert.match(r['function-constructor']!, /^threw /);
        assert.match(r['service-not-granted']!, /^threw service lcd\.print not granted to NON-LEGAL$/);
        assert.equal(r['delete-metro'], 'false');
        assert.match(r['send-as-metro']!, /^threw NON-LEGAL cannot send as task \d+$/);
        assert.match(r['unknown-service']!, /^threw unknown service __proto__$/);
        // other parts' NVRAM areas (LEGAL's, PLC's) are not NON-LEGAL's drivers
        assert.match(r['driver-nvram']!, /^threw driver nvram not granted to NON-LEGAL$/);
        assert.match(r['driver-plcstore']!, /^threw driver plcstore not granted to NON-LEGAL$/);
        assert.match(r['crc-forged-state']!, /^threw /);
        assert.equal(r['reply-frozen'], 'yes');
        assert.equal(r['reply-write'], 'unchanged');
        // the CRC native module against check values computed here
        const digits = Buffer.from('123456789');
        assert.equal(r['crc16-kermit'], crc16(digits, 0x1021, 0, true, 0).toString(16));
        assert.equal(r['crc16-x25'], crc16(digits, 0x1021, 0xffff, true, 0xffff).toString(16));
        assert.equal(r['crc16-xmodem'], crc16(digits, 0x1021, 0, false, 0).toString(16));
        assert.equal(r.crc32, crc32(digits).toString(16));
        assert.equal(r['crc32-split'], crc32(digits).toString(16));
        // and the firmware still runs: legal state untouched
        const pong = await node.command('APP PING', /^PING |^ERROR /).catch(() => []);
        assert.ok(pong.length >= 0);
        const v = await node.command('SYS VERSION', /^NON-LEGAL /);
        assert.match(v[2]!, / running$/);
      } finally {
        await node.stop();
      }
    });
  });
}
