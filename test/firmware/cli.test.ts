// Bad input on the command line and in image files: a clear one-line error and exit status 2,
// or a counted refusal at boot, never a crash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirmwareNode, ROOT, firmwarePath } from '../../emulator/node.js';

const fw = firmwarePath('lin', 'meter');
const dir = join(ROOT, 'build', 'test', 'cli');

function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { encoding: 'utf8', input: '', timeout: 20000 });
}

describe('command-line and image-file input', () => {
  before(() => mkdirSync(dir, { recursive: true }));

  for (const [args, message] of [
    [['--image', 'bogus=x'], /--image expects legal\|plc\|nonlegal=FILE, got 'bogus=x'/],
    [['--image'], /--image needs a value/],
    [['--image', 'legal=/nonexistent/file'], /cannot open \/nonexistent\/file/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['--modem', '/nonexistent/socket'], /cannot connect the modem port/],
  ] as [string[], RegExp][]) {
    it(`firmware ${args.join(' ')}: one error line, exit 2`, () => {
      const r = run(fw, args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }

  it('firmware refuses an image larger than its flash region', () => {
    const big = join(dir, 'big.img');
    writeFileSync(big, Buffer.alloc(512 * 1024 + 1, 0x55));
    const r = run(fw, ['--image', `plc=${big}`]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /larger than the 524288-byte region/);
  });

  it('the build refuses unknown options, platforms and roles, and a role its platform does not build', () => {
    for (const [args, message] of [
      [['--bogus'], /unknown option '--bogus'/],
      [['--platform', 'esp32'], /unknown platform 'esp32'/],
      [['--role', 'toaster'], /unknown role 'toaster'/],
      [['--platform', 'stm32f429', '--role', 'meter'], /platform 'stm32f429' builds only concentrator/],
    ] as [string[], RegExp][]) {
      const r = run(process.execPath, [join(ROOT, 'tools', 'build.mjs'), ...args]);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
  });

  it('a file of garbage in the PLC region is refused at boot (bad header) and the rest runs', async () => {
    const junk = join(dir, 'junk.img');
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 0xff;
    writeFileSync(junk, bytes);
    const node = await FirmwareNode.start({ platform: 'lin', role: 'meter', images: { plc: junk } });
    try {
      await node.waitFor(/^PART PLC skipped: image bad header$/);
      await node.waitFor(/^PART NON-LEGAL 0\.1\.0 started$/);
      await node.waitFor(/^PARTS started$/);
      const v = await node.command('SYS VERSION', /^NON-LEGAL /);
      assert.match(v[3]!, /^PLC .* skipped \(bad header\)$/);
    } finally {
      await node.stop();
    }
  });
});
