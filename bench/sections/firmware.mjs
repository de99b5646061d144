// Firmware bench: per platform and role, the image's text/data/bss, RAM in use once the four
// parts have started, guest instructions from reset to shell-ready on the boards (qemu -icount
// shift=0), and wall-clock boot time of the Linux build. Every figure is measured in this run:
// sizes with size(1) on the built firmware (checked against build/<platform>/<role>/size.json),
// RAM and boot cost from the firmware's own SYS MEM / SYS BOOT shell commands.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { group, parseFigures, pool, stats } from '../lib.mjs';

// SYS MEM key -> report field
const RAM_FIELDS = {
  'xs.chunks': 'xsChunks',
  'xs.chunks.peak': 'xsChunksPeak',
  'xs.chunks.reserved': 'xsChunksReserved',
  'xs.slots': 'xsSlots',
  'xs.slots.peak': 'xsSlotsPeak',
  'xs.slots.reserved': 'xsSlotsReserved',
  'xs.slot.size': 'xsSlotSize',
  'xs.keys': 'xsKeys',
  'xs.stack.slots': 'xsStackSlots',
  'c.heap.used': 'cHeapUsed',
  'c.heap.peak': 'cHeapPeak',
  'c.heap.size': 'cHeapSize',
  'data.ram.used': 'dataRamUsed', // second data RAM holding XS slots (stm32f405: CCM), 0 if none
  'data.ram.size': 'dataRamSize',
  'c.stack.size': 'cStackSize',
  'c.stack.peak': 'cStackPeak',
};

function measureSize(ctx, platform, role) {
  const file = join(ctx.root, 'build', platform, role, 'size.json');
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${file} (${e.message}): run node tools/build.mjs`);
  }
  const fw = ctx.harness.firmwarePath(platform, role);
  const tool = platform === 'lin' ? 'size' : 'arm-none-eabi-size';
  const out = execFileSync(tool, ['-B', fw], { encoding: 'utf8' });
  const [text, data, bss] = out.split('\n')[1].trim().split(/\s+/).map(Number);
  if (recorded.text !== text || recorded.data !== data || recorded.bss !== bss) {
    throw new Error(
      `size.json is stale: it says text/data/bss ${recorded.text}/${recorded.data}/${recorded.bss}, ` +
        `${tool} ${fw} says ${text}/${data}/${bss}; rebuild with node tools/build.mjs`,
    );
  }
  return { build: recorded.build ?? null, text, data, bss };
}

// One boot: spawn, wait for the shell and the parts, optionally query SYS MEM and SYS BOOT.
async function boot(ctx, platform, role, { icount, query }) {
  const { FirmwareNode } = ctx.harness;
  const t0 = performance.now();
  const node = await FirmwareNode.start({ platform, role, icount, waitReady: false });
  try {
    await node.waitFor(/^MNSH ready$/, ctx.readyTimeout);
    const readyMs = performance.now() - t0;
    await node.waitFor(/^PARTS started$/, ctx.readyTimeout);
    const partsMs = performance.now() - t0;
    if (!query) return { readyMs, partsMs };
    const memLines = await node.command('SYS MEM', /^c\.stack\.size=/);
    const mem = parseFigures(memLines);
    for (const k of Object.keys(RAM_FIELDS)) {
      if (!(k in mem)) throw new Error(`SYS MEM printed no ${k}: ${memLines.join(' | ')}`);
    }
    const bootLines = await node.command('SYS BOOT', /^boot\.cycles=/);
    const sys = parseFigures(bootLines);
    for (const k of ['boot.cycles', 'clock.hz']) {
      if (!(k in sys)) throw new Error(`SYS BOOT printed no ${k}: ${bootLines.join(' | ')}`);
    }
    return { readyMs, partsMs, mem, sys };
  } finally {
    await node.stop();
  }
}

function ramOf(platform, mem, notes) {
  const ram = {};
  for (const [k, field] of Object.entries(RAM_FIELDS)) {
    ram[field] = mem[k];
    if (field === 'xsSlotSize') ram.xsSlotBytes = mem['xs.slots'] * mem['xs.slot.size'];
  }
  if (platform === 'lin') {
    // A stack peak of 0 would mean the stack was not painted: report it as not measured.
    if (ram.cStackPeak === 0) {
      ram.cStackPeak = null;
      notes.push('C stack peak not measured (stack not painted)');
    }
    if (ram.cHeapSize === 0) ram.cHeapSize = null;
  }
  return ram;
}

function bootOf(sys) {
  return { cycles: sys['boot.cycles'], clockHz: sys['clock.hz'] };
}

// Guest instructions under -icount shift=0: one instruction per virtual nanosecond.
function instructions(sys) {
  return Math.round((sys['boot.cycles'] * 1e9) / sys['clock.hz']);
}

async function measureLin(ctx, row) {
  const ready = [];
  const parts = [];
  for (let i = 0; i < ctx.linRuns; i++) {
    ctx.log(`firmware: ${row.platform}/${row.role} boot ${i + 1}/${ctx.linRuns}`);
    const r = await boot(ctx, row.platform, row.role, { icount: false, query: i === 0 });
    ready.push(r.readyMs);
    parts.push(r.partsMs);
    if (r.mem) {
      row.ram = ramOf(row.platform, r.mem, row.notes);
      row.boot = bootOf(r.sys);
    }
  }
  row.linBootMs = stats(ready);
  row.linPartsMs = stats(parts);
}

async function measureBoard(ctx, row) {
  const counts = [];
  for (let i = 0; i < ctx.boardRuns; i++) {
    ctx.log(`firmware: ${row.platform}/${row.role} boot ${i + 1}/${ctx.boardRuns} (icount)`);
    const r = await boot(ctx, row.platform, row.role, { icount: true, query: true });
    if (i === 0) {
      row.ram = ramOf(row.platform, r.mem, row.notes);
      row.boot = bootOf(r.sys);
    }
    counts.push(instructions(r.sys));
  }
  row.bootInstructions = counts[0];
  if (counts.some((c) => c !== counts[0])) {
    row.notes.push(`boot instructions differ between icount runs: ${counts.join(', ')}`);
  }
}

// Fixed key order; bootInstructions only on boards, linBootMs/linPartsMs only on lin.
function shape(r) {
  const out = {
    platform: r.platform,
    role: r.role,
    build: r.build ?? null,
    text: r.text ?? null,
    data: r.data ?? null,
    bss: r.bss ?? null,
    ram: r.ram ?? null,
    boot: r.boot ?? null,
  };
  if (r.platform === 'lin') {
    out.linBootMs = r.linBootMs ?? null;
    out.linPartsMs = r.linPartsMs ?? null;
  } else {
    out.bootInstructions = r.bootInstructions ?? null;
  }
  if (r.notes.length) out.notes = r.notes;
  if (r.error) out.error = r.error;
  return out;
}

const ms = (s) => (s ? `${s.median.toFixed(1)} (${s.min.toFixed(1)}-${s.max.toFixed(1)})` : null);
const num = (v) => (v === null || v === undefined ? null : group(v));

export default {
  name: 'firmware',
  title:
    'Firmware: size (bytes), RAM after PARTS started (post-GC), boot instructions (qemu -icount shift=0),\n' +
    'lin wall ms from spawn to MNSH ready / PARTS started as median (min-max)',
  order: 0,
  // rows go to report.firmware rather than report.sections.firmware
  topLevel: true,
  columns: [
    { header: 'platform', key: true, align: 'left', value: (r) => r.platform },
    { header: 'role', key: true, align: 'left', value: (r) => r.role },
    { header: 'text', value: (r) => num(r.text) },
    { header: 'data', value: (r) => num(r.data) },
    { header: 'bss', value: (r) => num(r.bss) },
    { header: 'xs chunks B', value: (r) => num(r.ram?.xsChunks) },
    { header: 'xs slots', value: (r) => num(r.ram?.xsSlots) },
    { header: 'xs slots B', value: (r) => num(r.ram?.xsSlotBytes) },
    { header: 'c heap used B', value: (r) => num(r.ram?.cHeapUsed) },
    { header: 'data ram used B', value: (r) => num(r.ram?.dataRamUsed) },
    { header: 'c stack peak B', value: (r) => num(r.ram?.cStackPeak) },
    { header: 'boot instr', value: (r) => num(r.bootInstructions) },
    { header: 'lin ready ms', value: (r) => ms(r.linBootMs) },
    { header: 'lin parts ms', value: (r) => ms(r.linPartsMs) },
  ],

  async run(ctx) {
    const rows = [];
    for (const platform of ctx.platforms) {
      for (const role of ctx.roles) rows.push({ platform, role, notes: [] });
    }
    for (const row of rows) {
      try {
        Object.assign(row, measureSize(ctx, row.platform, row.role));
      } catch (e) {
        row.error = String(e.message ?? e).trimEnd();
      }
    }
    // Linux boots first and one at a time, so that QEMU does not skew their wall-clock time.
    for (const row of rows.filter((r) => r.platform === 'lin' && !r.error)) {
      try {
        await measureLin(ctx, row);
      } catch (e) {
        row.error = String(e.message ?? e).trimEnd();
      }
    }
    await pool(
      rows.filter((r) => r.platform !== 'lin' && !r.error),
      ctx.jobs,
      async (row) => {
        try {
          await measureBoard(ctx, row);
        } catch (e) {
          row.error = String(e.message ?? e).trimEnd();
        }
      },
    );
    return rows.map(shape);
  },
};
