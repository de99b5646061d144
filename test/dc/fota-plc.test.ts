// A firmware campaign on the simulated power line (medium's simulated clock): a lin concentrator
// takes a signed NON-LEGAL 1.2.3 over its shell in framed chunks (tools/fota.ts, as `npm run
// fota` sends them), keeps it in its flash area fota-image, and updates two lin meters with DLMS
// Image transfer over UDP 4059; each meter ends running the new NON-LEGAL, confirmed by its
// health check, while LEGAL's 1 Hz ring of each keeps one record a second (read through the
// campaign: no gap, none overwritten).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { Medium } from '../../emulator/medium/medium.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';
import { loadImage, runCampaign, type DcRunner } from '../../tools/fota.js';
import { changedNonlegal, norWith, sign, SLOT } from '../fwupdate/images.js';

interface Dev {
  eui64: string;
  psk: string;
}
const provisionRecord = provisionRecordJs as (o: { eui64: string; psk: string; seed: string; devices?: Dev[]; pad?: number }) => Buffer;
const psk = (n: number): string => n.toString(16).padStart(32, '0');
const eui = (n: number): string => `0x${n.toString(16)}`;
const EUI = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');
type J = Record<string, unknown> & { dc?: string };
const METERS = [2, 3];

describe('DC FOTA: a campaign by a lin concentrator to 2 lin meters on the simulated medium', function () {
  this.timeout(1800000);
  const dir = mkdtempSync(join(tmpdir(), 'dc-fota-'));
  const sock = join(dir, 'plc.sock');
  const nodes = new Map<FirmwareNode, bigint>();
  const meters: FirmwareNode[] = [];
  let medium: Medium;
  let conc: FirmwareNode;
  const send = (n: FirmwareNode, cmd: string) => {
    n.send(cmd);
    try {
      medium.wakeNode(nodes.get(n)!);
    } catch {
      /* not attached yet */
    }
  };
  const file = (name: string, b: Buffer): string => {
    const f = join(dir, name);
    writeFileSync(f, b);
    return f;
  };
  // the concentrator's shell as tools/fota.ts drives it
  const runner: DcRunner = {
    async run(line, timeoutMs = 120000) {
      conc.skip();
      send(conc, line);
      const lines = await conc.collect(/^(\{"dc":"end"|ERROR)/, timeoutMs);
      const last = lines[lines.length - 1]!;
      if (last.startsWith('ERROR')) throw new Error(`${line}: ${last}`);
      return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as J);
    },
  };

  before(async () => {
    medium = new Medium({ seed: 7, simClock: true, expectNodes: 1 + METERS.length });
    await medium.listen(sock);
    const table = METERS.map((n): Dev => ({ eui64: eui(n), psk: psk(n) }));
    conc = await FirmwareNode.start({
      platform: 'lin',
      role: 'concentrator',
      waitReady: false,
      spinor: norWith(mkdtempSync(join(dir, 'c-')), SLOT.nonlegal, Buffer.alloc(0)),
      args: [
        '--modem',
        sock,
        '--provision',
        file('c.bin', provisionRecord({ eui64: eui(1), psk: psk(1), seed: 'c1'.repeat(16), devices: table })),
        '--sim-clock',
        '--seed',
        '1',
      ],
    });
    nodes.set(conc, 1n);
    for (const n of METERS) {
      const m = await FirmwareNode.start({
        platform: 'lin',
        role: 'meter',
        waitReady: false,
        spinor: norWith(mkdtempSync(join(dir, `m${n}-`)), SLOT.nonlegal, Buffer.alloc(0)),
        args: [
          '--modem',
          sock,
          '--provision',
          file(`m${n}.bin`, provisionRecord({ eui64: eui(n), psk: psk(n), seed: psk(0x100 + n) })),
          '--sim-clock',
          '--seed',
          String(n),
        ],
      });
      nodes.set(m, BigInt(n));
      meters.push(m);
    }
    await conc.waitFor(/^MNSH ready$/, 60000);
    conc.skip();
    send(conc, 'SYS TRACE 3');
    await conc.waitFor(/trace/i);
    for (const m of meters) await m.waitFor(/^PLC JOINED /, 180000);
  });

  after(async () => {
    for (const n of [conc, ...meters]) await n?.stop();
    await medium?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the image over the shell, updates each meter to NON-LEGAL 1.2.3 with no gap in its 1 Hz ring', async () => {
    await runner.run('DC JSON ON');
    // the registry knows both meters
    for (;;) {
      const list = (await runner.run('DC METERS')).filter((l) => l.dc === 'meter');
      if (list.length === METERS.length) break;
      await conc.waitFor(/DC /, 120000);
    }
    const image = sign(changedNonlegal(), { securityCounter: 1 });
    const t0 = Date.now();
    await loadImage(runner, image);
    console.log(`      ${image.length} octets over the shell in ${Math.ceil(image.length / 32)} chunks: ${Date.now() - t0} ms`);
    // a chunk with a wrong CRC-32 is refused; the image stays whole
    await assert.rejects(runner.run('DC FOTA DATA 0 0x1 0x0'), /ERROR/);
    const ring = new Map<FirmwareNode, { last: number; overwritten: number; records: number }>();
    const readRing = async (m: FirmwareNode) => {
      const lines = await m.command('METRO GET_DATA 32', /^records=/, 60000);
      const r = ring.get(m) ?? { last: -1, overwritten: -1, records: 0 };
      for (const l of lines) {
        const t = /^t=(\d+) /.exec(l);
        if (!t) continue;
        const time = Number(t[1]);
        if (r.last >= 0) assert.ok(time - r.last > 500 && time - r.last < 1500, `gap in the ring: t=${r.last} then t=${time}`);
        r.last = time;
        r.records++;
      }
      const over = Number(/overwritten=(\d+)/.exec(lines.at(-1)!)![1]);
      if (r.overwritten >= 0) assert.equal(over, r.overwritten, 'ring overwrote records: read too late');
      r.overwritten = over;
      ring.set(m, r);
    };
    for (const m of meters) await readRing(m);
    const uptime = async () => Number(/uptime\.ms=(\d+)/.exec((await conc.command('SYS CLOCK', /^clock /, 60000)).at(-1)!)![1]);
    const u0 = await uptime();
    const { rows, end } = await runCampaign(runner, 'all', async () => {
      for (const m of meters) await readRing(m);
    });
    const u1 = await uptime();
    console.log(`      campaign of ${METERS.length} meters: ${((u1 - u0) / 1000).toFixed(1)} s simulated, ${JSON.stringify(rows)}`);
    assert.equal(end.done, METERS.length, JSON.stringify(end));
    assert.equal(end.failed, 0);
    for (const r of rows) {
      assert.equal(r.state, 'done', JSON.stringify(r));
      assert.equal(r.status, 6);
      assert.equal(r.sent, r.blocks);
    }
    assert.deepEqual(rows.map((r) => r.eui).sort(), METERS.map(EUI));
    for (const m of meters) {
      await readRing(m);
      assert.ok(ring.get(m)!.records > 10);
      assert.match((await m.command('SYS VERSION', /^NON-LEGAL /, 60000)).at(-1)!, /^NON-LEGAL 1\.2\.3 [0-9a-f]{64} running$/);
      assert.ok(
        (await m.command('FW STATUS', /^FW journal/, 60000)).includes('FW NON-LEGAL 1.2.3 running state=confirmed securityCounter=1'),
      );
    }
  });
});
