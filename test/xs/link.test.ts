// Linked images (tools/xsc/xsc.c --link, hosts/common/xsruntime.c): bytecode runs in place from
// flash when the key ids the firmware gives the symbols at boot are the ones the linker
// computed; otherwise the part is relocated into RAM and still runs; a malformed id table makes
// only that part fail.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirmwareNode, ROOT, type Platform } from '../../emulator/node.js';
import { OUT, builtImage } from '../firmware/images.js';
// @ts-expect-error: plain JavaScript build tool without declarations
import { packImage } from '../../tools/image.mjs';

const XSC = join(ROOT, 'build', 'host', 'xsc', 'xsc');

interface Linked {
  part: string;
  specifier: string;
  xsb: string;
  xsl: string;
}

function memLines(lines: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of lines)
    for (const kv of l.split(' ')) {
      const [k, v] = kv.split('=');
      if (k && v !== undefined) m.set(k, v);
    }
  return m;
}

function xsVersion(): { major: number; minor: number; patch: number } {
  const v = builtImage('lin', 'meter', 'nonlegal').readUInt32LE(48);
  return { major: v >>> 16, minor: (v >>> 8) & 255, patch: v & 255 };
}

// Re-links the meter's modules with `prefix` modules registered first, and packs NON-LEGAL's.
function relinkedNonLegal(prefix: string[], name: string, mutate?: (ids: Buffer) => Buffer): string {
  const order: Linked[] = JSON.parse(readFileSync(join(ROOT, 'build', 'lin', 'meter', 'link', 'order.json'), 'utf8'));
  const dir = join(OUT, name);
  mkdirSync(dir, { recursive: true });
  const pre = prefix.map((src, i) => {
    const js = join(dir, `prefix-${i}.js`),
      xsb = join(dir, `prefix-${i}.xsb`);
    writeFileSync(js, src);
    execFileSync(XSC, [js, xsb]);
    return { xsb, xsl: join(dir, `prefix-${i}.xsl`) };
  });
  const mods = order.map((m, i) => ({ ...m, xsl: join(dir, `${i}.xsl`) }));
  execFileSync(XSC, ['--link', ...[...pre, ...mods].flatMap((m) => [m.xsb, m.xsl])]);
  const modules = mods
    .filter((m) => m.part === 'nonlegal')
    .map((m) => {
      const b = readFileSync(m.xsl);
      const s = b.readUInt32LE(4),
        c = b.readUInt32LE(8);
      const ids = Buffer.from(b.subarray(16 + s + c));
      return {
        specifier: m.specifier,
        symbols: b.subarray(16, 16 + s),
        code: b.subarray(16 + s, 16 + s + c),
        ids: mutate ? mutate(ids) : ids,
      };
    });
  const file = join(dir, 'nonlegal.img');
  writeFileSync(file, packImage({ part: 'nonlegal', version: '0.1.0', xs: xsVersion(), modules }));
  return file;
}

describe('xs: linked images run from flash', function () {
  this.timeout(60000);

  for (const platform of ['lin', 'stm32f405'] as Platform[]) {
    it(`every part of the meter runs in place on ${platform}, nothing copied to RAM`, async () => {
      const node = await FirmwareNode.start({ platform, role: 'meter' });
      try {
        await node.waitFor(/^PARTS started$/);
        const mem = memLines(await node.command('SYS MEM', /^c\.stack/));
        assert.equal(mem.get('parts.code'), 'flash,flash,flash,flash');
        assert.equal(mem.get('xs.code.ram'), '0');
        const size = JSON.parse(readFileSync(join(ROOT, 'build', platform, 'meter', 'size.json'), 'utf8'));
        assert.ok(Number(mem.get('xs.code.flash')) > 10000, 'the parts loaded their code from flash');
        assert.ok(
          Number(mem.get('xs.code.flash')) <
            Object.values(size.images as Record<string, { bytes: number }>).reduce((a, i) => a + i.bytes, 0),
        );
        const pong = await node.command('APP PING', /NON-LEGAL/);
        assert.equal(pong.filter((l) => /^PONG /.test(l)).length, 3);
      } finally {
        await node.stop();
      }
    });
  }

  it('a part linked against other images is relocated into RAM and still runs', async () => {
    // two extra keys registered before everything else: every new key id shifts by two
    const img = relinkedNonLegal(['export const linkShiftOne = 1, linkShiftTwo = 2;\n'], 'shifted');
    const node = await FirmwareNode.start({ platform: 'lin', role: 'meter', images: { nonlegal: img } });
    try {
      await node.waitFor(/^PARTS started$/);
      const mem = memLines(await node.command('SYS MEM', /^c\.stack/));
      assert.equal(mem.get('parts.code'), 'flash,flash,flash,relocated');
      assert.ok(Number(mem.get('xs.code.ram')) > 0);
      const pong = await node.command('APP PING', /NON-LEGAL/);
      assert.ok(pong.includes('PONG NON-LEGAL from task 4'), pong.join('|'));
    } finally {
      await node.stop();
    }
  });

  it('an id table that does not match its symbol table fails that part only', async () => {
    const img = relinkedNonLegal([], 'truncated-ids', (ids) => ids.subarray(0, ids.length - 2));
    const node = await FirmwareNode.start({ platform: 'lin', role: 'meter', images: { nonlegal: img } });
    try {
      await node.waitFor(/^PARTS started$/);
      const mem = memLines(await node.command('SYS MEM', /^c\.stack/));
      assert.equal(mem.get('parts.code'), 'flash,flash,flash,bad');
      const v = await node.command('SYS VERSION', /^NON-LEGAL /);
      assert.match(v[2]!, / running$/);
      assert.match(v[4]!, / failed$/);
      const tasks = await node.command('SYS TASKS', /^discarded=/);
      assert.ok(tasks.some((l) => / METRO LEGAL /.test(l)) && tasks.some((l) => / G3 PLC /.test(l)));
      assert.ok(!tasks.some((l) => / APP /.test(l)), 'no NON-LEGAL task');
    } finally {
      await node.stop();
    }
  });
});
