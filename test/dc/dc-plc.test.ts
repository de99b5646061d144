// The concentrator's scheduler on the simulated power line (medium's simulated clock): a lin
// concentrator and 3 lin meters. The scheduler reads each meter's profile by range (no interval
// twice), measures every meter's clock offset (within 5 s), runs an on-demand read ahead of the
// bulk work of a cycle, answers DC commands in JSON, fills a paused stretch in one read by
// range, reports a stopped meter unreachable and resumes it after its restart, and keeps its
// registry (NVRAM) across a concentrator restart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirmwareNode } from '../../emulator/node.js';
import { Medium } from '../../emulator/medium/medium.js';
import { provisionRecord as provisionRecordJs } from '../../tools/provision.mjs';

interface Dev {
  eui64: string;
  psk: string;
}
const provisionRecord = provisionRecordJs as (o: { eui64: string; psk: string; seed: string; devices?: Dev[]; pad?: number }) => Buffer;
const psk = (n: number): string => n.toString(16).padStart(32, '0');
const eui = (n: number): string => `0x${n.toString(16)}`;
const EUI = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');
type J = Record<string, unknown> & { dc: string };
let medium: Medium;
const EUIS = new Map<FirmwareNode, bigint>();
/** A console command; the node is then woken so that what it armed or sent reaches the medium (PROTOCOL.md). */
function send(n: FirmwareNode, cmd: string): void {
  n.send(cmd);
  // before its HELLO the node is not on the medium yet (its clock stands still until READY)
  try {
    medium.wakeNode(EUIS.get(n)!);
  } catch {
    /* not attached yet */
  }
}

/** Runs a DC command in JSON mode; returns its JSON lines up to its end line. */
async function dc(n: FirmwareNode, cmd: string, timeoutMs = 60000): Promise<J[]> {
  n.skip();
  send(n, cmd);
  const lines = await n.collect(/^(\{"dc":"end"|ERROR)/, timeoutMs);
  const last = lines[lines.length - 1]!;
  assert.ok(!last.startsWith('ERROR'), `${cmd}: ${last}`);
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as J);
}

describe('DC scheduler: lin concentrator + 3 lin meters on the simulated medium', function () {
  this.timeout(600000);
  const dir = mkdtempSync(join(tmpdir(), 'dc-plc-'));
  const sock = join(dir, 'plc.sock');
  const nvram = join(dir, 'c.nvram');
  const meters: FirmwareNode[] = [];
  let conc: FirmwareNode;
  const file = (name: string, b: Buffer): string => {
    const f = join(dir, name);
    writeFileSync(f, b);
    return f;
  };
  const table = [2, 3, 4].map((n): Dev => ({ eui64: eui(n), psk: psk(n) }));
  const cfile = file('c.bin', provisionRecord({ eui64: eui(1), psk: psk(1), seed: 'c1'.repeat(16), devices: table }));
  const startConc = async () => {
    const c = await FirmwareNode.start({
      platform: 'lin',
      role: 'concentrator',
      nvram,
      waitReady: false,
      args: ['--modem', sock, '--provision', cfile, '--sim-clock', '--seed', '1'],
    });
    EUIS.set(c, 1n);
    return c;
  };

  before(async () => {
    medium = new Medium({ seed: 5, simClock: true, expectNodes: 4 });
    await medium.listen(sock);
    conc = await startConc();
    for (const n of [2, 3, 4]) {
      const f = file(`m${n}.bin`, provisionRecord({ eui64: eui(n), psk: psk(n), seed: psk(0x100 + n) }));
      const m = await FirmwareNode.start({
        platform: 'lin',
        role: 'meter',
        waitReady: false,
        args: ['--modem', sock, '--provision', f, '--sim-clock', '--seed', String(n)],
      });
      EUIS.set(m, BigInt(n));
      meters.push(m);
    }
    await conc.waitFor(/^MNSH ready$/, 60000);
    conc.skip();
    send(conc, 'SYS TRACE 3');
    await conc.waitFor(/trace/i);
    for (const m of meters) await m.waitFor(/^PLC JOINED /, 120000);
  });

  after(async () => {
    for (const n of [conc, ...meters]) await n?.stop();
    await medium?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every meter by range over three cycles: no interval twice, clocks within 5 s', async () => {
    await conc.waitFor(/^TRACE INFO NON-LEGAL: DC cycle 3 done: meters=3 /, 120000);
    await dc(conc, 'DC JSON ON');
    const list = (await dc(conc, 'DC METERS')).filter((l) => l.dc === 'meter');
    assert.deepEqual(list.map((m) => m.eui).sort(), [2, 3, 4].map(EUI));
    for (const m of list) {
      assert.equal(m.state, 'online', JSON.stringify(m));
      assert.equal(m.name, 'MFW0000012345678');
      assert.equal(m.serial, '12345678');
      assert.ok(Math.abs(m.offset as number) <= 5, JSON.stringify(m));
    }
    for (let i = 1; i <= 3; i++) {
      const rows = (await dc(conc, `DC PROFILE -${i} 0 0x7fffffff`)).filter((l) => l.dc === 'interval');
      const t = rows.map((r) => r.capture as number);
      assert.ok(t.length >= 3, `meter ${i}: ${t.length} intervals`);
      for (let k = 1; k < t.length; k++) assert.ok(t[k]! > t[k - 1]!, `meter ${i}: ${t.join(',')}`);
    }
    const [stats] = await dc(conc, 'DC STATS');
    assert.equal(stats!.duplicates, 0);
    // the meters' DLMS clocks and the concentrator's run on the medium's epoch: within 5 s, none set
    assert.equal(stats!.clockSets, 0, JSON.stringify(stats));
  });

  it('runs an on-demand read ahead of the bulk work of a cycle', async () => {
    conc.skip();
    send(conc, 'DC SCHEDULE NOW');
    send(conc, 'DC READ -3 APLUS');
    const lines = await conc.collect(/^TRACE INFO NON-LEGAL: DC cycle \d+ done/, 120000);
    const read = lines.findIndex((l) => l.startsWith('{"dc":"value"'));
    assert.ok(read >= 0, lines.join('\n'));
  });

  it('runs a shell DLMS command while the scheduler reads: it waits its turn on the link', async () => {
    conc.skip();
    send(conc, 'DC SCHEDULE NOW');
    send(conc, 'DLMS PROFILE -1 4 MGMT');
    const lines = await conc.collect(/^(DLMS PROFILE meter=|ERROR)/, 120000);
    assert.match(lines[lines.length - 1]!, /^DLMS PROFILE meter=0x[0-9a-f]{4} client=1 entries=\d+ /, lines.join('\n'));
    await conc.waitFor(/^TRACE INFO NON-LEGAL: DC cycle \d+ done/, 120000);
  });

  it('fills the intervals of a paused stretch with one read by range from the cursor', async () => {
    const before = (await dc(conc, 'DC METERS')).filter((l) => l.dc === 'meter');
    await dc(conc, 'DC SCHEDULE PAUSE');
    for (let k = 0; k < 3; k++) await conc.waitFor(/^TRACE INFO NON-LEGAL: DC cycle skipped: paused/, 120000);
    const [s0] = await dc(conc, 'DC STATS');
    await dc(conc, 'DC SCHEDULE RESUME');
    await conc.waitFor(/^TRACE INFO NON-LEGAL: DC cycle \d+ done: meters=3 /, 120000);
    const [s1] = await dc(conc, 'DC STATS');
    assert.ok((s1!.intervals as number) - (s0!.intervals as number) >= 9, `${JSON.stringify(s0)}\n${JSON.stringify(s1)}`);
    assert.equal(s1!.duplicates, 0);
    for (const b of before) {
      const rows = (await dc(conc, `DC PROFILE ${Number.parseInt(b.short as string, 16)} ${(b.profile as number) + 1} 0x7fffffff`)).filter(
        (l) => l.dc === 'interval',
      );
      const t = rows.map((r) => r.capture as number);
      assert.ok(t.length >= 3, `${String(b.eui)}: ${t.join(',')}`);
      assert.equal(t[0], (b.profile as number) + 900, `${String(b.eui)}: the interval after the cursor first`);
      for (let k = 1; k < t.length; k++) assert.equal(t[k]! - t[k - 1]!, 900, `${String(b.eui)}: ${t.join(',')}`);
    }
  });

  it('reports a stopped meter unreachable, fails its reads fast, and resumes after its restart', async () => {
    const m = meters[1]!;
    const short = Number.parseInt(/short=0x([0-9a-f]{4})/.exec(m.lines.find((l) => l.startsWith('PLC JOINED'))!)![1]!, 16);
    await m.stop();
    await conc.waitFor(/^TRACE WARN NON-LEGAL: DC meter 0000000000000003 unreachable: /, 120000);
    conc.skip();
    send(conc, `DC READ ${short} APLUS`);
    assert.match(await conc.waitFor(/^ERROR/, 10000), /^ERROR DC READ: meter 0000000000000003 unreachable/);
    const f = join(dir, 'm3.bin');
    meters[1] = await FirmwareNode.start({
      platform: 'lin',
      role: 'meter',
      waitReady: false,
      args: ['--modem', sock, '--provision', f, '--sim-clock', '--seed', '13'],
    });
    EUIS.set(meters[1], 3n);
    await meters[1].waitFor(/^PLC JOINED /, 120000);
    for (;;) {
      await conc.waitFor(/^TRACE INFO NON-LEGAL: DC cycle \d+ done: meters=3 /, 120000);
      const m3 = (await dc(conc, 'DC METERS')).find((l) => l.eui === '0000000000000003')!;
      if (m3.state === 'online') break;
    }
    const [stats] = await dc(conc, 'DC STATS');
    assert.equal(stats!.duplicates, 0);
    assert.ok((stats!.fastFail as number) >= 1);
  });

  it('keeps its registry (meters, cursors) across a concentrator restart', async () => {
    const before = (await dc(conc, 'DC METERS')).filter((l) => l.dc === 'meter');
    await conc.stop();
    conc = await startConc();
    await conc.waitFor(/^MNSH ready$/, 60000);
    await dc(conc, 'DC JSON ON');
    const restored = (await dc(conc, 'DC METERS')).filter((l) => l.dc === 'meter');
    assert.deepEqual(
      restored.map((m) => [m.eui, m.short, m.profile, m.event]),
      before.map((m) => [m.eui, m.short, m.profile, m.event]),
    );
    const [stats] = await dc(conc, 'DC STATS');
    assert.equal(stats!.store, 'ok');
  });
});
