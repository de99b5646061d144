// The registry on the SPI NOR in the firmware: a lin concentrator with `--spinor FILE` and 9 lin
// meters on the simulated medium registers all 9 (beyond the NVRAM record's 7), reads them, and
// after a restart on the same store file finds the 9 again with their cursors (DC METERS, DC
// STATS storeKind=flash). Without the store file the registry falls back to the NVRAM record, says
// so in one trace line, and its bound is 7. On lin and mps2-an386, a store file whose bank this
// test filled on Node (same record format and CRC-32) with 256 meters over 1792 records is
// restored at boot; the XS memory it takes is logged (SYS MEM, empty store against full).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode, type Platform } from '../../emulator/node.js';
import { Medium } from '../../emulator/medium/medium.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';
import { NodeCrc32 } from '../helpers/fram.js';
import { NorArea } from '../helpers/nor.js';
import { FlashRegistryStore } from '../../modules/nonlegal/dc/registry-flash.js';
import { STATES } from '../../modules/nonlegal/dc/registry.js';

interface Dev {
  eui64: string;
  psk: string;
}
const provisionRecord = provisionRecordJs as (o: { eui64: string; psk: string; seed: string; devices?: Dev[]; pad?: number }) => Buffer;
const psk = (n: number): string => n.toString(16).padStart(32, '0');
const eui = (n: number): string => `0x${n.toString(16)}`;
type J = Record<string, unknown> & { dc: string };
const N = 9;

describe('DC registry on the SPI NOR: lin concentrator + 9 lin meters', function () {
  this.timeout(900000);
  const dir = mkdtempSync(join(tmpdir(), 'dc-reg-'));
  const sock = join(dir, 'plc.sock');
  const spinor = join(dir, 'c.nor');
  const nvram = join(dir, 'c.nvram');
  let medium: Medium;
  const meters: FirmwareNode[] = [];
  const euis = new Map<FirmwareNode, bigint>();
  let conc: FirmwareNode | undefined;
  const file = (name: string, b: Buffer): string => {
    const f = join(dir, name);
    writeFileSync(f, b);
    return f;
  };
  const table = Array.from({ length: N }, (_, i): Dev => ({ eui64: eui(i + 2), psk: psk(i + 2) }));
  const cfile = file('c.bin', provisionRecord({ eui64: eui(1), psk: psk(1), seed: 'c1'.repeat(16), devices: table }));
  const send = (n: FirmwareNode, cmd: string): void => {
    n.send(cmd);
    try {
      medium.wakeNode(euis.get(n)!);
    } catch {
      /* not on the medium yet */
    }
  };
  const dc = async (n: FirmwareNode, cmd: string): Promise<J[]> => {
    n.skip();
    send(n, cmd);
    const lines = await n.collect(/^(\{"dc":"end"|ERROR)/, 60000);
    assert.ok(!lines.at(-1)!.startsWith('ERROR'), `${cmd}: ${lines.at(-1)}`);
    return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as J);
  };
  const startConc = async (withNor: boolean): Promise<FirmwareNode> => {
    const c = await FirmwareNode.start({
      platform: 'lin',
      role: 'concentrator',
      nvram,
      ...(withNor ? { spinor } : {}),
      waitReady: false,
      args: ['--modem', sock, '--provision', cfile, '--sim-clock', '--seed', '1'],
    });
    euis.set(c, 1n);
    return c;
  };

  before(async () => {
    medium = new Medium({ seed: 7, simClock: true, expectNodes: N + 1 });
    await medium.listen(sock);
    conc = await startConc(true);
    for (let n = 2; n < N + 2; n++) {
      const f = file(`m${n}.bin`, provisionRecord({ eui64: eui(n), psk: psk(n), seed: psk(0x100 + n) }));
      const m = await FirmwareNode.start({
        platform: 'lin',
        role: 'meter',
        waitReady: false,
        args: ['--modem', sock, '--provision', f, '--sim-clock', '--seed', String(n)],
      });
      euis.set(m, BigInt(n));
      meters.push(m);
    }
    await conc.waitFor(/^MNSH ready$/, 120000);
    conc.skip();
    send(conc, 'SYS TRACE 3');
    await conc.waitFor(/trace/i);
    for (const m of meters) await m.waitFor(/^PLC JOINED /, 300000);
  });

  after(async () => {
    for (const n of [conc, ...meters]) await n?.stop();
    await medium?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`registers ${N} meters (more than the NVRAM record's 7), reads them, keeps all ${N} with their cursors across a restart`, async () => {
    const c = conc!;
    // discovery (every dc.discoveryS of the medium's clock), then a cycle that reads all of them
    await c.waitFor(new RegExp(`^TRACE INFO NON-LEGAL: DC cycle \\d+ done: meters=${N} `), 600000);
    await c.waitFor(new RegExp(`^TRACE INFO NON-LEGAL: DC cycle \\d+ done: meters=${N} `), 600000);
    await dc(c, 'DC JSON ON');
    const end = (await dc(c, 'DC METERS')).at(-1)!;
    assert.equal(end.n, N);
    assert.equal(end.max, 256);
    assert.equal(end.refused, 0);
    const [stats] = await dc(c, 'DC STATS');
    assert.equal(stats!.storeKind, 'flash');
    assert.equal(stats!.store, 'ok');
    const before = (await dc(c, 'DC METERS')).filter((l) => l.dc === 'meter');
    assert.equal(before.length, N);
    assert.ok(
      before.every((m) => (m.profile as number) > 0),
      JSON.stringify(before.map((m) => m.profile)),
    );
    await c.stop();
    conc = await startConc(true);
    await conc.waitFor(/^MNSH ready$/, 60000);
    await dc(conc, 'DC JSON ON');
    const after = (await dc(conc, 'DC METERS')).filter((l) => l.dc === 'meter');
    assert.deepEqual(
      after.map((m) => [m.eui, m.short, m.profile, m.event]),
      before.map((m) => [m.eui, m.short, m.profile, m.event]),
    );
    const [s2] = await dc(conc, 'DC STATS');
    assert.equal(s2!.storeKind, 'flash');
    assert.equal(s2!.meters, N);
  });

  it('without the SPI NOR: the NVRAM record, one trace line, 7 meters at most', async () => {
    await conc!.stop();
    conc = await startConc(false);
    await conc.waitFor(/^MNSH ready$/, 120000);
    await conc.waitFor(
      /^TRACE WARN NON-LEGAL: DC registry: no flash area dc-registry: 7 meters \(NVRAM record\), not dc\.maxMeters 256$/,
      60000,
    );
    await dc(conc, 'DC JSON ON');
    const end = (await dc(conc, 'DC METERS')).at(-1)!;
    assert.equal(end.max, 7);
    const [s] = await dc(conc, 'DC STATS');
    assert.equal(s!.storeKind, 'nvram');
  });
});

const NOR_SIZE = 16 * 1024 * 1024;
const REGISTRY_OFFSET = 0x710000; // manifest.json config.flash, area 9 dc-registry

/** A store file whose dc-registry area holds 256 meters in 1792 records (the active bank nearly full). */
function fullStore(file: string): { profileCursorS: number } {
  const nor = new NorArea(128 * 1024);
  const s = new FlashRegistryStore(nor, new NodeCrc32());
  s.load();
  const e = (n: number) => (0x0011_2233_0000_0000n + BigInt(n)).toString(16).toUpperCase().padStart(16, '0');
  let r = 0;
  for (; s.used + 256 <= s.slots; r++)
    s.save(
      Array.from({ length: 256 }, (_, i) => ({
        eui: e(i + 1),
        short: i + 1,
        state: STATES[1]!,
        profileCursorS: 1_800_000_000 + r * 900,
        eventCursorS: 0,
      })),
    );
  const b = Buffer.alloc(NOR_SIZE + 4096 * 4, 0xff);
  b.fill(0, NOR_SIZE); // erase counts
  b.set(nor.mem, REGISTRY_OFFSET);
  writeFileSync(file, b);
  return { profileCursorS: 1_800_000_000 + (r - 1) * 900 };
}

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`DC registry on the SPI NOR: 256 meters restored at boot on ${platform}`, function () {
    this.timeout(180000);
    it('restores 256 meters from a nearly full bank written on Node; SYS MEM against an empty store', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dc-reg256-'));
      const mem: string[] = [];
      try {
        for (const full of [false, true]) {
          const spinor = join(dir, `${full}.nor`);
          const want = full ? fullStore(spinor) : undefined;
          const n = await FirmwareNode.start({ platform, role: 'concentrator', spinor, readyTimeout: 60000 });
          try {
            await n.waitFor(/^PARTS started$/, 60000);
            await n.command('DC JSON ON', /^\{"dc":"end"/, 30000);
            const list = (await n.command('DC METERS', /^\{"dc":"end"/, 60000)).map((l) => JSON.parse(l) as J);
            const end = list.at(-1)!;
            assert.equal(end.n, full ? 256 : 0);
            assert.equal(end.max, 256);
            if (want) assert.ok(list.slice(0, -1).every((m) => m.profile === want.profileCursorS && m.state === 'joining'));
            const [st] = (await n.command('DC STATS', /^\{"dc":"end"/, 30000)).map((l) => JSON.parse(l) as J);
            assert.equal(st!.storeKind, 'flash');
            assert.equal(st!.store, full ? 'ok' : 'new');
            const m = await n.command('SYS MEM', /^xs\.code/, 30000);
            mem.push(`${full ? '256 meters' : 'empty'}: ${m.filter((l) => /^xs\.(chunks|slots)=/.test(l)).join(' ')}`);
          } finally {
            await n.stop();
          }
        }
        console.log(mem.map((l) => `      ${platform} ${l}`).join('\n'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
