// Flash areas (drivers/spinor/flash.ts): the manifest's table is valid for every role and
// platform and checked at boot (overlap, alignment, inside the device); each part gets only its
// own areas, offsets are area-relative and bounded.
import assert from 'node:assert/strict';
import { join } from 'node:path';
// @ts-expect-error: build tool in plain JavaScript
import { loadManifest } from '../../tools/manifest.mjs';
import type { FlashAreaConfig, FlashConfig, SpiNor } from '../../drivers/spinor/flash.js';
import { makeRunService, type ServiceContext } from '../../modules/generic/services.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MB16 = 16 * 1024 * 1024;
// flash.ts binds its natives at load: outside XS they are never called here
(globalThis as { native?: unknown }).native = () => () => {
  throw new Error('native called outside XS');
};
const flash = await import('../../drivers/spinor/flash.js');

const cfgOf = (role: string, platform: string): FlashConfig =>
  (loadManifest(ROOT, role, platform) as { config: { flash: FlashConfig } }).config.flash;

// A chip as a byte array with NOR's program semantics.
function fakeNor(size: number): SpiNor & { mem: Uint8Array } {
  const mem = new Uint8Array(size).fill(0xff);
  return {
    mem,
    info: () => `id=20ba18 size=${size}`,
    capacity: () => size,
    read: (addr, view) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(mem.subarray(addr, addr + view.byteLength)),
    program: (addr, view) => {
      new Uint8Array(view.buffer, view.byteOffset, view.byteLength).forEach((b, i) => {
        mem[addr + i]! &= b;
      });
    },
    erase: (addr) => mem.fill(0xff, addr, addr + 4096),
    wear: () => 'none',
  };
}

describe('flash: areas from the manifest', () => {
  it('the table is valid for every role and platform; counters A and B sit in different sectors', () => {
    for (const role of ['meter', 'meter-1p', 'concentrator']) {
      // no RAM for the table on the STM32F405: FLASH CHECK only there (docs/spi-nor.md)
      assert.equal(cfgOf(role, 'stm32f405'), false);
      for (const platform of ['lin', 'mps2-an386']) {
        const cfg = cfgOf(role, platform);
        assert.equal(flash.checkAreas(cfg, MB16), undefined, `${role} ${platform}`);
        const names = cfg.areas.map((a) => a.name);
        for (const n of [
          'legal-slot',
          'plc-slot',
          'nonlegal-slot',
          'swap-state',
          'scratch',
          'profiles',
          'events',
          'counters-a',
          'counters-b',
          'dc-registry',
        ])
          assert.ok(names.includes(n), n);
        const a = cfg.areas.find((x) => x.name === 'counters-a')!,
          b = cfg.areas.find((x) => x.name === 'counters-b')!;
        assert.notEqual(Math.floor(a.offset / 4096), Math.floor(b.offset / 4096));
        // the concentrator's registry: two banks of whole sectors (registry-flash.ts)
        const r = cfg.areas.find((x) => x.name === 'dc-registry')!;
        assert.equal(r.owner, 'nonlegal');
        assert.ok(r.size >= 2 * 4096 && r.size % 8192 === 0, `${r.size}`);
      }
    }
    assert.match(flash.checkAreas(cfgOf('meter', 'lin'), 4 * 1024 * 1024)!, /^area 5 profiles: outside the 4194304-byte device$/);
  });

  it('refuses overlapping, misaligned, foreign-device, duplicate and too many areas', () => {
    const base = cfgOf('meter', 'lin');
    const one = (a: Partial<FlashAreaConfig>): FlashConfig => ({ maxAreas: 16, areas: [base.areas[0]!, { ...base.areas[1]!, ...a }] });
    assert.match(flash.checkAreas(one({ offset: 0x40000 }), MB16)!, /overlaps area 0 legal-slot$/);
    assert.match(flash.checkAreas(one({ offset: 0x80800 }), MB16)!, /not aligned to 4096$/);
    assert.match(flash.checkAreas(one({ size: 100 }), MB16)!, /not aligned to 4096$/);
    assert.match(flash.checkAreas(one({ device: 'internal' }), MB16)!, /device internal not driven/);
    assert.match(flash.checkAreas(one({ id: 0 }), MB16)!, /used twice$/);
    assert.match(flash.checkAreas(one({ erasedValue: 0 }), MB16)!, /bad writeAlign or erasedValue$/);
    assert.match(flash.checkAreas(one({ owner: 'modem' }), MB16)!, /bad owner modem$/);
    assert.match(flash.checkAreas({ ...base, maxAreas: 4 }, MB16)!, /more than maxAreas \(4\)/);
    assert.match(flash.checkAreas(undefined, MB16)!, /missing/);
  });

  it('each part opens only its own areas; offsets are area-relative and bounded; NOR semantics pass through', () => {
    const cfg = cfgOf('concentrator', 'lin');
    const nor = fakeNor(MB16);
    const areas = cfg.areas.map((a) => flash.flashArea(nor, a));
    const owners = cfg.areas.map((a) => a.owner);
    const nonlegal = flash.flashDriver(areas, owners, 'nonlegal');
    const legal = flash.flashDriver(areas, owners, 'legal');
    assert.deepEqual(nonlegal.areas(), [
      'nonlegal-slot',
      'profiles',
      'events',
      'counters-a',
      'counters-b',
      'dc-registry',
      'image-transfer',
      'fota-image',
    ]);
    assert.deepEqual(legal.areas(), ['legal-slot']);
    assert.throws(() => legal.open('profiles'), /flash area profiles not granted to legal/);
    assert.throws(() => flash.flashDriver(areas, owners, 'plc').open('swap-state'), /not granted to plc/);
    const b = nonlegal.open('counters-b');
    assert.equal(b.erasedValue, 0xff);
    assert.equal(b.eraseSize, 4096);
    b.program(10, Uint8Array.of(0xf0));
    b.program(10, Uint8Array.of(0x3c));
    assert.equal(nor.mem[0x701000 + 10], 0x30);
    const r = new Uint8Array(2);
    b.read(9, r);
    assert.deepEqual([...r], [0xff, 0x30]);
    assert.throws(() => b.read(4095, r), /flash counters-b: read 4095\+2 outside 4096 bytes/);
    assert.throws(() => b.program(-1, r), /outside/);
    assert.throws(() => b.erase(4096), /outside/);
    assert.throws(() => b.erase(2048), /outside|not aligned/);
    nonlegal.open('counters-a').erase(0);
    assert.equal(nor.mem[0x701000 + 10], 0x30, 'erasing counters A leaves B alone');
    b.erase(0);
    assert.equal(nor.mem[0x701000 + 10], 0xff);
  });

  it('driver.get("flash") gives each granted part its own areas (drivers stored as flash.<part>)', () => {
    const cfg = cfgOf('meter', 'lin');
    const areas = cfg.areas.map((a) => flash.flashArea(fakeNor(MB16), a));
    const owners = cfg.areas.map((a) => a.owner);
    const drivers: { [name: string]: unknown } = {};
    for (const p of ['legal', 'plc', 'nonlegal']) drivers[`flash.${p}`] = flash.flashDriver(areas, owners, p);
    const ctx = { drivers } as unknown as ServiceContext;
    const get = (part: 'legal' | 'plc' | 'nonlegal', grants: string[]) =>
      makeRunService(part, grants, ctx)('driver.get', 'flash') as ReturnType<typeof flash.flashDriver>;
    assert.deepEqual(get('plc', ['driver.flash']).areas(), ['plc-slot']);
    assert.deepEqual(get('legal', ['driver.flash']).areas(), ['legal-slot']);
    assert.throws(() => get('nonlegal', []), /driver flash not granted to NON-LEGAL/);
  });
});
