// Metrology DSP cost on Cortex-M4 (mps2-an386 under qemu -icount shift=0: one guest instruction
// per virtual nanosecond), all figures from ONE boot of the meter firmware:
//  - native: LEGAL's METRO task runs the front-end model and dsp_process_block() once a second;
//    `METRO STATS` gives the cycles spent in the DSP alone (model sample synthesis timed apart):
//    the main chip's DSP over L1 + neutral plus the same dsp.c in the second device's model over
//    L2, L3 (device.cycles), i.e. the three phases; and the host's cost of reading L2, L3 over
//    the STPM link once a second (link.cycles, per second, not per sample); and, apart, the
//    power-quality tracking per 5-ms block (pq.cycles: half-cycle rms for sags and swells,
//    tamper lines, button debouncing), which the TypeScript port does not do;
//  - TypeScript: `BENCH DSP <seconds>` runs modules/generic/bench/dsp-ts.ts (a port of
//    dsp_process_block()'s per-sample work for 3 phases) on XS over the same model samples.
// Cycles convert to instructions as cycles * 1e9 / clock.hz. The CPU share assumes a 168 MHz
// Cortex-M4 running one instruction per cycle, 3 phases at 4 kHz per channel; the native share
// counts the DSP and the power-quality tracking.
import { group, parseFigures } from '../lib.mjs';

const PLATFORM = 'mps2-an386';
const CPU_HZ = 168e6;
const TS_SECONDS = 2;
// a loaded meter: every phase carries current, so the DSP does its full work
const LOADS = ['METRO LOAD 1 230000 10000 3000', 'METRO LOAD 2 231000 8000 -1500', 'METRO LOAD 3 229000 12000 4500'];

async function measure(ctx) {
  const { FirmwareNode } = ctx.harness;
  const node = await FirmwareNode.start({ platform: PLATFORM, role: 'meter', icount: true, waitReady: false });
  try {
    await node.waitFor(/^PARTS started$/, ctx.readyTimeout);
    for (const l of LOADS) await node.command(l, /^METRO LOAD L\d/);
    // the native figure: a second measured wholly after the loads (second >= the last LOAD's)
    const from = Number((await node.command('METRO SHOW', /^(AP=|ERROR)/)).find((l) => l.startsWith('second='))?.slice(7) ?? -1);
    let stats = null;
    for (let i = 0; i < 100 && !stats; i++) {
      const show = await node.command('METRO SHOW', /^(AP=|ERROR)/);
      const second = Number(show.find((l) => l.startsWith('second='))?.slice(7) ?? -1);
      if (second >= from + 2) stats = parseFigures(await node.command('METRO STATS', /^dsp\.cycles=/));
      else await new Promise((r) => setTimeout(r, 200));
    }
    if (!stats) throw new Error('METRO measured no second after the loads');
    const ts = parseFigures(await node.command(`BENCH DSP ${TS_SECONDS}`, /^(ts\.last|ERROR)/, 300000));
    if (!('ts.dsp.cycles' in ts)) throw new Error('BENCH DSP printed no ts.dsp.cycles');
    return { stats, ts };
  } finally {
    await node.stop();
  }
}

export default {
  name: 'metrology',
  title:
    `Metrology DSP per sample (3 phases, 4 kHz), ${PLATFORM} under qemu -icount shift=0, one boot:\n` +
    'native C (dsp_process_block) vs the TypeScript port on XS, guest instructions; CPU share of a\n' +
    '168 MHz Cortex-M4 assuming 1 instruction per cycle',
  order: 10,
  columns: [
    { header: 'platform', key: true, align: 'left', value: (r) => r.platform },
    { header: 'samples', value: (r) => (r.nativeSamples == null ? null : `${group(r.nativeSamples)} / ${group(r.tsSamples)}`) },
    { header: 'native instr/sample', value: (r) => r.nativeInstrPerSample?.toFixed(1) },
    { header: 'model instr/sample', value: (r) => r.modelInstrPerSample?.toFixed(1) },
    { header: 'link instr/s', value: (r) => (r.linkInstrPerSecond == null ? null : group(Math.round(r.linkInstrPerSecond))) },
    { header: 'PQ instr/sample', value: (r) => r.pqInstrPerSample?.toFixed(1) },
    { header: 'TS instr/sample', value: (r) => r.tsInstrPerSample?.toFixed(1) },
    { header: 'TS/native', value: (r) => r.ratio?.toFixed(1) },
    { header: 'native CPU @168MHz', value: (r) => (r.nativeCpuShare == null ? null : `${(r.nativeCpuShare * 100).toFixed(2)} %`) },
    { header: 'TS CPU @168MHz', value: (r) => (r.tsCpuShare == null ? null : `${(r.tsCpuShare * 100).toFixed(1)} %`) },
  ],

  async run(ctx) {
    const row = { platform: PLATFORM };
    if (!ctx.platforms.includes(PLATFORM)) return [];
    try {
      const { stats, ts } = await measure(ctx);
      const hz = stats['clock.hz'];
      const instr = (cycles) => (cycles * 1e9) / hz;
      const fs = stats.samples; // samples per channel in one second
      Object.assign(row, {
        clockHz: hz,
        nativeSamples: fs,
        nativeDspCycles: stats['dsp.cycles'],
        nativeModelCycles: stats['model.cycles'],
        tsSamples: ts.samples,
        tsDspCycles: ts['ts.dsp.cycles'],
        nativeDeviceCycles: stats['device.cycles'],
        linkCycles: stats['link.cycles'],
        linkInstrPerSecond: instr(stats['link.cycles']),
        nativeInstrPerSample: instr(stats['dsp.cycles'] + stats['device.cycles']) / fs,
        pqCycles: stats['pq.cycles'],
        pqInstrPerSample: instr(stats['pq.cycles']) / fs,
        modelInstrPerSample: instr(stats['model.cycles']) / fs,
        tsInstrPerSample: instr(ts['ts.dsp.cycles']) / ts.samples,
      });
      row.ratio = row.tsInstrPerSample / row.nativeInstrPerSample;
      row.nativeCpuShare = ((row.nativeInstrPerSample + row.pqInstrPerSample) * 4000) / CPU_HZ;
      row.tsCpuShare = (row.tsInstrPerSample * 4000) / CPU_HZ;
    } catch (e) {
      row.error = String(e.message ?? e).trimEnd();
    }
    return [row];
  },
};
