// Renode boards (docs/renode.md): the boot cost of each role on its dev-kit board, and its RAM
// per region, all in one run:
//  - Renode: `cpu ExecutedInstructions` read by a line hook on USART1 the moment the firmware
//    prints `PARTS started` (the hook runs on the emulation thread, so the count is the line's),
//    and Renode's virtual time then;
//  - QEMU, where it runs the same image (the stm32f405 on netduinoplus2): `-icount shift=0`,
//    SYS BOOT's `parts.cycles` (SysTick cycles at PARTS started) as virtual nanoseconds. That is
//    instructions plus the time the core slept in WFI (QEMU's clock jumps to the next timer while
//    the core sleeps), counted from SysTick's start, not from reset;
//  - RAM per region after boot (SYS MEM right after PARTS started) and at the boot peak (the C
//    heap's high-water mark): SRAM (stack, .data, .bss, the 16-byte reset marker, and the C heap
//    where it is linked there), CCM (XS slots), SDRAM (the stm32f429's C heap). The linked part
//    comes from the image's symbols (arm-none-eabi-nm), the rest from SYS MEM.
// Without Renode the rows say so in a note (no error): the section needs Renode and QEMU.
import { execFileSync } from 'node:child_process';
import { group, parseFigures } from '../lib.mjs';

const BOARDS = [
  { platform: 'stm32f405', role: 'meter', qemu: true },
  { platform: 'stm32f429', role: 'concentrator', qemu: false },
];
// the hook's log line on Renode's output: the instruction count and virtual time at the line
const HOOK_LINE = 'PARTS started';
const HOOK_RE = /BENCHHOOK instructions=(\d+) virtual=([0-9:.]+)/;
const REGIONS = {
  sram: { base: 0x20000000, end: 0x20030000 },
  ccm: { base: 0x10000000, end: 0x10010000 },
  sdram: { base: 0xd0000000, end: 0xd0800000 },
};
const regionOf = (addr) => Object.keys(REGIONS).find((r) => addr >= REGIONS[r].base && addr < REGIONS[r].end) ?? null;

// Linked RAM from the image's symbols: SRAM from its start to the end of .bss, plus the reset
// marker at the top; where the C heap is.
function linked(ctx, platform, role) {
  const fw = ctx.harness.firmwarePath(platform, role);
  const out = execFileSync('arm-none-eabi-nm', [fw], { encoding: 'utf8' });
  const sym = {};
  for (const line of out.split('\n')) {
    const [addr, , name] = line.trim().split(/\s+/);
    if (name) sym[name] = Number.parseInt(addr, 16);
  }
  for (const k of ['__stack_bottom', '__bss_end', '__heap_start', '__heap_end', '__reset_marker']) {
    if (!(k in sym)) throw new Error(`${fw}: no symbol ${k}`);
  }
  return {
    sramLinked: sym.__bss_end - sym.__stack_bottom + 16,
    heapRegion: regionOf(sym.__heap_start),
  };
}

// Virtual time "HH:MM:SS.ffffff" (Renode's TimeInterval) -> milliseconds.
function virtualMs(text) {
  const [h, m, s] = text.split(':').map(Number);
  return Math.round(((h * 60 + m) * 60 + s) * 1e6) / 1e3;
}

async function renodeBoot(ctx, platform, role) {
  const { FirmwareNode } = ctx.harness;
  // print from the hook: Renode's Python prints go to its console (the process's stdout)
  const hook = `sysbus.usart1 AddLineHook "${HOOK_LINE}" "print 'BENCHHOOK instructions=%d virtual=%s' % (machine['sysbus.cpu'].ExecutedInstructions, machine.ElapsedVirtualTime.TimeElapsed)"`;
  const node = await FirmwareNode.start({ platform, role, emulator: 'renode', waitReady: false, monitor: [hook] });
  try {
    let console = '';
    const seen = new Promise((resolve) => {
      const onData = (d) => {
        console = (console + d.toString()).slice(-8000);
        const m = HOOK_RE.exec(console);
        if (m) {
          node.child.stdout.off('data', onData);
          resolve(m);
        }
      };
      node.child.stdout.on('data', onData);
    });
    await node.waitFor(/^PARTS started$/, ctx.readyTimeout * 6);
    const hooked = await Promise.race([
      seen,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no hook line on Renode's console:\n${console.slice(-1500)}`)), 30000)),
    ]);
    const mem = parseFigures(await node.command('SYS MEM', /^c\.stack\.size=/, 60000));
    return { instructions: Number(hooked[1]), virtualMs: virtualMs(hooked[2]), mem };
  } finally {
    await node.stop();
  }
}

async function qemuBoot(ctx, platform, role) {
  const { FirmwareNode } = ctx.harness;
  const node = await FirmwareNode.start({ platform, role, icount: true, waitReady: false });
  try {
    await node.waitFor(/^PARTS started$/, ctx.readyTimeout);
    const sys = parseFigures(await node.command('SYS BOOT', /^boot\.cycles=/));
    if (!('parts.cycles' in sys)) throw new Error('SYS BOOT printed no parts.cycles');
    const mem = parseFigures(await node.command('SYS MEM', /^c\.stack\.size=/));
    return { instructions: Math.round((sys['parts.cycles'] * 1e9) / sys['clock.hz']), mem };
  } finally {
    await node.stop();
  }
}

// RAM per region from SYS MEM and the linked layout: { used, peak, size } each, bytes.
function regions(link, mem, board) {
  const heap = { used: mem['c.heap.used'], peak: mem['c.heap.peak'], size: mem['c.heap.size'] };
  const sramSize = board.platform === 'stm32f429' ? 192 * 1024 : 128 * 1024;
  const out = {
    sram: { used: link.sramLinked, peak: link.sramLinked, size: sramSize },
    // the second data RAM (SYS MEM data.ram=ccm on Renode): one block, allocated whole
    ccm: mem['data.ram.size'] ? { used: mem['data.ram.used'], peak: mem['data.ram.used'], size: mem['data.ram.size'] } : null,
    sdram: null,
  };
  if (link.heapRegion === 'sram') {
    out.sram.used += heap.used;
    out.sram.peak += heap.peak;
  } else if (link.heapRegion === 'sdram') {
    out.sdram = { ...heap };
  }
  return out;
}

const kb = (r, k) => (r?.[k] == null ? null : group(r[k]));
const region = (r) => (r ? `${group(r.used)} / ${group(r.peak)} / ${group(r.size)}` : null);

export default {
  name: 'renode',
  title:
    'Renode dev-kit boards: boot to PARTS started, Renode instructions (cpu ExecutedInstructions) beside\n' +
    'qemu -icount shift=0 virtual ns for the same image (stm32f405 on netduinoplus2; instructions + WFI sleep);\n' +
    'RAM per region after boot: used / boot peak / size, bytes',
  order: 30,
  columns: [
    { header: 'platform', key: true, align: 'left', value: (r) => r.platform },
    { header: 'role', key: true, align: 'left', value: (r) => r.role },
    { header: 'renode instr', value: (r) => kb(r, 'renodeInstructions') },
    { header: 'renode virtual ms', value: (r) => r.renodeVirtualMs?.toFixed(1) },
    { header: 'qemu icount ns', value: (r) => kb(r, 'qemuIcountNs') },
    { header: 'SRAM', value: (r) => region(r.ram?.sram) },
    { header: 'CCM', value: (r) => region(r.ram?.ccm) },
    { header: 'SDRAM', value: (r) => region(r.ram?.sdram) },
  ],

  async run(ctx) {
    const { findRenode, RENODE_INSTALL } = await import('../../tools/renode.mjs');
    const found = findRenode();
    const rows = [];
    for (const board of BOARDS) {
      const row = { platform: board.platform, role: board.role, notes: [] };
      rows.push(row);
      if (!found) {
        row.notes.push(`not measured: ${RENODE_INSTALL}`);
        continue;
      }
      try {
        const link = linked(ctx, board.platform, board.role);
        ctx.log(`renode: ${board.platform}/${board.role} on Renode`);
        const r = await renodeBoot(ctx, board.platform, board.role);
        row.renodeInstructions = r.instructions;
        row.renodeVirtualMs = r.virtualMs;
        row.ram = regions(link, r.mem, board);
        if (board.qemu) {
          ctx.log(`renode: ${board.platform}/${board.role} on QEMU (icount)`);
          const q = await qemuBoot(ctx, board.platform, board.role);
          row.qemuIcountNs = q.instructions;
          // the same image's C heap on QEMU (its CCM stand-in is the SRAM above 128 KB)
          row.qemuCHeap = { used: q.mem['c.heap.used'], peak: q.mem['c.heap.peak'], size: q.mem['c.heap.size'] };
        } else {
          row.qemuIcountNs = null;
          row.notes.push('QEMU has no STM32F429 board');
        }
      } catch (e) {
        row.error = String(e.message ?? e).trimEnd();
      }
    }
    return rows;
  },
};
