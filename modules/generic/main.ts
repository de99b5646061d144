// GENERIC: boots the firmware. Freezes the intrinsics, starts the message service, the shell
// on UART0 and the traces, checks the part images (the C runtime verified their hashes before
// any script ran), then its lowest-priority background task calls entryPoint of LEGAL, PLC and
// NON-LEGAL in that order (see parts.ts for how they are kept apart).
import config from 'mc/config';
import type { Message } from './kernel.js';
import { TraceLevel, TRACE_NAMES } from './trace.js';
import { kernel, shell, trace, lcd, print, timerModule } from './system.js';
import { makeRunService, PART_TITLES, type PartName, type PartVersion, type ServiceContext } from './services.js';
import { startPart, sealGlobals } from './parts.js';
import * as platform from './platform.js';
import { dispatch, listen } from './io.js';
import { CRC8, CRC16, CRC32 } from 'crc';
import Timer from 'timer';
import { metro } from 'drivers/metrology/metro-driver';
import { gridModel } from 'drivers/gridmodel/gridmodel';
import { gridShell } from 'drivers/gridmodel/shell';
import { CLOCK_MAX, CLOCK_MIN } from './shared/messages.js';

lockdown();

interface FirmwareConfig {
  readonly role: string;
  readonly grants: { readonly [part: string]: readonly string[] };
  readonly parts: { readonly [part: string]: unknown };
  readonly shell: { readonly maxLine: number };
  readonly bench?: boolean;
  readonly clockBench?: boolean; // BENCH MASK, BENCH HANG (below)
  readonly dlms?: boolean;
  readonly flash?: import('drivers/spinor/flash').FlashConfig | false;
  readonly fwupdate?: import('./fwupdate.js').FwUpdateConfig;
}
const cfg = config as unknown as FirmwareConfig;

const PART_ORDER: readonly PartName[] = ['legal', 'plc', 'nonlegal'];
const PART_INDEX: { readonly [p in PartName]: number } = { legal: 1, plc: 2, nonlegal: 3 };
const X_BG_START = 1;

kernel.onError = (where, e) => trace.log(TraceLevel.Error, 'GENERIC', `${where}: ${e instanceof Error ? e.message : String(e)}`);

platform.attach({
  onTimer: (now) => kernel.tick(now),
  onReadable: dispatch,
});
listen(platform.UART_CONSOLE, (count) => shell.input(new Uint8Array(platform.uartRead(platform.UART_CONSOLE, count))));

const info = platform.sysInfo();
const images = platform.sysImages();
const partStatus: { [p: string]: string } = {};

function versions(): readonly PartVersion[] {
  return Object.freeze(
    images.map((img) =>
      Object.freeze({
        part: img.part,
        version: platform.versionText(img.version),
        sha256: img.sha256,
        status: partStatus[img.part] ?? img.status,
      }),
    ),
  );
}

// Granted per part by the manifest. The DLMS drivers (crypto, optical) load before the parts
// start, only where config.dlms asks for them. The NVRAM is bound on every role, split into one
// area per part; LEGAL's metrology and grid-model additions only where its event log is enabled (their natives
// and bytecode cost RAM). The whole table is hardened before any part runs.
const drivers: { [name: string]: unknown } = { crc: { CRC8, CRC16, CRC32 }, metro, gridmodel: gridModel };
const eventLog = (cfg.parts.legal as { readonly eventLog?: boolean } | undefined)?.eventLog !== false;
const legalDrivers = Promise.all([
  import('drivers/nvram/nvram'),
  eventLog ? import('drivers/metrology/metro-legal') : undefined,
  eventLog ? import('drivers/gridmodel/grid-events') : undefined,
]).then(([n, m, g]) => {
  if (m) drivers.metro = { ...metro, ...m.metroLegal };
  if (g) drivers.gridmodel = { ...gridModel, ...g.gridEvents };
  // LEGAL's records, PLC's frame counter and NON-LEGAL's counters share the FRAM, each in its own area
  const areas = n.nvramAreas(n.nvram);
  drivers.nvram = areas.legal;
  drivers.plcstore = areas.plc;
  drivers.nvstore = areas.nonlegal;
});

// The SPI NOR's flash areas (config.flash, flash.ts): checked against the chip at boot, each
// part granted its own as driver "flash". (flash.ts is not in the STM32F405's archive: its
// names would grow that board's key table.)
// The runtime swap of PLC and NON-LEGAL from their slots (fwupdate.ts) comes with them.
let fw: import('./fwupdate.js').FwUpdate | undefined;
let closeOptical: (() => number) | undefined;
const flashDrivers = cfg.flash
  ? import('drivers/spinor/flash')
      // GENERIC's own areas (swap-state, scratch) as drivers['flash.generic']: no part is granted it
      .then((f) => f.startFlash(cfg.flash || undefined, drivers, shell, trace, [...PART_ORDER, 'generic']))
      .then(() => import('./fwupdate.js'))
      .then((u) => {
        fw = u.startFwUpdate(
          cfg.fwupdate,
          {
            stopPart: (part) => {
              const tasks = kernel.deleteOwner(part);
              shell.unregisterOwner(part);
              if (part === 'nonlegal') closeOptical?.();
              partStatus[PART_TITLES[part]] = 'stopped';
              return tasks;
            },
            startPart: runPart,
            refreshImage: (index) => {
              images[index] = platform.sysImages()[index]!;
              delete partStatus[images[index]!.part];
              return images[index]!;
            },
            image: (index) => ({ ...images[index]!, status: partStatus[images[index]!.part] ?? images[index]!.status }),
            versionText: platform.versionText,
          },
          { kernel, shell, trace, print, drivers },
        );
        // the fw services (RunService fw.verify, fw.activate: the DLMS image transfer)
        if (fw) ctx.fw = fw;
      })
  : undefined;
// Where the manifest sets config.flash false (the STM32F405: its RAM holds no area table) only
// the chip's bring-up check: erase the 4 KB sector at addr, program 12 bytes of value across the
// page boundary at addr + 250, read 16 bytes back from addr + 248.
if (cfg.flash === false) {
  const check = native<(addr: number, value: number) => string>('xs_spinor_check'); // native() goes before the parts start
  shell.register({
    module: 'FLASH',
    command: 'CHECK',
    params: 2,
    help: '<sector addr> <value> - SPI NOR chip line, erase, program across a page, read back',
    owner: 'generic',
    handler: (p, out) => out(`FLASH ${check(p[0]!, p[1]!)}\r\n`),
  });
}

// The system's wall clock is the platform's, what Date reads (the host's on lin, the medium's on
// its simulated clock; on a board, the time since reset from the epoch, as an RTC without a
// backup battery). SYS TIME sets it in the host (board_set_time_ms), not as an offset here, so
// every part sees it, through misc.time or Date: a concentrator on a board learns the date from
// its Host Unit.
const wallClock = (): number => Date.now();

const ctx: ServiceContext = {
  kernel,
  shell,
  trace,
  lcd,
  print,
  random: () => platform.sysRandom(),
  uptime: () => platform.millis(),
  time: wallClock,
  versions,
  timerModule,
  drivers,
  config: cfg.parts,
};

// ---- SYS commands ----

shell.register({
  module: 'SYS',
  command: 'VERSION',
  params: 0,
  help: '- one line per part: name, version, SHA-256, status',
  owner: 'generic',
  handler: (_p, out) => {
    out(`FIRMWARE ${cfg.role} board=${info.board} build=${info.build} xs=${info.xs}\r\n`);
    for (const v of versions()) out(`${v.part} ${v.version} ${v.sha256} ${v.status}\r\n`);
  },
});
shell.register({
  module: 'SYS',
  command: 'TASKS',
  params: 0,
  help: '- tasks, priorities, queue depths, discarded messages',
  owner: 'generic',
  handler: (_p, out) => {
    out('ID NAME OWNER PRIO DEPTH/CAP PEAK HANDLED DROPPED\r\n');
    for (const t of kernel.taskList()) {
      out(
        `${t.id} ${t.name} ${PART_TITLES[t.owner as PartName] ?? t.owner} ${t.priority} ${t.depth}/${t.capacity} ${t.peak} ${t.handled} ${t.dropped}\r\n`,
      );
    }
    for (const d of kernel.deletedList()) out(`${d.id} ${d.name} DELETED discarded=${d.discarded}\r\n`);
    out(`discarded=${kernel.discarded} refused=${kernel.refused} errors=${kernel.handlerErrors} timers=${kernel.timerCount()}\r\n`);
  },
});
shell.register({
  module: 'SYS',
  command: 'MEM',
  params: 0,
  help: '- XS chunks and slots with peaks, second data RAM (XS slots), C heap, C stack high-water',
  owner: 'generic',
  handler: (_p, out) => {
    platform.sysGc(); // live figures, not garbage waiting for the collector
    const m = platform.sysMem();
    out(`xs.chunks=${m.chunks} xs.chunks.peak=${m.chunksPeak} xs.chunks.reserved=${m.chunksMax}\r\n`);
    out(`xs.slots=${m.slots} xs.slots.peak=${m.slotsPeak} xs.slots.reserved=${m.slotsMax} xs.slot.size=${m.slotSize}\r\n`);
    out(`xs.keys=${m.keys} xs.stack.slots=${m.stackSlots} xs.stack.peak=${m.stackPeak}\r\n`);
    out(`xs.code.flash=${m.codeFlash} xs.code.ram=${m.codeRam} parts.code=${images.map((i) => i.code).join(',')}\r\n`);
    out(`data.ram=${m.dataRam} data.ram.used=${m.dataRamUsed} data.ram.size=${m.dataRamSize}\r\n`);
    out(`c.heap.used=${m.heapUsed} c.heap.peak=${m.heapPeak} c.heap.size=${m.heapSize}\r\n`);
    out(`c.stack.size=${m.cStack} c.stack.peak=${m.cStackPeak}\r\n`);
  },
});
shell.register({
  module: 'SYS',
  command: 'BOOT',
  params: 0,
  help: '- clock cycles from reset to shell-ready and to PARTS started, and the clock rate',
  owner: 'generic',
  handler: (_p, out) => {
    out(`boot.cycles=${readyCycles} clock.hz=${platform.cycleHz()} uptime.ms=${platform.millis()} parts.cycles=${partsCycles}\r\n`);
  },
});
shell.register({
  module: 'SYS',
  command: 'CLOCK',
  params: 0,
  help: "- the time source: mode, and the simulated clock's counters (lin)",
  owner: 'generic',
  handler: (_p, out) => {
    out(`clock ${platform.sysClock()} uptime.ms=${platform.millis()}\r\n`);
  },
});
shell.register({
  module: 'SYS',
  command: 'TIME',
  params: [0, 1],
  help: "[<unix seconds>] - read or set the system's wall clock (what the parts read as misc.time)",
  owner: 'generic',
  handler: (p, out) => {
    const previous = wallClock();
    if (p.length) {
      const ms = p[0]! * 1000;
      if (!(ms >= CLOCK_MIN && ms < CLOCK_MAX)) throw new RangeError('unix seconds 946684800..4102444799');
      platform.sysSetTime(ms);
    }
    out(`time=${Math.floor(wallClock() / 1000)} previous=${Math.floor(previous / 1000)} offset.ms=${platform.sysTimeOffset()}\r\n`);
  },
});
shell.register({
  module: 'SYS',
  command: 'TRACE',
  params: 1,
  help: '<level> - 0 off, 1 error, 2 warn, 3 info, 4 debug',
  owner: 'generic',
  handler: (p, out) => {
    trace.setLevel(p[0]!);
    out(`trace=${TRACE_NAMES[trace.level]}\r\n`);
  },
});
shell.register({
  module: 'SYS',
  command: 'REBOOT',
  params: 0,
  help: '- restart the firmware',
  owner: 'generic',
  handler: (_p, out) => {
    out('rebooting\r\n');
    platform.sysReboot();
  },
});
shell.register({
  module: 'SYS',
  command: 'SHELL',
  params: 0,
  help: '- shell counters: lines, errors, overlong, binary, UART drops',
  owner: 'generic',
  handler: (_p, out) => {
    const s = shell.stats;
    out(
      `lines=${s.lines} errors=${s.errors} overlong=${s.overlong} binary=${s.binary} uart.dropped=${platform.uartDropped(platform.UART_CONSOLE)}\r\n`,
    );
  },
});
shell.register({
  module: 'LCD',
  command: 'SHOW',
  params: 0,
  help: '- the LCD text, one line each',
  owner: 'generic',
  handler: (_p, out) => {
    lcd.text().forEach((line, i) => {
      out(`LCD${i} ${line}\r\n`);
    });
  },
});
// Bench commands only where the manifest asks for them (not on the STM32F405, whose RAM they
// would take): their module loads after boot.
if (cfg.bench) {
  import('./bench/commands.js').then(
    (m) => m.register(shell),
    (e) => trace.log(TraceLevel.Error, 'GENERIC', `bench: ${e}`),
  );
}
// Clock and watchdog checks (docs/renode.md, "Clock tree, RTC and watchdog"), where the manifest
// sets config.bench or config.clockBench (the stm32f405, where the bench module itself stays off
// for its RAM). Registered here rather than in a module of their own: an import costs that board
// a slot-heap block.
if (cfg.bench || cfg.clockBench) {
  // Interrupts masked that long (a driver that masks them too long): SysTick loses its ticks
  // meanwhile, the RTC does not.
  shell.register({
    module: 'BENCH',
    command: 'MASK',
    params: 1,
    help: '<ms> - interrupts masked for ms (0..10000)',
    owner: 'generic',
    handler: (p, out) => {
      platform.sysMaskIrq(p[0]!);
      out(`masked ms=${p[0]} clock ${platform.sysClock()}\r\n`);
    },
  });
  // A hung task: the event loop never comes round again. A board with a watchdog resets.
  shell.register({
    module: 'BENCH',
    command: 'HANG',
    params: 0,
    help: '- hang the event loop (the watchdog resets the board)',
    owner: 'generic',
    handler: (_p, out) => {
      out('hanging\r\n');
      for (;;) {}
    },
  });
}

// ---- parts ----

async function startParts() {
  await legalDrivers;
  await flashDrivers?.catch((e) => trace.log(TraceLevel.Error, 'GENERIC', `flash: ${e instanceof Error ? e.message : String(e)}`));
  if (cfg.dlms) {
    try {
      const [c, o] = await Promise.all([import('drivers/crypto/crypto-driver'), import('drivers/uart/optical')]);
      drivers.crypto = harden(c.dlmsCrypto);
      drivers.optical = harden(o.opticalPort);
      closeOptical = o.closeOpticalPorts;
    } catch (e) {
      trace.log(TraceLevel.Error, 'GENERIC', `dlms drivers: ${e instanceof Error ? e.message : String(e)}`);
    }
    // The native A-XDR table codec (drivers/axdr): absent from an image without its binding
    // (the STM32F405's), where NON-LEGAL runs the TypeScript table codec instead.
    await import('drivers/axdr/axdr').then(
      (a) => {
        drivers.axdr = harden(a.axdr);
      },
      () => undefined,
    );
  }
  // The head-end link's drivers (deflate, backhaul UART) where the manifest configures it
  // (config.parts.nonlegal.headend: the concentrator on boards with a backhaul UART)
  if ((cfg.parts.nonlegal as { headend?: unknown } | undefined)?.headend) {
    try {
      const [d, b] = await Promise.all([import('drivers/deflate/deflate-driver'), import('drivers/uart/backhaul')]);
      drivers.deflate = harden(d.deflate);
      drivers.backhaul = harden(b.backhaulPort);
    } catch (e) {
      trace.log(TraceLevel.Error, 'GENERIC', `head-end drivers: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // PLC drivers only where the manifest runs the G3 stack (not on the STM32F405, for RAM),
  // loaded before native() goes (plcmodem.ts)
  if ((cfg.parts.plc as { stack?: boolean } | undefined)?.stack)
    Object.assign(drivers, await (await import('drivers/plcmodem/plcmodem')).plcDrivers());
  harden(drivers);
  sealGlobals();
  const legal = images[PART_INDEX.legal]!;
  if (legal.status !== 'ok') {
    safeState(`LEGAL image ${legal.status}`);
    return;
  }
  for (const part of PART_ORDER) {
    // a swap cut by a power loss, or an image left in test state, is settled before they start
    if (part !== 'legal')
      await fw
        ?.recover()
        .catch((e) => trace.log(TraceLevel.Error, 'GENERIC', `fw: recover: ${e instanceof Error ? e.message : String(e)}`));
    const img = images[PART_INDEX[part]]!;
    const title = PART_TITLES[part];
    if (img.status !== 'ok') {
      partStatus[img.part] = `skipped (${img.status})`;
      print(`PART ${title} skipped: image ${img.status}\r\n`);
      trace.log(TraceLevel.Error, 'GENERIC', `${title} image ${img.status}`);
      continue;
    }
    const why = await runPart(part);
    if (why && part === 'legal') {
      safeState(`LEGAL entryPoint failed: ${why}`);
      return;
    }
    // the grid model's commands (METRO LOAD, and HARM, NOISE, LINK unless config.parts.legal
    // scenario is false), once LEGAL has set the front-end's layout
    if (part === 'legal') gridShell(shell, gridModel, (cfg.parts.legal as { readonly scenario?: boolean } | undefined)?.scenario !== false);
  }
  partsCycles = platform.cycles();
  print('PARTS started\r\n');
}

// Runs a part's entryPoint (at boot, and again after a runtime swap): undefined, or why it failed.
async function runPart(part: PartName): Promise<string | undefined> {
  const img = images[PART_INDEX[part]]!;
  const title = PART_TITLES[part];
  try {
    const runService = makeRunService(part, cfg.grants[part] ?? [], ctx);
    await startPart(part, runService);
    partStatus[img.part] = 'running';
    print(`PART ${title} ${platform.versionText(img.version)} started\r\n`);
    return undefined;
  } catch (e) {
    const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    partStatus[img.part] = 'failed';
    kernel.deleteOwner(part);
    shell.unregisterOwner(part);
    if (part !== 'legal') print(`PART ${title} failed: ${why}\r\n`);
    return why;
  }
}

// Legal metrology cannot run: nothing else starts, the shell stays up to say why.
function safeState(why: string) {
  const text = `SAFE STATE: ${why}; metrology stopped, PLC and NON-LEGAL not started\r\n`;
  print(text);
  lcd.print(0, 'LEGAL FAULT');
  lcd.print(1, why);
  Timer.repeat(() => print(text), 10000);
}

const background = kernel.createTask({
  name: 'BG',
  owner: 'generic',
  priority: 0,
  queue: 4,
  handler: (m: Message) => {
    if (m.id === X_BG_START) void startParts();
  },
});

print(`\r\nmeterfw ${cfg.role} on ${info.board} (${info.platform}), XS ${info.xs}, build ${info.build}\r\n`);
for (const v of versions()) {
  if (v.status !== 'ok') print(`IMAGE ${v.part} ${v.status}\r\n`);
}
kernel.send(0, background, X_BG_START);
const readyCycles = platform.cycles();
// cycles at PARTS started (0 before): the bench's boot cost of the whole firmware
let partsCycles = 0;
print('MNSH ready\r\n');
