// The message service: tasks with priorities and a bounded queue each, messages (task ids,
// message ids, payloads), software timers, binary and counting semaphores. XS runs one thread,
// so tasks are cooperative: a task's handler runs to completion, and the scheduler always
// serves the highest-priority task with a pending message first (FIFO within a task, round
// robin between tasks of equal priority). Payloads are copied and frozen on send, so a message
// never carries a writable reference from one part into another.

export type Payload = undefined | null | boolean | number | string | Uint8Array | readonly Payload[] | { readonly [key: string]: Payload };

export interface Message {
  readonly from: number; // sender task id (0: GENERIC itself)
  readonly to: number;
  readonly id: number; // message id, e.g. X_METRO_GET_DATA
  readonly payload: Payload;
}

export type Handler = (message: Message) => void;

export interface Clock {
  now(): number; // monotonic milliseconds
  wakeAt(when: number | undefined): void; // ask to be called (Kernel.tick) at that time
}

export const enum SendStatus {
  Ok = 0,
  QueueFull = 1,
  NoTask = 2,
  BadPayload = 3,
}

export interface TaskInfo {
  readonly id: number;
  readonly name: string;
  readonly owner: string;
  readonly priority: number;
  readonly depth: number; // messages waiting
  readonly capacity: number;
  readonly peak: number; // queue high-water mark
  readonly handled: number;
  readonly dropped: number; // refused because the queue was full
}

export interface KernelLimits {
  maxTasks: number;
  maxTimers: number;
  maxQueue: number; // capacity ceiling for any one queue
  maxPayloadBytes: number; // bytes of strings and byte arrays in one payload
  maxPayloadDepth: number;
  tombstones: number; // deleted task ids remembered for counting discards
  slice: number; // messages handled before yielding to I/O
}

export const defaultLimits: KernelLimits = {
  maxTasks: 32,
  maxTimers: 64,
  maxQueue: 256,
  maxPayloadBytes: 4096,
  maxPayloadDepth: 8,
  tombstones: 64,
  slice: 32,
};

interface Task {
  id: number;
  name: string;
  owner: string;
  priority: number;
  capacity: number;
  queue: Message[];
  head: number;
  handler: Handler;
  handled: number;
  dropped: number;
  peak: number;
  waiters: ((m: Message | undefined) => void)[];
}

interface Timer {
  id: number;
  owner: string;
  name: string;
  period: number;
  repeat: boolean;
  due: number; // NaN when stopped
  callback: () => void;
}

export class PayloadError extends Error {
  override name = 'PayloadError';
}

// Structured copy limited to plain data; the result is deeply frozen.
export function copyPayload(value: unknown, limits: Pick<KernelLimits, 'maxPayloadBytes' | 'maxPayloadDepth'>): Payload {
  let budget = limits.maxPayloadBytes;
  const copy = (v: unknown, depth: number): Payload => {
    if (depth > limits.maxPayloadDepth) throw new PayloadError('payload too deep');
    if (v === undefined || v === null || typeof v === 'boolean' || typeof v === 'number') return v;
    if (typeof v === 'string') {
      budget -= v.length;
      if (budget < 0) throw new PayloadError('payload too large');
      return v;
    }
    if (v instanceof Uint8Array) {
      budget -= v.length;
      if (budget < 0) throw new PayloadError('payload too large');
      return new Uint8Array(v); // typed arrays cannot be frozen: the copy is the receiver's own
    }
    if (Array.isArray(v)) {
      budget -= v.length;
      if (budget < 0) throw new PayloadError('payload too large');
      return Object.freeze(v.map((e) => copy(e, depth + 1)));
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const out: { [key: string]: Payload } = {};
      for (const key of Object.keys(v)) {
        budget -= key.length + 1;
        if (budget < 0) throw new PayloadError('payload too large');
        out[key] = copy((v as { [key: string]: unknown })[key], depth + 1);
      }
      return Object.freeze(out);
    }
    throw new PayloadError(`payload cannot carry ${typeof v}`);
  };
  return copy(value, 0);
}

export class Kernel {
  readonly limits: KernelLimits;
  private tasks = new Map<number, Task>();
  private tombstones = new Map<number, { name: string; discarded: number }>();
  private timers = new Map<number, Timer>();
  private nextTaskId = 1;
  private nextTimerId = 1;
  private pending = 0; // messages queued across all tasks
  private scheduled = false;
  private lastServed = new Map<number, number>(); // priority -> last task id served (round robin)
  discarded = 0; // messages sent to deleted or unknown tasks
  refused = 0; // messages refused: queue full or bad payload
  handlerErrors = 0;
  onError: (where: string, error: unknown) => void = () => {};

  constructor(
    private clock: Clock,
    limits: Partial<KernelLimits> = {},
  ) {
    // the firmware's come from the manifest (config.kernel, generic/system.ts): refused at start if not sane
    for (const k of Object.keys(limits) as (keyof KernelLimits)[]) {
      const v = limits[k];
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new RangeError(`kernel.${k}: ${v}`);
    }
    this.limits = { ...defaultLimits, ...limits };
  }

  // ---- tasks ----

  createTask(options: { name: string; owner: string; priority: number; queue: number; handler: Handler }): number {
    if (this.tasks.size >= this.limits.maxTasks) throw new RangeError('too many tasks');
    if (!(options.priority >= 0 && options.priority <= 31)) throw new RangeError('priority 0..31');
    if (!(options.queue >= 1 && options.queue <= this.limits.maxQueue)) throw new RangeError(`queue 1..${this.limits.maxQueue}`);
    if (typeof options.handler !== 'function') throw new TypeError('handler');
    const id = this.nextTaskId++;
    this.tasks.set(id, {
      id,
      name: String(options.name).slice(0, 16),
      owner: options.owner,
      priority: options.priority | 0,
      capacity: options.queue | 0,
      queue: [],
      head: 0,
      handler: options.handler,
      handled: 0,
      dropped: 0,
      peak: 0,
      waiters: [],
    });
    return id;
  }

  deleteTask(id: number, owner?: string): boolean {
    const task = this.tasks.get(id);
    if (!task || (owner !== undefined && task.owner !== owner)) return false;
    const waiting = task.queue.length - task.head;
    this.pending -= waiting;
    this.discarded += waiting;
    this.tasks.delete(id);
    this.tombstones.set(id, { name: task.name, discarded: waiting });
    if (this.tombstones.size > this.limits.tombstones) {
      const oldest = this.tombstones.keys().next().value;
      if (oldest !== undefined) this.tombstones.delete(oldest);
    }
    for (const w of task.waiters) w(undefined);
    return true;
  }

  deleteOwner(owner: string): number {
    let n = 0;
    for (const t of [...this.tasks.values()]) if (t.owner === owner && this.deleteTask(t.id)) n++;
    for (const t of [...this.timers.values()]) if (t.owner === owner) this.timers.delete(t.id);
    this.rearm();
    return n;
  }

  findTask(name: string): number | undefined {
    for (const t of this.tasks.values()) if (t.name === name) return t.id;
    return undefined;
  }

  taskOwner(id: number): string | undefined {
    return this.tasks.get(id)?.owner;
  }

  taskList(): TaskInfo[] {
    return [...this.tasks.values()].map((t) => ({
      id: t.id,
      name: t.name,
      owner: t.owner,
      priority: t.priority,
      depth: t.queue.length - t.head,
      capacity: t.capacity,
      peak: t.peak,
      handled: t.handled,
      dropped: t.dropped,
    }));
  }

  deletedList(): { id: number; name: string; discarded: number }[] {
    return [...this.tombstones.entries()].map(([id, t]) => ({ id, name: t.name, discarded: t.discarded }));
  }

  // ---- messages ----

  send(from: number, to: number, id: number, payload?: unknown): SendStatus {
    const task = this.tasks.get(to);
    if (!task) {
      this.discarded++;
      const tomb = this.tombstones.get(to);
      if (tomb) tomb.discarded++;
      return SendStatus.NoTask;
    }
    if (task.queue.length - task.head >= task.capacity) {
      task.dropped++;
      this.refused++;
      return SendStatus.QueueFull;
    }
    let copy: Payload;
    try {
      copy = copyPayload(payload, this.limits);
    } catch (_e) {
      this.refused++;
      return SendStatus.BadPayload;
    }
    const message: Message = Object.freeze({ from: from | 0, to, id: id | 0, payload: copy });
    const waiter = task.waiters.shift();
    if (waiter) {
      waiter(message);
      return SendStatus.Ok;
    }
    task.queue.push(message);
    const depth = task.queue.length - task.head;
    if (depth > task.peak) task.peak = depth;
    this.pending++;
    this.schedule();
    return SendStatus.Ok;
  }

  // Blocking receive for tasks written in the RTOS style: resolves with the next message
  // addressed to the task (taking it before its handler sees it), or undefined on timeout.
  receive(taskId: number, timeout = Infinity): Promise<Message | undefined> {
    const task = this.tasks.get(taskId);
    if (!task) return Promise.resolve(undefined);
    if (task.queue.length > task.head) {
      const m = this.take(task);
      return Promise.resolve(m);
    }
    return new Promise((resolve) => {
      let timer = 0;
      const waiter = (m: Message | undefined) => {
        if (timer) this.deleteTimer(timer);
        resolve(m);
      };
      task.waiters.push(waiter);
      if (timeout !== Infinity) {
        timer = this.createTimer({
          name: 'receive',
          owner: task.owner,
          period: Math.max(0, timeout),
          repeat: false,
          callback: () => {
            timer = 0;
            const i = task.waiters.indexOf(waiter);
            if (i >= 0) task.waiters.splice(i, 1);
            resolve(undefined);
          },
        });
        this.startTimer(timer);
      }
    });
  }

  private take(task: Task): Message | undefined {
    if (task.head >= task.queue.length) return undefined;
    const m = task.queue[task.head++];
    this.pending--;
    if (task.head > 32 && task.head * 2 > task.queue.length) {
      task.queue = task.queue.slice(task.head);
      task.head = 0;
    }
    return m;
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    Promise.resolve().then(() => this.run());
  }

  // Serves queued messages, highest priority first, at most `slice` of them, then yields
  // (reschedules) so that I/O and timers get their turn.
  run(): number {
    this.scheduled = false;
    let served = 0;
    while (this.pending > 0 && served < this.limits.slice) {
      const task = this.pick();
      if (!task) break;
      const m = this.take(task);
      if (!m) break;
      served++;
      task.handled++;
      try {
        task.handler(m);
      } catch (e) {
        this.handlerErrors++;
        this.onError(`task ${task.name}`, e);
      }
    }
    if (this.pending > 0) this.schedule();
    return served;
  }

  private pick(): Task | undefined {
    let best: Task | undefined;
    for (const t of this.tasks.values()) {
      if (t.queue.length > t.head && (!best || t.priority > best.priority)) best = t;
    }
    if (!best) return undefined;
    // round robin among ready tasks of the same priority
    const last = this.lastServed.get(best.priority) ?? 0;
    let next: Task | undefined;
    for (const t of this.tasks.values()) {
      if (t.priority === best.priority && t.queue.length > t.head) {
        if (t.id > last && (!next || t.id < next.id)) next = t;
      }
    }
    const chosen = next ?? best;
    if (!next) {
      for (const t of this.tasks.values())
        if (t.priority === best.priority && t.queue.length > t.head && t.id < chosen.id) {
          return this.served(t);
        }
    }
    return this.served(chosen);
  }

  private served(t: Task): Task {
    this.lastServed.set(t.priority, t.id);
    return t;
  }

  // ---- timers ----

  createTimer(options: { name: string; owner: string; period: number; repeat: boolean; callback: () => void }): number {
    if (this.timers.size >= this.limits.maxTimers) throw new RangeError('too many timers');
    if (typeof options.callback !== 'function') throw new TypeError('callback');
    const id = this.nextTimerId++;
    this.timers.set(id, {
      id,
      owner: options.owner,
      name: String(options.name).slice(0, 16),
      period: Math.max(0, +options.period || 0),
      repeat: !!options.repeat,
      due: NaN,
      callback: options.callback,
    });
    return id;
  }

  startTimer(id: number, period?: number): boolean {
    const t = this.timers.get(id);
    if (!t) return false;
    if (period !== undefined) t.period = Math.max(0, +period || 0);
    t.due = this.clock.now() + t.period;
    this.rearm();
    return true;
  }

  stopTimer(id: number): boolean {
    const t = this.timers.get(id);
    if (!t) return false;
    t.due = NaN;
    this.rearm();
    return true;
  }

  deleteTimer(id: number, owner?: string): boolean {
    const t = this.timers.get(id);
    if (!t || (owner !== undefined && t.owner !== owner)) return false;
    this.timers.delete(id);
    this.rearm();
    return true;
  }

  timerOwner(id: number): string | undefined {
    return this.timers.get(id)?.owner;
  }

  timerCount(): number {
    return this.timers.size;
  }

  // Called by the platform when the requested wake-up time has come.
  tick(now = this.clock.now()): void {
    for (const t of [...this.timers.values()]) {
      if (!(t.due <= now)) continue;
      if (t.repeat && t.period > 0) {
        // keep the phase: a late tick does not shift later ones
        t.due += t.period * Math.max(1, Math.ceil((now - t.due + 1) / t.period));
      } else t.due = NaN;
      try {
        t.callback();
      } catch (e) {
        this.handlerErrors++;
        this.onError(`timer ${t.name}`, e);
      }
    }
    this.rearm();
  }

  private rearm() {
    let next = Infinity;
    for (const t of this.timers.values()) if (t.due < next) next = t.due;
    this.clock.wakeAt(next === Infinity ? undefined : next);
  }

  // ---- semaphores ----

  semaphore(max: number, initial: number): Semaphore {
    return new Semaphore(this, max, initial);
  }

  // used by Semaphore for timeouts
  after(ms: number, owner: string, callback: () => void): number {
    const id = this.createTimer({
      name: 'sem',
      owner,
      period: ms,
      repeat: false,
      callback: () => {
        this.timers.delete(id);
        callback();
      },
    });
    this.startTimer(id);
    return id;
  }
}

// Binary (max 1) and counting semaphores. take() resolves true when the semaphore was
// obtained, false on timeout; give() wakes the oldest waiter first.
export class Semaphore {
  private count: number;
  private waiters: { resolve: (ok: boolean) => void; timer: number }[] = [];

  constructor(
    private kernel: Kernel,
    readonly max: number,
    initial: number,
  ) {
    if (!(max >= 1 && max <= 0xffff)) throw new RangeError('semaphore max 1..65535');
    this.count = Math.min(Math.max(0, initial | 0), max);
  }

  get value(): number {
    return this.count;
  }

  take(timeout = Infinity, owner = 'generic'): Promise<boolean> {
    if (this.count > 0) {
      this.count--;
      return Promise.resolve(true);
    }
    if (timeout <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = { resolve, timer: 0 };
      if (timeout !== Infinity) {
        entry.timer = this.kernel.after(timeout, owner, () => {
          const i = this.waiters.indexOf(entry);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(false);
        });
      }
      this.waiters.push(entry);
    });
  }

  give(): boolean {
    const w = this.waiters.shift();
    if (w) {
      if (w.timer) this.kernel.deleteTimer(w.timer);
      w.resolve(true);
      return true;
    }
    if (this.count >= this.max) return false;
    this.count++;
    return true;
  }
}
