// RunService: the one entry through which LEGAL, PLC and NON-LEGAL reach GENERIC. Each part gets
// its own hardened RunService function that serves only the service groups the manifest grants
// it (config.grants) and acts on the part's behalf: a part can delete only its own tasks and
// timers, and sends only from its own tasks.
import type { Kernel, Message, Payload } from './kernel.js';
import type { Shell, ShellPrint } from './shell.js';
import type { Trace } from './trace.js';
import type { Lcd } from './lcd.js';
import type { TimerModule } from './timer.js';

export type PartName = 'legal' | 'plc' | 'nonlegal';
export const PART_TITLES: { readonly [p in PartName | 'generic']: string } = Object.freeze({
  generic: 'GENERIC',
  legal: 'LEGAL',
  plc: 'PLC',
  nonlegal: 'NON-LEGAL',
});

export interface SemaphoreHandle {
  take(timeoutMs?: number): Promise<boolean>;
  give(): boolean;
  value(): number;
}

export interface PartVersion {
  readonly part: string;
  readonly version: string;
  readonly sha256: string;
  readonly status: string;
}

// The catalogue: service name -> signature. Groups are the part before the first dot.
export interface Services {
  'task.create'(options: { name: string; priority: number; queue: number; onMessage: (m: Message) => void }): number;
  'task.delete'(task: number): boolean;
  'task.find'(name: string): number | undefined;
  'msg.send'(from: number, to: number, id: number, payload?: Payload): number;
  'msg.receive'(task: number, timeoutMs?: number): Promise<Message | undefined>;
  'timer.create'(options: { name: string; period: number; repeat: boolean; onTimer: () => void }): number;
  'timer.start'(timer: number, periodMs?: number): boolean;
  'timer.stop'(timer: number): boolean;
  'timer.delete'(timer: number): boolean;
  'timer.module'(): TimerModule;
  'sem.binary'(initial?: number): SemaphoreHandle;
  'sem.counting'(max: number, initial?: number): SemaphoreHandle;
  trace(level: number, text: string): void;
  'shell.register'(
    module: string,
    command: string,
    params: number | readonly [number, number],
    help: string,
    handler: (params: number[], print: ShellPrint) => void,
    symbols?: { readonly [name: string]: number },
  ): void;
  'shell.print'(text: string): void;
  'lcd.print'(line: number, text: string): void;
  'lcd.text'(): readonly string[];
  'misc.random'(): number;
  'misc.time'(): number;
  'misc.uptime'(): number;
  'misc.versions'(): readonly PartVersion[];
  config(): unknown;
  'driver.get'(name: string): unknown;
  /** Verifies the caller's candidate slot (fwupdate.ts): ok, or why not; the image's version. */
  'fw.verify'(): FwCheck;
  /** Swaps the caller's verified candidate in, after config.fwupdate.activateDelayMs; why not, or undefined. */
  'fw.activate'(): string | undefined;
  /** Whether the caller's running image is still in test state (its slot then holds the image a revert needs). */
  'fw.testing'(): boolean;
}

/** What fw.verify answers. */
export interface FwCheck {
  readonly ok: boolean;
  readonly reason: string;
  readonly version: string;
}

/** GENERIC's firmware update as the fw services reach it (set once fwupdate.ts runs). */
export interface FwService {
  verify(part: PartName): FwCheck;
  activate(part: PartName): string | undefined;
  testing(part: PartName): boolean;
}

export type ServiceName = keyof Services;
export type RunServiceFn = <K extends ServiceName>(name: K, ...args: Parameters<Services[K]>) => ReturnType<Services[K]>;

export interface ServiceContext {
  kernel: Kernel;
  shell: Shell;
  trace: Trace;
  lcd: Lcd;
  print: ShellPrint;
  random(): number;
  uptime(): number;
  /** The system's wall clock, ms since 1970 (SYS TIME sets it); Date.now() where not given. */
  time?(): number;
  versions(): readonly PartVersion[];
  timerModule(owner: string): TimerModule;
  drivers: { readonly [name: string]: unknown }; // hardened driver objects by name
  config: { readonly [part: string]: unknown };
  /** The fw services' side; undefined where fwupdate.ts does not run (yet). */
  fw?: FwService;
}

export class ServiceError extends Error {
  override name = 'ServiceError';
}

const freeze: <T>(v: T) => T = typeof harden === 'function' ? harden : (v) => Object.freeze(v);

type Impl = { [K in ServiceName]: (caller: Caller, ...args: Parameters<Services[K]>) => ReturnType<Services[K]> };
interface Caller {
  readonly part: PartName;
  readonly title: string;
  readonly granted: ReadonlySet<string>;
}

// One table serves every part (each closure costs RAM on the STM32F405); the caller's identity
// comes from the RunService function bound to it.
function makeTable(ctx: ServiceContext): Impl {
  const ownTask = (c: Caller, id: number) => ctx.kernel.taskOwner(id) === c.part;
  const sem = (c: Caller, max: number, initial: number): SemaphoreHandle => {
    const s = ctx.kernel.semaphore(max, initial);
    return freeze({ take: (t?: number) => s.take(t ?? Infinity, c.part), give: () => s.give(), value: () => s.value });
  };
  return {
    'task.create': (c, o) =>
      ctx.kernel.createTask({ name: o.name, owner: c.part, priority: o.priority, queue: o.queue, handler: o.onMessage }),
    'task.delete': (c, id) => ctx.kernel.deleteTask(id, c.part),
    'task.find': (_c, name) => ctx.kernel.findTask(name),
    'msg.send': (c, from, to, id, payload) => {
      if (!ownTask(c, from)) throw new ServiceError(`${c.title} cannot send as task ${from}`);
      return ctx.kernel.send(from, to, id, payload);
    },
    'msg.receive': (c, task, timeout) => {
      if (!ownTask(c, task)) throw new ServiceError(`${c.title} cannot receive for task ${task}`);
      return ctx.kernel.receive(task, timeout ?? Infinity);
    },
    'timer.create': (c, o) =>
      ctx.kernel.createTimer({ name: o.name, owner: c.part, period: o.period, repeat: o.repeat, callback: o.onTimer }),
    'timer.start': (c, id, period) => ctx.kernel.timerOwner(id) === c.part && ctx.kernel.startTimer(id, period),
    'timer.stop': (c, id) => ctx.kernel.timerOwner(id) === c.part && ctx.kernel.stopTimer(id),
    'timer.delete': (c, id) => ctx.kernel.deleteTimer(id, c.part),
    'timer.module': (c) => ctx.timerModule(c.part),
    'sem.binary': (c, initial) => sem(c, 1, initial ?? 0),
    'sem.counting': (c, max, initial) => sem(c, max, initial ?? 0),
    trace: (c, level, text) => ctx.trace.log(level, c.title, text),
    'shell.register': (c, module, command, params, help, handler, symbols) =>
      ctx.shell.register({ module, command, params, help, owner: c.part, handler, symbols }),
    'shell.print': (_c, text) => ctx.print(String(text)),
    'lcd.print': (_c, line, text) => ctx.lcd.print(line, text),
    'lcd.text': () => ctx.lcd.text(),
    'misc.random': () => ctx.random(),
    'misc.time': () => (ctx.time ? ctx.time() : Date.now()),
    'misc.uptime': () => ctx.uptime(),
    'misc.versions': () => ctx.versions(),
    config: (c) => ctx.config[c.part],
    'driver.get': (c, name) => {
      if (!c.granted.has(`driver.${name}`)) throw new ServiceError(`driver ${name} not granted to ${c.title}`);
      // a driver made per part (flash: each part's own areas) is stored as <name>.<part>
      const d = ctx.drivers[`${name}.${c.part}`] ?? ctx.drivers[name];
      if (d === undefined) throw new ServiceError(`no driver ${name}`);
      return d;
    },
    'fw.verify': (c) => (ctx.fw ? ctx.fw.verify(c.part) : { ok: false, reason: 'no firmware update on this board', version: '' }),
    'fw.activate': (c) => (ctx.fw ? ctx.fw.activate(c.part) : 'no firmware update on this board'),
    'fw.testing': (c) => (ctx.fw ? ctx.fw.testing(c.part) : false),
  };
}

const tables = new WeakMap<ServiceContext, Impl>();

export function makeRunService(part: PartName, grants: readonly string[], ctx: ServiceContext): RunServiceFn {
  let table = tables.get(ctx);
  if (!table) {
    table = makeTable(ctx);
    tables.set(ctx, table);
  }
  const impl = table;
  const caller: Caller = Object.freeze({ part, title: PART_TITLES[part], granted: new Set(grants) });
  function RunService<K extends ServiceName>(name: K, ...args: Parameters<Services[K]>): ReturnType<Services[K]> {
    const fn = Object.hasOwn(impl, name) ? impl[name] : undefined;
    if (!fn) throw new ServiceError(`unknown service ${String(name)}`);
    const group = String(name).split('.')[0]!;
    // driver.get checks the grant of the driver asked for (driver.<name>) itself
    if (group !== 'driver' && !caller.granted.has(group) && !caller.granted.has(String(name)))
      throw new ServiceError(`service ${String(name)} not granted to ${caller.title}`);
    return (fn as (c: Caller, ...a: unknown[]) => ReturnType<Services[K]>)(caller, ...args);
  }
  return freeze(RunService);
}
