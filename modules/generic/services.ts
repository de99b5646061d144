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
  generic: 'GENERIC', legal: 'LEGAL', plc: 'PLC', nonlegal: 'NON-LEGAL',
});

export interface SemaphoreHandle {
  take(timeoutMs?: number): Promise<boolean>;
  give(): boolean;
  value(): number;
}

export interface PartVersion { readonly part: string; readonly version: string; readonly sha256: string; readonly status: string }

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
  'trace'(level: number, text: string): void;
  'shell.register'(module: string, command: string, params: number | readonly [number, number], help: string,
    handler: (params: number[], print: ShellPrint) => void): void;
  'shell.print'(text: string): void;
  'lcd.print'(line: number, text: string): void;
  'lcd.text'(): readonly string[];
  'misc.random'(): number;
  'misc.time'(): number;
  'misc.uptime'(): number;
  'misc.versions'(): readonly PartVersion[];
  'config'(): unknown;
  'driver.get'(name: string): unknown;
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
  versions(): readonly PartVersion[];
  timerModule(owner: string): TimerModule;
  drivers: { readonly [name: string]: unknown };      // hardened driver objects by name
  config: { readonly [part: string]: unknown };
}

export class ServiceError extends Error {
  override name = 'ServiceError';
}

const freeze: <T>(v: T) => T = typeof harden === 'function' ? harden : (v) => Object.freeze(v);

export function makeRunService(part: PartName, grants: readonly string[], ctx: ServiceContext): RunServiceFn {
  const title = PART_TITLES[part];
  const granted = new Set(grants);
  const ownTask = (id: number) => ctx.kernel.taskOwner(id) === part;
  const sem = (max: number, initial: number): SemaphoreHandle => {
    const s = ctx.kernel.semaphore(max, initial);
    return freeze({ take: (t?: number) => s.take(t ?? Infinity, part), give: () => s.give(), value: () => s.value });
  };
  const table: { [K in ServiceName]: Services[K] } = {
    'task.create': (o) => ctx.kernel.createTask({ name: o.name, owner: part, priority: o.priority, queue: o.queue, handler: o.onMessage }),
    'task.delete': (id) => ctx.kernel.deleteTask(id, part),
    'task.find': (name) => ctx.kernel.findTask(name),
    'msg.send': (from, to, id, payload) => {
      if (!ownTask(from)) throw new ServiceError(`${title} cannot send as task ${from}`);
      return ctx.kernel.send(from, to, id, payload);
    },
    'msg.receive': (task, timeout) => {
      if (!ownTask(task)) throw new ServiceError(`${title} cannot receive for task ${task}`);
      return ctx.kernel.receive(task, timeout ?? Infinity);
    },
    'timer.create': (o) => ctx.kernel.createTimer({ name: o.name, owner: part, period: o.period, repeat: o.repeat, callback: o.onTimer }),
    'timer.start': (id, period) => ctx.kernel.startTimer(id, period),
    'timer.stop': (id) => ctx.kernel.stopTimer(id),
    'timer.delete': (id) => ctx.kernel.deleteTimer(id, part),
    'timer.module': () => ctx.timerModule(part),
    'sem.binary': (initial) => sem(1, initial ?? 0),
    'sem.counting': (max, initial) => sem(max, initial ?? 0),
    'trace': (level, text) => ctx.trace.log(level, title, text),
    'shell.register': (module, command, params, help, handler) =>
      ctx.shell.register({ module, command, params, help, owner: part, handler }),
    'shell.print': (text) => ctx.print(String(text)),
    'lcd.print': (line, text) => ctx.lcd.print(line, text),
    'lcd.text': () => ctx.lcd.text(),
    'misc.random': () => ctx.random(),
    'misc.time': () => Date.now(),
    'misc.uptime': () => ctx.uptime(),
    'misc.versions': () => ctx.versions(),
    'config': () => ctx.config[part],
    'driver.get': (name) => {
      if (!granted.has(`driver.${name}`)) throw new ServiceError(`driver ${name} not granted to ${title}`);
      const d = ctx.drivers[name];
      if (d === undefined) throw new ServiceError(`no driver ${name}`);
      return d;
    },
  };
  function RunService<K extends ServiceName>(name: K, ...args: Parameters<Services[K]>): ReturnType<Services[K]> {
    const fn = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
    if (!fn) throw new ServiceError(`unknown service ${String(name)}`);
    const group = String(name).split('.')[0]!;
    if (!granted.has(group) && !granted.has(String(name))) throw new ServiceError(`service ${String(name)} not granted to ${title}`);
    return (fn as (...a: unknown[]) => ReturnType<Services[K]>)(...args);
  }
  return freeze(RunService);
}
