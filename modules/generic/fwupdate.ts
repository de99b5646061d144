// The runtime swap of PLC and NON-LEGAL (docs/firmware-update.md): the signed candidate in the
// part's SPI NOR slot is verified (drivers/fwimage: key, part, role, security counter), the part
// is stopped (its tasks and timers deleted, messages to them discarded and counted, its shell
// commands and optical port closed, its modules dropped from XS's module map), its internal-flash
// region and the slot are swapped sector by sector through the scratch area (MCUboot's
// swap-scratch; progress in the swap-state journal, fwjournal.ts, so a power cut at any
// operation resumes), the image table entry is checked again and the part's entryPoint runs in
// the same XS machine. LEGAL keeps measuring: every step yields to the event loop.
// The new image is in test state until its health check passes within
// config.fwupdate.healthTimeoutMs (its task answers X_SYS_PING); otherwise, or after a reboot
// in test state, the same swap puts the previous image back.
import Timer from 'timer';
import { CRC32 } from 'crc';
import type { FlashArea, FlashDriver } from 'drivers/spinor/flash';
import { FwJournal, FwKind, FwPurpose, FW_HEALTH_TEXT, type FwState, type FwSwap } from './fwjournal.js';
import type { Kernel, Message } from './kernel.js';
import type { Shell } from './shell.js';
import { type Trace, TraceLevel } from './trace.js';
import { X_SYS_PING, X_SYS_PONG } from './ids.js';
import { type ImageInfo, millis } from './platform.js';

export interface FwUpdateConfig {
  /** Time the new image has to pass its health check, ms (default 30000). */
  readonly healthTimeoutMs?: number;
  /** Interval of the health check's pings, ms (default 500). */
  readonly healthPollMs?: number;
  /** Delay between fw.activate (DLMS image_activate) and the swap, so the answer goes out first, ms (default 1000). */
  readonly activateDelayMs?: number;
}

export type FwPart = 'plc' | 'nonlegal';

/** What main.ts lends: stopping and starting a part, its image table entry. */
export interface FwHost {
  /** Deletes its tasks and timers, unregisters its commands, closes its ports; returns the tasks deleted. */
  stopPart(part: FwPart): number;
  /** Runs the part's entryPoint; undefined, or why it failed. */
  startPart(part: FwPart): Promise<string | undefined>;
  /** Reads the part's image table entry again. */
  refreshImage(index: number): ImageInfo;
  /** The part's image table entry as it stands, and its status (running, stopped, ...). */
  image(index: number): ImageInfo;
  versionText(v: number): string;
}

interface VerifyResult {
  readonly reason: number;
  readonly text: string;
  readonly version: string;
  readonly securityCounter: number;
  readonly total: number;
  readonly arenaPeak: number;
  readonly arenaAllocs: number;
}

const verifyNative = native<(offset: number, size: number, part: number, counter: number) => VerifyResult>('xs_fwimage_verify');
const regionSize = native<(part: number) => number>('xs_fwimage_region_size');
const regionRead = native<(part: number, offset: number, view: Uint8Array) => void>('xs_fwimage_region_read');
const regionWrite = native<(part: number, offset: number, view: Uint8Array) => void>('xs_fwimage_region_write');
const partUnload = native<(part: number) => number>('xs_runtime_part_unload');
const partLoad = native<(part: number) => string>('xs_runtime_part_load');

const SECTOR = 4096;
const INDEX: { readonly [p in FwPart]: number } = { plc: 2, nonlegal: 3 };
const TITLE = ['GENERIC', 'LEGAL', 'PLC', 'NON-LEGAL'] as const;
/** The task whose answer to X_SYS_PING is the part's health check. */
const HEALTH_TASK: { readonly [p in FwPart]: string } = { plc: 'G3', nonlegal: 'APP' };
const KIND_TEXT: { [k: number]: string } = { 1: 'START', 3: 'DONE', 4: 'CONFIRM', 5: 'REFUSED', 6: 'REVERT', 7: 'BASE' };
const REFUSAL_TEXT = [
  'ok',
  'bad magic',
  'truncated',
  'bad header',
  'bad TLV area',
  'unsigned',
  'hash mismatch',
  'unknown key',
  'bad signature',
  'wrong part',
  'wrong key class for this part',
  'wrong role',
  'rollback',
  'part image header disagrees',
  'read failed',
  'crypto failure',
];
/** Below this many free bytes the journal is compacted between swaps. */
const JOURNAL_RESERVE = 1024;

const partOf = (n: number): FwPart => {
  if (n === 2) return 'plc';
  if (n === 3) return 'nonlegal';
  throw new RangeError(`part ${n}: 2 (PLC) or 3 (NON-LEGAL)`);
};

export interface FwServices {
  readonly kernel: Kernel;
  readonly shell: Shell;
  readonly trace: Trace;
  readonly print: (text: string) => void;
  readonly drivers: { readonly [name: string]: unknown };
}

export interface FwUpdate {
  /** At boot, before PLC and NON-LEGAL start: finishes a cut swap, reverts an image left in test state. */
  recover(): Promise<void>;
  /** fw.verify for a part's own slot (RunService, services.ts). */
  verify(part: string): { ok: boolean; reason: string; version: string };
  /** fw.activate: the swap of the verified slot, after activateDelayMs; why not, or undefined. */
  activate(part: string): string | undefined;
  /** fw.testing: whether the part's running image is still in test state (not yet confirmed). */
  testing(part: string): boolean;
}

export function startFwUpdate(cfg: FwUpdateConfig | undefined, host: FwHost, sv: FwServices): FwUpdate | undefined {
  const { kernel, shell, trace, print } = sv;
  const healthTimeout = cfg?.healthTimeoutMs ?? 30000;
  const healthPoll = cfg?.healthPollMs ?? 500;
  const generic = sv.drivers['flash.generic'] as FlashDriver | undefined;
  if (!generic) return undefined; // no flash areas: said by flash.ts
  const crc = new CRC32(0x04c11db7, 0xffffffff, true, true, 0xffffffff);
  const journal = new FwJournal(generic.open('swap-state'), (b) => crc.reset().checksum(b) >>> 0);
  const scratch = generic.open('scratch');
  const slotOf = (p: FwPart): FlashArea => (sv.drivers[`flash.${p}`] as FlashDriver).open(`${p}-slot`);
  const absolute = (a: FlashArea) => Number(/offset=(\d+)/.exec(a.info())?.[1] ?? -1);
  let st: FwState = journal.read();
  let busy = '';
  const health: { [p: string]: { timer?: Timer; deadline: number; version: string } } = {};
  const buf = new Uint8Array(SECTOR);

  const say = (level: TraceLevel, text: string) => {
    print(`FW ${text}\r\n`);
    trace.log(level, 'GENERIC', `fw: ${text}`);
  };
  const record = (kind: FwKind, part: number, arg = 0, index = 0, count = 0, value = 0) => {
    if (!st.swap && journal.free(st) < JOURNAL_RESERVE) st = journal.compact(st);
    return journal.append(st, kind, part, arg, index, count, value);
  };
  const partState = (n: number) => st.parts[n] ?? { counter: 0, test: false, testCounter: 0, sectors: 0 };
  const yieldLoop = () => new Promise<void>((r) => Timer.set(() => r(), 0));

  // The pongs of the health check come to this task, created at the first health check (SYS TASKS
  // lists only what runs).
  let fwTask = 0;
  const healthTask = () =>
    (fwTask ||= kernel.createTask({
      name: 'FW',
      owner: 'generic',
      priority: 1,
      queue: 4,
      handler: (m: Message) => {
        if (m.id !== X_SYS_PONG) return;
        const p = (m.payload as { readonly part?: string } | undefined)?.part;
        for (const part of ['plc', 'nonlegal'] as const)
          if (p === TITLE[INDEX[part]] && health[part] && partState(INDEX[part]).test) confirm(part, 'health check passed');
      },
    }));

  function verify(part: FwPart): VerifyResult {
    const slot = slotOf(part);
    const r = verifyNative(absolute(slot), slot.size, INDEX[part], partState(INDEX[part]).counter);
    if (r.reason) {
      record(FwKind.Refused, INDEX[part], r.reason, 0, 0, r.securityCounter);
      say(TraceLevel.Warning, `${TITLE[INDEX[part]]} refused: ${r.text}`);
    }
    return r;
  }

  // Bytes of the region in use: up to its last byte that is not erased.
  function regionUsed(n: number): number {
    const size = regionSize(n);
    for (let at = size - SECTOR; at >= 0; at -= SECTOR) {
      regionRead(n, at, buf);
      for (let i = SECTOR - 1; i >= 0; i--) if (buf[i] !== 0xff) return at + i + 1;
    }
    return 0;
  }

  // Swaps region and slot, sector by sector through the scratch area; each finished step is
  // marked in the journal, so the swap resumes where a cut stopped it.
  async function runSwap(sw: FwSwap) {
    const slot = slotOf(partOf(sw.part));
    for (let i = 0; i < sw.count; i++) {
      const at = i * SECTOR;
      const via = (i % (scratch.size / SECTOR)) * SECTOR; // wear spread over the scratch area's sectors
      if (sw.done[i]! < 1) {
        scratch.erase(via);
        slot.read(at, buf);
        scratch.program(via, buf);
        journal.mark(sw.table, i, 0);
      }
      if (sw.done[i]! < 2) {
        slot.erase(at);
        regionRead(sw.part, at, buf);
        slot.program(at, buf);
        journal.mark(sw.table, i, 1);
      }
      if (sw.done[i]! < 3) {
        scratch.read(via, buf);
        regionWrite(sw.part, at, buf);
        journal.mark(sw.table, i, 2);
      }
      await yieldLoop(); // LEGAL's second, the shell, the UARTs
    }
    record(FwKind.Done, sw.part, sw.purpose, 0, sw.count);
    st = journal.read();
  }

  async function swap(n: number, purpose: FwPurpose, count: number, counter: number) {
    record(FwKind.Start, n, purpose, 0, count, counter);
    st = journal.read();
    await runSwap(st.swap!);
  }

  // The part's tasks go (messages to them are discarded and counted), then its modules leave
  // the module map: the next import evaluates the image the swap puts in the region.
  function stop(part: FwPart) {
    const tasks = host.stopPart(part);
    const modules = partUnload(INDEX[part]);
    say(TraceLevel.Info, `${TITLE[INDEX[part]]} stopped: tasks=${tasks} modules=${modules}`);
  }

  function loadImage(n: number): ImageInfo {
    partLoad(n);
    return host.refreshImage(n);
  }

  async function startAndCheck(part: FwPart) {
    const n = INDEX[part];
    const img = loadImage(n);
    const why = img.status === 'ok' ? await host.startPart(part) : `image ${img.status}`;
    if (why) {
      await revert(part, 1, why);
      return;
    }
    const h: { timer?: Timer; deadline: number; version: string } = {
      deadline: millis() + healthTimeout,
      version: host.versionText(img.version),
    };
    health[part] = h;
    say(TraceLevel.Info, `${TITLE[n]} ${h.version} test: health check within ${healthTimeout} ms`);
    const check = () => {
      if (!partState(n).test) return;
      if (millis() >= h.deadline) {
        void revert(part, 0, '').catch((e: unknown) => failed(part, e));
        return;
      }
      const to = kernel.findTask(HEALTH_TASK[part]);
      if (to !== undefined) kernel.send(healthTask(), to, X_SYS_PING);
      h.timer = Timer.set(check, healthPoll);
    };
    check();
  }

  function stopHealth(part: FwPart) {
    const h = health[part];
    if (h?.timer) Timer.clear(h.timer);
    delete health[part];
  }

  function confirm(part: FwPart, why: string) {
    const n = INDEX[part];
    const s = partState(n);
    if (!s.test) throw new Error(`${TITLE[n]} is not in test state`);
    stopHealth(part);
    record(FwKind.Confirm, n, 0, 0, 0, s.testCounter);
    st = journal.read();
    say(TraceLevel.Info, `${TITLE[n]} confirmed (${why}) securityCounter=${s.testCounter}`);
  }

  // Puts the previous image back: it is in the slot since the install's swap.
  async function revert(part: FwPart, healthArg: number, detail: string) {
    const n = INDEX[part];
    stopHealth(part);
    busy = `revert ${TITLE[n]}`;
    try {
      say(TraceLevel.Warning, `${TITLE[n]} reverting: ${FW_HEALTH_TEXT[healthArg]}${detail ? `: ${detail}` : ''}`);
      record(FwKind.HealthFail, n, healthArg);
      stop(part);
      await swap(n, FwPurpose.Revert, partState(n).sectors, 0);
      const img = loadImage(n);
      const why = img.status === 'ok' ? await host.startPart(part) : `image ${img.status}`;
      say(
        why ? TraceLevel.Error : TraceLevel.Info,
        `${TITLE[n]} reverted to ${host.versionText(img.version)}${why ? `; it failed too: ${why}` : ''}`,
      );
    } finally {
      busy = '';
    }
  }

  function failed(part: FwPart, e: unknown) {
    busy = '';
    say(TraceLevel.Error, `${TITLE[INDEX[part]]}: ${e instanceof Error ? e.message : String(e)}`);
  }

  async function install(part: FwPart) {
    const n = INDEX[part];
    const slot = slotOf(part);
    busy = `swap ${TITLE[n]}`;
    try {
      const r = verify(part);
      if (r.reason) return;
      const size = Math.min(regionSize(n), slot.size);
      const used = Math.max(r.total, regionUsed(n));
      if (!size || used > size) {
        say(
          TraceLevel.Warning,
          `${TITLE[n]} refused: ${size ? `${used} bytes do not fit the ${size}-byte region` : 'region not writable here'}`,
        );
        return;
      }
      const count = Math.ceil(used / SECTOR);
      say(TraceLevel.Info, `${TITLE[n]} swap ${r.version} securityCounter=${r.securityCounter} sectors=${count}`);
      stop(part);
      await swap(n, FwPurpose.Install, count, r.securityCounter);
      await startAndCheck(part);
    } finally {
      busy = '';
    }
  }

  const run = (part: FwPart, what: Promise<void>) => void what.catch((e: unknown) => failed(part, e));
  const idle = () => {
    if (busy) throw new Error(`busy: ${busy}`);
  };
  const symbols = { PLC: 2, NONLEGAL: 3 };
  shell.register({
    module: 'FW',
    command: 'STATUS',
    params: 0,
    help: '- per updatable part: running version, state, installed security counter; the journal',
    owner: 'generic',
    handler: (_p, out) => {
      for (const part of ['plc', 'nonlegal'] as const) {
        const n = INDEX[part];
        const s = partState(n);
        const img = host.image(n);
        const state = busy.endsWith(TITLE[n]!) ? busy.split(' ')[0] : s.test ? 'test' : 'confirmed';
        out(`FW ${TITLE[n]} ${host.versionText(img.version)} ${img.status} state=${state ?? ''} securityCounter=${s.counter}\r\n`);
      }
      out(`FW journal records=${st.records.length} torn=${st.torn} free=${journal.free(st)}\r\n`);
    },
  });
  shell.register({
    module: 'FW',
    command: 'VERIFY',
    params: 1,
    help: '<part 2 PLC|3 NONLEGAL> - verify the candidate in the part slot',
    owner: 'generic',
    symbols,
    handler: (p, out) => {
      idle();
      const part = partOf(p[0]!);
      const r = verify(part);
      if (!r.reason)
        out(
          `FW VERIFY ${TITLE[INDEX[part]]} ok version=${r.version} securityCounter=${r.securityCounter} size=${r.total} arena.peak=${r.arenaPeak} arena.allocs=${r.arenaAllocs}\r\n`,
        );
    },
  });
  shell.register({
    module: 'FW',
    command: 'SWAP',
    params: 1,
    help: '<part 2 PLC|3 NONLEGAL> - verify the slot, swap it in, run it in test state',
    owner: 'generic',
    symbols,
    handler: (p) => {
      idle();
      const part = partOf(p[0]!);
      if (partState(INDEX[part]).test) throw new Error(`${TITLE[INDEX[part]]} is in test state: FW CONFIRM or FW REVERT first`);
      run(part, install(part));
    },
  });
  shell.register({
    module: 'FW',
    command: 'CONFIRM',
    params: 1,
    help: '<part 2 PLC|3 NONLEGAL> - keep the image in test state',
    owner: 'generic',
    symbols,
    handler: (p) => {
      idle();
      confirm(partOf(p[0]!), 'FW CONFIRM');
    },
  });
  shell.register({
    module: 'FW',
    command: 'REVERT',
    params: 1,
    help: '<part 2 PLC|3 NONLEGAL> - put the previous image back (test state only)',
    owner: 'generic',
    symbols,
    handler: (p) => {
      idle();
      const part = partOf(p[0]!);
      if (!partState(INDEX[part]).test) throw new Error(`${TITLE[INDEX[part]]} is not in test state`);
      run(part, revert(part, 3, ''));
    },
  });
  shell.register({
    module: 'FW',
    command: 'LOG',
    params: 0,
    help: '- the swap-state journal: swaps, confirmations, refusals and reverts',
    owner: 'generic',
    handler: (_p, out) => {
      for (const r of st.records) {
        const what =
          r.kind === FwKind.Refused
            ? ` reason=${REFUSAL_TEXT[r.arg] ?? r.arg} securityCounter=${r.value}`
            : r.kind === FwKind.HealthFail
              ? ` why=${FW_HEALTH_TEXT[r.arg] ?? r.arg}`
              : r.kind === FwKind.Start || r.kind === FwKind.Done
                ? ` ${r.arg ? 'revert' : 'install'} sectors=${r.count}${r.kind === FwKind.Start ? ` securityCounter=${r.value}` : ''}`
                : ` securityCounter=${r.value}`;
        out(`LOG ${r.at} ${KIND_TEXT[r.kind] ?? r.kind} ${TITLE[r.part] ?? r.part}${what}\r\n`);
      }
      out(`records=${st.records.length} torn=${st.torn}\r\n`);
    },
  });

  const own = (part: string): FwPart | undefined => (part === 'plc' || part === 'nonlegal' ? part : undefined);
  const activateDelay = cfg?.activateDelayMs ?? 1000;
  return {
    testing(name) {
      const part = own(name);
      return !!part && partState(INDEX[part]).test;
    },
    verify(name) {
      const part = own(name);
      if (!part) return { ok: false, reason: `part ${name} has no slot`, version: '' };
      if (busy) return { ok: false, reason: `busy: ${busy}`, version: '' };
      const r = verify(part);
      return { ok: !r.reason, reason: r.reason ? r.text : '', version: r.version };
    },
    activate(name) {
      const part = own(name);
      if (!part) return `part ${name} has no slot`;
      if (busy) return `busy: ${busy}`;
      if (partState(INDEX[part]).test) return `${TITLE[INDEX[part]]} is in test state`;
      busy = `activate ${TITLE[INDEX[part]]}`;
      say(TraceLevel.Info, `${TITLE[INDEX[part]]} activation asked: swap in ${activateDelay} ms`);
      Timer.set(() => {
        busy = '';
        run(part, install(part));
      }, activateDelay);
      return undefined;
    },
    async recover() {
      busy = 'recover';
      const changed = new Set<number>();
      try {
        if (st.swap) {
          changed.add(st.swap.part);
          const sw = st.swap;
          say(
            TraceLevel.Warning,
            `${TITLE[sw.part]} resuming a cut ${sw.purpose ? 'revert' : 'swap'} at sector ${sw.done.findIndex((d) => d < 3)}`,
          );
          await runSwap(sw);
        }
        for (const part of ['plc', 'nonlegal'] as const) {
          const n = INDEX[part];
          if (!partState(n).test) continue;
          say(TraceLevel.Warning, `${TITLE[n]} reverting: ${FW_HEALTH_TEXT[2]}`);
          record(FwKind.HealthFail, n, 2);
          await swap(n, FwPurpose.Revert, partState(n).sectors, 0);
          changed.add(n);
        }
        for (const n of changed) loadImage(n);
      } finally {
        busy = '';
      }
    },
  };
}
