// The metrology bench section on mps2-an386 (one icount boot): native DSP and TypeScript-port
// figures are positive and plausible, the TypeScript port is slower than the C, and the row
// lands in report.sections.metrology.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../emulator/node.js';

interface MetroRow {
  platform: string;
  clockHz: number;
  nativeSamples: number;
  tsSamples: number;
  nativeDspCycles: number;
  nativeModelCycles: number;
  tsDspCycles: number;
  nativeInstrPerSample: number;
  modelInstrPerSample: number;
  tsInstrPerSample: number;
  linkInstrPerSecond: number;
  pqInstrPerSample: number;
  ratio: number;
  nativeCpuShare: number;
  tsCpuShare: number;
  error?: string;
}

describe('bench metrology section', function () {
  this.timeout(30000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-metro-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures native and TypeScript DSP cost per sample in one mps2-an386 run', () => {
    const out = join(dir, 'report.json');
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bench', 'run.mjs'), '--quiet', '--out', out, '--only', 'metrology', '--platform', 'mps2-an386', '--role', 'meter'],
      { cwd: ROOT, encoding: 'utf8', timeout: 25000 },
    );
    assert.equal(r.status, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { sections: { metrology: { title: string; rows: MetroRow[] } } };
    const rows = report.sections.metrology.rows;
    assert.equal(rows.length, 1);
    const m = rows[0]!;
    assert.equal(m.error, undefined, m.error);
    assert.equal(m.platform, 'mps2-an386');
    assert.equal(m.nativeSamples, 4000);
    assert.ok(m.tsSamples >= 4000 && m.tsSamples % 4000 === 0, `${m.tsSamples}`);
    for (const k of [
      'clockHz',
      'nativeDspCycles',
      'nativeModelCycles',
      'tsDspCycles',
      'nativeInstrPerSample',
      'modelInstrPerSample',
      'pqInstrPerSample',
      'tsInstrPerSample',
      'ratio',
      'nativeCpuShare',
      'tsCpuShare',
    ] as const) {
      assert.ok(Number.isFinite(m[k]) && m[k] > 0, `${k} = ${m[k]}`);
    }
    // 3 phases: ~10 multiply-accumulates of 32x32->64 bits per phase and sample plus the
    // zero-crossing logic; tens to a few thousand instructions per sample in C
    assert.ok(m.nativeInstrPerSample > 30 && m.nativeInstrPerSample < 5000, `native ${m.nativeInstrPerSample}`);
    assert.ok(m.tsInstrPerSample > m.nativeInstrPerSample, `TS ${m.tsInstrPerSample} <= native ${m.nativeInstrPerSample}`);
    assert.ok(m.ratio > 1 && m.ratio < 10000, `ratio ${m.ratio}`);
    assert.ok(Math.abs(m.ratio - m.tsInstrPerSample / m.nativeInstrPerSample) < 1e-9);
    assert.ok(Math.abs(m.nativeCpuShare - ((m.nativeInstrPerSample + m.pqInstrPerSample) * 4000) / 168e6) < 1e-12);
    // power quality: per 5-ms block of 20 samples, 3 phases of sum of squares (64-bit) and a
    // 4-block window, so a few to some tens of instructions per sample, well below the DSP's
    assert.ok(m.pqInstrPerSample > 3 && m.pqInstrPerSample < m.nativeInstrPerSample / 2, `pq ${m.pqInstrPerSample}`);
    assert.ok(m.nativeCpuShare < 0.5, `native CPU share ${m.nativeCpuShare}`);
    // the STPM link read (L2, L3) once a second: 24 frames, a few hundred to a few thousand
    // instructions each with its CRC-8 on both sides and the device model's answer
    assert.ok(m.linkInstrPerSecond > 24 * 100 && m.linkInstrPerSecond < 24 * 20000, `link ${m.linkInstrPerSecond}`);
    assert.match(r.stdout, /^mps2-an386\s+4,000 \/ [\d,]+\s+[\d.]+\s+[\d.]+\s+[\d,]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+ %\s+[\d.]+ %$/m);
  });
});
