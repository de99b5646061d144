// Requests waiting for their answer, matched by request id (messages.ts: the answer echoes `req`),
// each with a time-out, in a bounded table: NON-LEGAL's requests to LEGAL's METRO
// (nonlegal/meter/legal.ts) and its lookups in PLC's device table (nonlegal/app/devices.ts).
// Under generic/shared/, so any part may import it: its exports are hardened.
import type { TimerHandle, TimerModule } from '../timer.js';
import { seal } from './errors.js';
import { RequestIds } from './request-ids.js';

/** A table bound from the manifest: an integer 1..65535 (request ids are 16-bit), or a RangeError naming `what`. */
export function boundOf(v: number, what: string): number {
  if (!(Number.isInteger(v) && v >= 1 && v <= 0xffff)) throw new RangeError(`${what} 1..65535: ${v}`);
  return v;
}

export class PendingRequests<W> {
  private readonly waiting = new Map<number, { readonly w: W; readonly timer: TimerHandle }>();
  private readonly ids = new RequestIds();

  /** At most `max` requests wait at once; each waits `timeoutMs` at most. */
  constructor(
    private readonly timers: TimerModule,
    readonly max: number,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  /** True when `max` requests wait: open() would refuse. */
  get full(): boolean {
    return this.waiting.size >= this.max;
  }

  /**
   * A fresh request id for `w`, or 0 (never an id) when the table is full. Unanswered after
   * `timeoutMs`, the request is removed, then `onTimeout(w)` is called.
   */
  open(w: W, onTimeout: (w: W) => void): number {
    if (this.full) return 0;
    const req = this.ids.next();
    const timer = this.timers.set(() => {
      this.waiting.delete(req);
      onTimeout(w);
    }, this.timeoutMs);
    this.waiting.set(req, { w, timer });
    return req;
  }

  /** The request waiting with id `req` (left waiting), or undefined. */
  peek(req: unknown): W | undefined {
    return typeof req === 'number' ? this.waiting.get(req)?.w : undefined;
  }

  /** Removes the request with id `req` and stops its time-out: its answer came, or it was not sent. */
  take(req: number): W | undefined {
    const e = this.waiting.get(req);
    if (!e) return undefined;
    this.waiting.delete(req);
    this.timers.clear(e.timer);
    return e.w;
  }
}
seal(PendingRequests);
seal(boundOf);
