// The XS machine prepared at build time (tools/xsprep, docs/xs-preparation.md), checked against
// the same firmware whose machine is built in RAM at boot (firmware-unprepared, linked by the
// same build): a part sees the same built-ins (names, descriptors, prototypes, frozen state),
// writes on and around the built-ins read back, a built-in held weakly (XS's own check) or given
// a private field (patches/xs/0003) is refused with a TypeError instead of a write to flash, and the preparation
// does not compile against an engine of another version or ID width.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirmwareNode, ROOT, firmwarePath, type Platform } from '../../emulator/node.js';
import { makeImage } from '../firmware/images.js';

const PLATFORMS: Platform[] = ['lin'];

// lin builds a prepared machine by default (tools/build.mjs PREPARED_PLATFORMS): its build has
// both variants, or the build is not the default one
function unpreparedPath(platform: Platform): string {
  return firmwarePath(platform, 'meter').replace(/firmware(\.elf)?$/, 'firmware-unprepared$1');
}

async function run(platform: Platform, variant: 'unprepared' | undefined, command: string, end: RegExp, prefix: string) {
  const image = makeImage('nonlegal', `xsview-${platform}`, [
    { specifier: 'nonlegal/main', file: join(ROOT, 'test', 'fixtures', 'xsview', 'main.js') },
  ]);
  const node = await FirmwareNode.start({ platform, role: 'meter', images: { nonlegal: image }, ...(variant ? { variant } : {}) });
  try {
    await node.waitFor(/^PART NON-LEGAL 9\.9\.9 started$/);
    await node.waitFor(/^PARTS started$/);
    const mem = await node.command('SYS MEM', /^c\.stack/);
    const lines = (await node.command(command, end, 20000)).filter((l) => l.startsWith(prefix));
    // still running: the shell answers
    const version = await node.command('SYS VERSION', /^NON-LEGAL /);
    assert.match(version[0]!, /^FIRMWARE meter /);
    const slots = Number(/xs\.slots=(\d+)/.exec(mem.join(' '))?.[1]);
    return { lines, slots };
  } finally {
    await node.stop();
  }
}

for (const platform of PLATFORMS) {
  describe(`xs: the machine prepared at build time, ${platform} meter`, function () {
    this.timeout(120000);
    before(() => {
      assert.ok(existsSync(unpreparedPath(platform)), `${unpreparedPath(platform)} missing: the build did not prepare the machine`);
    });

    it('a part sees the same built-ins as on the machine built at boot, with fewer slots in RAM', async () => {
      const p = await run(platform, undefined, 'XSVIEW RUN', /^XSVIEW chain=/, 'XSVIEW ');
      const u = await run(platform, 'unprepared', 'XSVIEW RUN', /^XSVIEW chain=/, 'XSVIEW ');
      // the global object of a prepared machine inherits the built-ins from the prepared one
      assert.match(p.lines.at(-1)!, /^XSVIEW chain=2 objects=\d+$/);
      assert.match(u.lines.at(-1)!, /^XSVIEW chain=1 objects=\d+$/);
      const objects = Number(/objects=(\d+)/.exec(u.lines.at(-1)!)![1]);
      assert.ok(objects > 500, `only ${objects} objects seen`);
      assert.deepEqual(p.lines.slice(0, -1), u.lines.slice(0, -1));
      assert.equal(p.lines.at(-1)!.replace('chain=2', 'chain=1'), u.lines.at(-1));
      // frozen after lockdown and sealGlobals, on both
      assert.match(p.lines[0]!, /^XSVIEW globalThis frozen=true ext=false /);
      assert.ok(p.slots < u.slots, `slots in RAM: prepared ${p.slots}, unprepared ${u.slots}`);
    });

    it('writes on and around prepared built-ins read back; a weak key or private field on one is refused, not written to flash', async () => {
      const p = await run(platform, undefined, 'XSVIEW WRITE', /^XSWRITE done$/, 'XSWRITE ');
      const u = await run(platform, 'unprepared', 'XSVIEW WRITE', /^XSWRITE done$/, 'XSWRITE ');
      const result = (lines: string[]) =>
        Object.fromEntries(lines.slice(0, -1).map((l) => [l.split(' ')[1]!, l.split(' ').slice(2).join(' ')]));
      const pr = result(p.lines);
      const ur = result(u.lines);
      // the same on both (whatever XS answers), and where the language says so, that answer
      for (const name of ['array', 'inherit', 'subclass', 'map', 'date', 'frozen-write'])
        assert.equal(pr[name], ur[name], `${name}: prepared ${pr[name]}, unprepared ${ur[name]}`);
      for (const [name, expected] of Object.entries({
        array: '1,2,3,4',
        subclass: '6,true',
        map: 'a,m,2',
        date: '2030-01-01T00:00:00.000Z',
        'frozen-write': 'refused true',
      })) {
        assert.equal(pr[name], expected, `prepared ${name}`);
        assert.equal(ur[name], expected, `unprepared ${name}`);
      }
      assert.equal(ur.weakmap, 'held,true,true,false');
      assert.equal(ur.weakset, 'true');
      assert.equal(ur.private, 'stamped');
      // XS refuses to hold an object it shares weakly (its own check); a private field on a
      // prepared built-in is refused by patches/xs/0003 (without it: a write to flash)
      assert.equal(pr.weakmap, 'threw TypeError: WeakMap key is read-only');
      assert.equal(pr.weakset, 'threw TypeError: WeakSet value is read-only');
      assert.equal(pr['weakmap-delete'], 'threw TypeError: WeakMap key is read-only');
      assert.equal(ur['weakmap-delete'], 'false');
      assert.equal(pr.private, 'threw TypeError: prepared object in flash: read-only');
    });
  });
}

describe('xs: a preparation compiles only against the engine it was written for', function () {
  this.timeout(60000);
  const gen = join(ROOT, 'build', 'lin', 'meter', 'gen', 'xs_prepared.c');
  const tmp = join(ROOT, 'build', 'test', 'xs-prepared-stamp');
  before(() => {
    assert.ok(existsSync(gen), `${gen} missing: the build did not prepare the machine`);
  });
  const compile = (xs: string, platformHeader: string) => {
    try {
      execFileSync(
        'gcc',
        [
          '-fsyntax-only',
          '-DINCLUDE_XSPLATFORM',
          '-DXSPLATFORM="xsplatform.h"',
          '-DmxRun=1',
          '-DmxNoConsole=1',
          '-DmxLockdown=1',
          '-DmxBoundsCheck=1',
          `-I${platformHeader}`,
          `-I${join(xs, 'includes')}`,
          `-I${join(xs, 'sources')}`,
          `-I${join(xs, 'platforms')}`,
          '-w',
          gen,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      return '';
    } catch (e) {
      return String((e as { stderr?: Buffer }).stderr ?? e);
    }
  };
  const engine = (name: string, edit: (xs: string, hdr: string) => void) => {
    const dir = join(tmp, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(join(ROOT, 'build', 'xs-src'), join(dir, 'xs'), { recursive: true });
    cpSync(join(ROOT, 'hosts', 'common'), join(dir, 'hdr'), { recursive: true });
    edit(join(dir, 'xs'), join(dir, 'hdr'));
    return compile(join(dir, 'xs'), join(dir, 'hdr'));
  };

  it('compiles against its own engine', () => {
    assert.equal(compile(join(ROOT, 'build', 'xs-src'), join(ROOT, 'hosts', 'common')), '');
  });

  it('fails against an engine of another XS version', () => {
    const err = engine('version', (xs) => {
      const h = join(xs, 'sources', 'xsCommon.h');
      writeFileSync(
        h,
        readFileSync(h, 'utf8').replace(/#define XS_PATCH_VERSION (\d+)/, (_, n) => `#define XS_PATCH_VERSION ${Number(n) + 1}`),
      );
    });
    assert.match(err, /preparation written for another XS version/);
  });

  it('fails against an engine with 32-bit ids', () => {
    const err = engine('id', (_xs, hdr) => {
      const h = join(hdr, 'xsplatform.h');
      writeFileSync(h, readFileSync(h, 'utf8').replace('#undef mx32bitID', '#define mx32bitID 1'));
    });
    assert.match(err, /preparation written for another ID width/);
  });
});
