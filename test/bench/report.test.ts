// The bench runner on a fast subset (firmware section; lin and one board, meter only): the report
// has its documented shape and every figure is a plausible measurement. Also: a node that does
// not boot makes its row an error and the run exit non-zero.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../emulator/node.js';

interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}
interface FirmwareRow {
  platform: string;
  role: string;
  build: string | null;
  text: number;
  data: number;
  bss: number;
  ram: Record<string, number | null> | null;
  boot: { cycles: number; clockHz: number } | null;
  bootInstructions?: number | null;
  linBootMs?: Stats | null;
  linPartsMs?: Stats | null;
  notes?: string[];
  error?: string;
}
interface Report {
  generated: string;
  machine: { node: string; cpus: number; qemu: string | null; gcc: { host: string | null; arm: string | null } };
  firmware: FirmwareRow[];
  sections: Record<string, unknown>;
  errors: unknown[];
}

function bench(args: string[], out: string) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'run.mjs'), '--quiet', '--out', out, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, report: () => JSON.parse(readFileSync(out, 'utf8')) as Report };
}

function positive(v: unknown, what: string): number {
  assert.equal(typeof v, 'number', `${what} is ${v}`);
  assert.ok(Number.isFinite(v as number) && (v as number) > 0, `${what} = ${v}`);
  return v as number;
}

describe('bench report', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures lin and mps2-an386 meter with a stable, plausible report', () => {
    const out = join(dir, 'report.json');
    const r = bench(['--only', 'firmware', '--platform', 'lin,mps2-an386', '--role', 'meter', '--lin-runs', '3'], out);
    assert.equal(r.status, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
    const report = r.report();

    assert.deepEqual(
      Object.keys(report).filter((k) => ['generated', 'machine', 'firmware', 'sections'].includes(k)),
      ['generated', 'machine', 'firmware', 'sections'],
    );
    assert.ok(!Number.isNaN(Date.parse(report.generated)), report.generated);
    assert.match(report.machine.node, /^v\d+\./);
    positive(report.machine.cpus, 'machine.cpus');
    assert.match(report.machine.qemu ?? '', /QEMU emulator version \d/);
    assert.match(report.machine.gcc.host ?? '', /gcc/);
    assert.match(report.machine.gcc.arm ?? '', /arm-none-eabi-gcc/);
    assert.equal(typeof report.sections, 'object');
    assert.ok(report.sections !== null && !Array.isArray(report.sections));
    assert.deepEqual(report.errors, []);

    assert.deepEqual(
      report.firmware.map((f) => `${f.platform}/${f.role}`),
      ['lin/meter', 'mps2-an386/meter'],
    );
    for (const f of report.firmware) {
      const what = `${f.platform}/${f.role}`;
      assert.equal(f.error, undefined, `${what}: ${f.error}`);
      positive(f.text, `${what} text`);
      positive(f.data, `${what} data`);
      positive(f.bss, `${what} bss`);
      assert.ok(f.text > f.data, `${what}: text ${f.text} <= data ${f.data}`);
      assert.ok(f.text > 100_000 && f.text < 4_000_000, `${what}: text ${f.text}`);

      const ram = f.ram!;
      assert.ok(ram, `${what}: no ram`);
      positive(ram.xsChunks, `${what} xsChunks`);
      positive(ram.xsSlots, `${what} xsSlots`);
      const slotSize = positive(ram.xsSlotSize, `${what} xsSlotSize`);
      assert.ok([16, 32].includes(slotSize), `${what}: slot size ${slotSize}`);
      assert.equal(ram.xsSlotBytes, ram.xsSlots! * slotSize);
      positive(ram.cHeapUsed, `${what} cHeapUsed`);
      assert.ok(ram.xsChunks! <= ram.xsChunksPeak!, `${what}: chunks above peak`);
      assert.ok(ram.xsSlots! <= ram.xsSlotsPeak!, `${what}: slots above peak`);
      assert.ok(ram.cHeapUsed! <= ram.cHeapPeak!, `${what}: heap above peak`);
      positive(f.boot?.cycles, `${what} boot.cycles`);
      positive(f.boot?.clockHz, `${what} clock.hz`);

      if (f.platform === 'lin') {
        // the Linux host paints 256 KB of its stack at start: a real high-water mark
        positive(ram.cStackPeak, `${what} cStackPeak`);
        assert.equal('bootInstructions' in f, false);
        for (const s of [f.linBootMs!, f.linPartsMs!]) {
          assert.equal(s.runs, 3);
          positive(s.min, `${what} boot ms min`);
          assert.ok(s.min <= s.median && s.median <= s.max, `${what}: ${JSON.stringify(s)}`);
          assert.ok(s.max < 20000, `${what}: ${JSON.stringify(s)}`);
        }
        assert.ok(f.linPartsMs!.median >= f.linBootMs!.median, `${what}: parts before shell`);
      } else {
        const stackPeak = positive(ram.cStackPeak, `${what} cStackPeak`);
        assert.ok(stackPeak < ram.cStackSize!, `${what}: stack peak ${stackPeak} >= size ${ram.cStackSize}`);
        assert.ok(ram.cHeapUsed! <= ram.cHeapSize!, `${what}: heap used above heap size`);
        const n = positive(f.bootInstructions, `${what} bootInstructions`);
        assert.ok(n > 100_000 && n < 10_000_000_000, `${what}: ${n} instructions`);
        assert.equal(n, Math.round((f.boot!.cycles * 1e9) / f.boot!.clockHz));
        assert.equal('linBootMs' in f, false);
        assert.equal(f.notes, undefined, `${what}: ${f.notes}`); // icount runs agree
      }
    }
    // the table: one line per row, aligned under the header
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => /^platform\s+role\s+text/.test(l));
    assert.ok(header >= 0, r.stdout);
    assert.match(lines[header + 2]!, /^lin\s+meter\s+[\d,]+/);
    assert.match(lines[header + 3]!, /^mps2-an386\s+meter\s+[\d,]+/);
    assert.equal(lines[header + 3]!.length, lines[header]!.length);
  });

  it('reports a node that does not boot as an error row and exits non-zero', () => {
    const out = join(dir, 'failed.json');
    const r = bench(['--only', 'firmware', '--platform', 'lin', '--role', 'meter', '--lin-runs', '1', '--ready-timeout', '1'], out);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^lin\s+meter\s+ERROR: .*MNSH ready.*within 1 ms/m);
    const report = r.report();
    assert.equal(report.firmware.length, 1);
    assert.match(report.firmware[0]!.error ?? '', /MNSH ready/);
    positive(report.firmware[0]!.text, 'text of the failed row'); // what was measured is kept
    assert.equal(report.errors.length, 1);
  });

  it('refuses unknown sections and platforms', () => {
    for (const args of [
      ['--only', 'nosuch'],
      ['--platform', 'esp32'],
    ]) {
      const r = bench(args, join(dir, 'unused.json'));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /unknown/);
    }
  });
});
