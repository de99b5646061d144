// Alarms pushed over the emulated power line: lin meters (alarm Push setup 0.4.25.9.0.255,
// DATA-NOTIFICATION in general-glo-ciphering over UDP 4059) and a lin concentrator (dc/alarms.ts).
// A tamper and a sag injected into a meter's front-end model reach `DC ALARMS` with their event
// times; a failed authentication on a meter is pushed as a security alarm; a power cut (SIGKILL)
// and restore of every meter at once is pushed as POWER_FAIL and POWER_RESTORE by each, spread by
// the randomised start, none lost, with the latency measured.
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
const EUI = (n: number): string => n.toString(16).padStart(16, '0').toUpperCase();
/** Meters in the storm (each a lin process on the medium). */
const N = Number(process.env.ALARM_METERS ?? 8);
const ALARM = /^TRACE WARN NON-LEGAL: alarm meter=([0-9A-F]{16}) code=(\d+) eventS=(\d+) receivedS=(\d+) count=(\d+)$/;

interface Seen {
  meter: string;
  code: number;
  eventS: number;
  receivedS: number;
  count: number;
}
const parse = (l: string): Seen => {
  const m = ALARM.exec(l)!;
  return { meter: m[1]!, code: Number(m[2]), eventS: Number(m[3]), receivedS: Number(m[4]), count: Number(m[5]) };
};

describe('alarms pushed by lin meters to a lin concentrator over the PLC medium', function () {
  this.timeout(300000);
  const dir = mkdtempSync(join(tmpdir(), 'alarms-plc-'));
  const sock = join(dir, 'plc.sock');
  let medium: Medium;
  let conc: FirmwareNode;
  const meters: (FirmwareNode | undefined)[] = [];
  const seen: Seen[] = [];
  const shorts: string[] = [];
  const file = (name: string, b: Buffer): string => {
    const f = join(dir, name);
    writeFileSync(f, b);
    return f;
  };
  const startMeter = async (k: number) => {
    const m = await FirmwareNode.start({
      platform: 'lin',
      role: 'meter',
      nvram: join(dir, `m${k}.nv`),
      args: ['--modem', sock, '--provision', join(dir, `m${k}.bin`)],
    });
    meters[k] = m;
    return m;
  };
  /** Waits for the concentrator's alarm traces until `until` holds; they are kept in `seen`. */
  const alarms = async (until: () => boolean, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (!until()) {
      const l = await conc.waitFor(ALARM, Math.max(1, end - Date.now()));
      seen.push(parse(l));
    }
  };

  before(async () => {
    medium = new Medium({ seed: 21 });
    await medium.listen(sock);
    const table = Array.from({ length: N }, (_, k): Dev => ({ eui64: eui(k + 2), psk: psk(k + 2) }));
    const cfile = file('c.bin', provisionRecord({ eui64: eui(1), psk: psk(1), seed: 'c1'.repeat(16), devices: table }));
    for (let k = 0; k < N; k++) file(`m${k}.bin`, provisionRecord({ eui64: eui(k + 2), psk: psk(k + 2), seed: psk(0x100 + k) }));
    conc = await FirmwareNode.start({ platform: 'lin', role: 'concentrator', args: ['--modem', sock, '--provision', cfile] });
    await conc.waitFor(/^PLC PAN pan=/, 20000);
    const ms = await Promise.all(Array.from({ length: N }, (_, k) => startMeter(k)));
    const joined = await Promise.all(ms.map((m) => m.waitFor(/^PLC JOINED /, 120000)));
    for (const l of joined) shorts.push(/short=0x([0-9a-f]{4})/.exec(l)![1]!);
    const now = Math.floor(Date.now() / 1000);
    for (const m of ms) {
      await m.command(`METRO CLOCK ${now}`, /^clock=/);
      await m.command('METRO LOAD 1 230000 5000 0', /^METRO LOAD/);
    }
  });

  after(async () => {
    for (const n of [conc, ...meters]) await n?.stop();
    await medium?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a tamper and a sag injected on a meter reach DC ALARMS with their event times', async () => {
    const m = meters[0]!;
    const cover = (await m.command('METRO EVENT 6 0 1 500 100', /^(METRO EVENT|ERROR)/))[0]!;
    const sag = (await m.command('METRO EVENT 2 1 500 400 1500', /^(METRO EVENT|ERROR)/))[0]!;
    const startOf = (l: string) => Math.floor(Number(/start=(\d+)/.exec(l)![1]) / 1000);
    const has = (code: number) => seen.some((a) => a.meter === EUI(2) && a.code === code);
    await alarms(() => has(9) && has(3), 60000);
    const c = seen.find((a) => a.code === 9)!;
    const s = seen.find((a) => a.code === 3)!;
    assert.ok(Math.abs(c.eventS - startOf(cover)) <= 1, `COVER eventS ${c.eventS} vs ${startOf(cover)}`);
    assert.ok(Math.abs(s.eventS - startOf(sag)) <= 1, `SAG eventS ${s.eventS} vs ${startOf(sag)}`);
    const lines = await conc.command('DC ALARMS', /^DC ALARMS recent=/);
    assert.ok(
      lines.some((l) => new RegExp(`^ALARM meter=${EUI(2)} short=0x[0-9a-f]{4} code=9 eventS=${c.eventS} `).test(l)),
      lines.join('\n'),
    );
    const push = (await m.command('DLMS PUSH', /^push /))[0]!;
    assert.match(push, /sent=2 .*dropped\{queueFull=0 gaveUp=0 overwritten=0\}/);
  });

  it('a failed authentication on the meter DLMS server is pushed as a security alarm', async () => {
    await conc.command('DLMS KEY AUTH 0 0 0 0', /^DLMS KEY/);
    conc.send(`DLMS READ 0x${shorts[1]} 1 MGMT`);
    const before = Date.now() / 1000;
    // with a ciphered context the wrong key fails the GCM tag: deciphering-failure (17)
    const has = () => seen.some((a) => a.meter === EUI(3) && (a.code === 16 || a.code === 17));
    await alarms(has, 60000); // (the read ends with ERROR DLMS READ: association rejected)
    await conc.command('DLMS KEY AUTH 0xD0D1D2D3 0xD4D5D6D7 0xD8D9DADB 0xDCDDDEDF', /^DLMS KEY/);
    const a = seen.find((x) => x.meter === EUI(3) && (x.code === 16 || x.code === 17))!;
    assert.ok(Math.abs(a.eventS - before) <= 5, `eventS ${a.eventS} vs ${before}`);
  });

  it(`every meter (${N}) loses power and restores at once: POWER_FAIL and POWER_RESTORE from each, none lost`, async () => {
    seen.length = 0;
    await Promise.all(
      meters.map(async (m) => {
        m!.child.kill('SIGKILL');
        await m!.wait();
      }),
    );
    const cut = Date.now();
    const ms = await Promise.all(meters.map((_, k) => startMeter(k)));
    const want = (k: number, code: number) => seen.some((a) => a.meter === EUI(k + 2) && a.code === code);
    await alarms(() => ms.every((_, k) => want(k, 1) && want(k, 2)), 240000);
    // right after the storm the bulk work is told to back off (backoffMs 10 s after the last alarm)
    const summary = (await conc.command('DC ALARMS', /^DC ALARMS recent=/)).at(-1)!;
    assert.match(summary, /accepted=(\d+) delivered=\1 waiting=0 .* backpressure=1$/);
    const stats = (await conc.command('DC ALARMS STATS', /^DC ALARMS STATS /))[0]!;
    assert.match(stats, /deferred=[1-9]/, 'the per-meter rate limit held the second alarm of each meter');
    assert.match(stats, /dropped\{malformed=0 unknown=0 auth=0 replay=0 unciphered=0 body=0 code=0 pendingFull=0 tableFull=0\}/);
    const restores = seen.filter((a) => a.code === 2);
    assert.equal(restores.length, N, 'one POWER_RESTORE per meter');
    assert.equal(seen.filter((a) => a.code === 1).length, N, 'one POWER_FAIL per meter');
    const received = restores.map((a) => a.receivedS);
    const latency = restores.map((a) => a.receivedS - a.eventS);
    console.log(
      `      storm: ${N} meters, ${seen.length} alarms, restore->received latency s: max=${Math.max(...latency)} mean=${(latency.reduce((a, b) => a + b, 0) / N).toFixed(1)}, received over ${Math.max(...received) - Math.min(...received)} s, ${((Date.now() - cut) / 1000).toFixed(1)} s after the cut`,
    );
    for (const a of seen.filter((x) => x.code === 1))
      assert.ok(a.eventS * 1000 <= cut + 1000, 'POWER_FAIL at the cut (the last saved second)');
  });
});
