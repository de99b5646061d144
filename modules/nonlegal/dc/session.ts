// The concentrator's meter sessions: one per meter, every request type through the same limits
// (config.dc.session, set once): a time-out per attempt, retries after an exponential backoff
// with jitter, a per-meter window of 1 and a global window of concurrent requests. Two
// priorities: on-demand reads from the Host Unit (HIGH) run before bulk work (BULK). A meter
// whose request has used up its retries is unreachable: its requests then fail at once (fast)
// except a probe, whose success makes it reachable again (the scheduler resumes from its cursors).

/** Deterministic PRNG for the jitter (xorshift32): the same seed, the same schedule. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** A float in [0, 1). */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x1_0000_0000;
  }
}

export interface SessionLimits {
  /** One attempt's time-out, ms. */
  timeoutMs: number;
  /** Attempts after the first (0..8). */
  retries: number;
  /** Backoff before the first retry, ms; doubled at each further one. */
  backoffMs: number;
  /** Largest backoff, ms. */
  backoffMaxMs: number;
  /** Jitter: the backoff is drawn in [b * (1 - j), b * (1 + j)], j = jitterPermille / 1000. */
  jitterPermille: number;
  /** Requests running at once over all meters (the per-meter window is 1). */
  globalWindow: number;
  /** Requests waiting at once (both priorities): beyond it a request is refused and counted. */
  maxQueued: number;
}

export const DEFAULT_LIMITS: SessionLimits = {
  timeoutMs: 60000,
  retries: 3,
  backoffMs: 5000,
  backoffMaxMs: 120000,
  jitterPermille: 250,
  globalWindow: 1,
  maxQueued: 64,
};

const BOUNDS: { [K in keyof SessionLimits]: [number, number] } = {
  timeoutMs: [1000, 600000],
  retries: [0, 8],
  backoffMs: [100, 600000],
  backoffMaxMs: [100, 3600000],
  jitterPermille: [0, 1000],
  globalWindow: [1, 16],
  maxQueued: [1, 1024],
};

/** Limits from config.dc.session (each field optional), each checked against its bounds. */
export function sessionLimits(cfg: Partial<SessionLimits> | undefined): SessionLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(BOUNDS) as (keyof SessionLimits)[]) {
    const v = cfg?.[k];
    if (v === undefined) continue;
    const [lo, hi] = BOUNDS[k];
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new RangeError(`dc.session.${k}: ${lo}..${hi}, got ${String(v)}`);
    out[k] = v;
  }
  if (out.backoffMaxMs < out.backoffMs) throw new RangeError('dc.session.backoffMaxMs below backoffMs');
  return out;
}

/** The wait before retry `attempt` (1 = the first retry): exponential, capped, with jitter. */
export function backoffMs(attempt: number, l: SessionLimits, rand: () => number): number {
  const base = Math.min(l.backoffMaxMs, l.backoffMs * 2 ** Math.min(attempt - 1, 30));
  const j = l.jitterPermille / 1000;
  return Math.round(base * (1 - j + 2 * j * rand()));
}

export const HIGH = 0,
  BULK = 1;

/** The timers the sessions need (TimerModule's set/clear; a fake one in tests). */
export interface DcTimers {
  set(cb: () => void, ms: number): unknown;
  clear(h: unknown): void;
}

export class UnreachableError extends Error {}

interface Request<T> {
  meter: string;
  what: string;
  op: () => Promise<T>;
  probe: boolean;
  prio: number;
  attempt: number;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

export interface SessionHooks {
  /** A request failed for good: the meter is unreachable. */
  unreachable(meter: string, why: string): void;
  /** A request succeeded (the meter answered). */
  answered(meter: string): void;
  /** A retry is scheduled. */
  retry(meter: string): void;
  /** Whether the meter is unreachable now (requests fail fast). */
  isUnreachable(meter: string): boolean;
  /** While true, bulk requests wait (alarms are being taken in: dc/alarms.ts backpressure). */
  bulkPaused?(): boolean;
}

/** How often waiting bulk work looks again whether the pause is over, ms. */
export const BULK_PAUSE_RECHECK_MS = 1000;

/**
 * A refusal the meter answered with (cosem/client.ts's DlmsError: a data-access-result, an
 * exception-response, an association rejected), as opposed to no answer or a broken one.
 */
export function isDenial(e: Error): boolean {
  return e.name === 'DlmsError';
}

export class Sessions {
  readonly counters = {
    requests: 0,
    done: 0,
    failed: 0,
    fastFail: 0,
    retries: 0,
    timeouts: 0,
    refused: 0,
    denied: 0,
    running: 0,
    peak: 0,
    paused: 0,
  };
  private recheck = false;
  private readonly queues: Request<unknown>[][] = [[], []];
  private readonly busy = new Set<string>();
  private running = 0;
  /** Order in which requests started (meter:what), the newest 32: tests and DC STATS. */
  readonly started: string[] = [];

  constructor(
    readonly limits: SessionLimits,
    private readonly timers: DcTimers,
    private readonly rand: () => number,
    private readonly hooks: SessionHooks,
  ) {}

  get queued(): number {
    return this.queues[0]!.length + this.queues[1]!.length;
  }

  /** Runs op for meter at a priority; rejects with UnreachableError at once for an unreachable meter. */
  submit<T>(meter: string, what: string, priority: number, op: () => Promise<T>, probe = false): Promise<T> {
    this.counters.requests++;
    if (!probe && this.hooks.isUnreachable(meter)) {
      this.counters.fastFail++;
      return Promise.reject(new UnreachableError(`meter ${meter} unreachable`));
    }
    if (this.queued >= this.limits.maxQueued) {
      this.counters.refused++;
      return Promise.reject(new Error(`session queue full (${this.limits.maxQueued})`));
    }
    return new Promise<T>((resolve, reject) => {
      const prio = priority === HIGH ? 0 : 1;
      const r: Request<T> = { meter, what, op, probe, prio, attempt: 0, resolve, reject };
      this.queues[prio]!.push(r as Request<unknown>);
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.limits.globalWindow) {
      const r = this.take();
      if (!r) return;
      this.start(r);
    }
  }

  /** The first waiting request, high priority first, whose meter has no request running; bulk
   * only while no pause holds it (then looked at again after BULK_PAUSE_RECHECK_MS). */
  private take(): Request<unknown> | undefined {
    for (const [k, q] of this.queues.entries()) {
      if (k === 1 && q.length && this.hooks.bulkPaused?.()) {
        this.counters.paused++;
        if (!this.recheck) {
          this.recheck = true;
          this.timers.set(() => {
            this.recheck = false;
            this.pump();
          }, BULK_PAUSE_RECHECK_MS);
        }
        return undefined;
      }
      const i = q.findIndex((r) => !this.busy.has(r.meter));
      if (i >= 0) return q.splice(i, 1)[0];
    }
    return undefined;
  }

  private start(r: Request<unknown>): void {
    this.running++;
    this.counters.running = this.running;
    if (this.running > this.counters.peak) this.counters.peak = this.running;
    this.busy.add(r.meter);
    this.started.push(`${r.meter}:${r.what}`);
    if (this.started.length > 32) this.started.shift();
    let settled = false;
    const timer = this.timers.set(() => {
      if (settled) return;
      settled = true;
      this.counters.timeouts++;
      this.finish(r, new Error(`no answer in ${this.limits.timeoutMs} ms`));
    }, this.limits.timeoutMs);
    r.op().then(
      (v) => {
        if (settled) return;
        settled = true;
        this.timers.clear(timer);
        this.release(r);
        this.counters.done++;
        this.hooks.answered(r.meter);
        r.resolve(v);
        this.pump();
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        this.timers.clear(timer);
        const err = e instanceof Error ? e : new Error(String(e));
        if (isDenial(err)) {
          // the meter answered, with a refusal: it is reachable, and asking again would get the
          // same answer, so the request fails now without a retry and the meter stays online
          this.release(r);
          this.counters.denied++;
          this.hooks.answered(r.meter);
          r.reject(err);
          this.pump();
        } else this.finish(r, err);
      },
    );
  }

  private release(r: Request<unknown>): void {
    this.running--;
    this.counters.running = this.running;
    this.busy.delete(r.meter);
  }

  /** A failed attempt: retried after a backoff (the meter stays busy), or failed for good. */
  private finish(r: Request<unknown>, e: Error): void {
    this.running--;
    this.counters.running = this.running;
    if (r.attempt < this.limits.retries) {
      r.attempt++;
      this.counters.retries++;
      this.hooks.retry(r.meter);
      // the meter's window stays taken while it waits, so its next request waits behind the retry
      this.timers.set(
        () => {
          this.busy.delete(r.meter);
          this.queues[r.prio]!.unshift(r);
          this.pump();
        },
        backoffMs(r.attempt, this.limits, this.rand),
      );
      this.pump();
      return;
    }
    this.busy.delete(r.meter);
    this.counters.failed++;
    this.hooks.unreachable(r.meter, e.message);
    r.reject(e);
    // the meter's other waiting requests fail fast too
    for (const q of this.queues)
      for (let i = q.length - 1; i >= 0; i--) {
        const o = q[i]!;
        if (o.meter === r.meter && !o.probe) {
          q.splice(i, 1);
          this.counters.fastFail++;
          o.reject(new UnreachableError(`meter ${o.meter} unreachable`));
        }
      }
    this.pump();
  }
}
