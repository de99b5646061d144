// Requests to the LEGAL part's METRO task with a bounded wait: every request resolves, with the
// answer's payload or with undefined when METRO does not answer in time (or is absent), so a
// DLMS service never hangs on LEGAL. Each request carries a request id (`req`) that the answer
// echoes (generic/shared/messages.ts): answers are matched by id, and an answer that fails its
// contract, or matches no request, is dropped and counted.
import type { RunServiceFn } from '../../generic/services.js';
import type { Message, Payload } from '../../generic/kernel.js';
import type { TimerModule, TimerHandle } from '../../generic/timer.js';
import type { Contract, MalformedCounts } from '../../generic/shared/messages.js';
import { RequestIds } from '../../generic/shared/request-ids.js';

interface Waiter {
  answer: Contract<unknown>;
  resolve: (payload: unknown) => void;
  timer: TimerHandle;
}

/** At most this many requests wait for LEGAL at a time; more resolve undefined. */
const MAX_WAITING = 8;

export class LegalLink {
  readonly stats = { requests: 0, timeouts: 0, refused: 0, stray: 0 };
  readonly malformed: MalformedCounts = {};
  task = 0;
  private readonly waiting = new Map<number, Waiter>();
  private readonly ids = new RequestIds();

  constructor(
    private readonly rs: RunServiceFn,
    private readonly timer: TimerModule,
    private readonly timeoutMs: number,
  ) {}

  /** The owning task's handler: true when the message was an answer this link waited for. */
  onMessage(m: Message): boolean {
    const p = m.payload as { readonly req?: unknown } | null | undefined;
    const req = typeof p === 'object' && p !== null ? p.req : undefined;
    const w = typeof req === 'number' ? this.waiting.get(req) : undefined;
    if (!w || w.answer.id !== m.id) {
      this.stats.stray++;
      return false;
    }
    if (!w.answer.valid(p)) {
      this.malformed[w.answer.name] = (this.malformed[w.answer.name] ?? 0) + 1;
      return true; // dropped: the request times out
    }
    this.waiting.delete(req as number);
    this.timer.clear(w.timer);
    w.resolve(p);
    return true;
  }

  /** Sends `request` with `payload` and a fresh `req`; resolves the `answer` that echoes it. */
  request<Q extends { readonly req: number }, A>(
    request: Contract<Q>,
    payload: Omit<Q, 'req'>,
    answer: Contract<A>,
  ): Promise<A | undefined> {
    const metro = this.rs('task.find', 'METRO');
    if (metro === undefined || this.waiting.size >= MAX_WAITING) {
      this.stats.refused++;
      return Promise.resolve(undefined);
    }
    const req = this.ids.next();
    this.stats.requests++;
    return new Promise((resolve) => {
      this.waiting.set(req, {
        answer: answer as Contract<unknown>,
        resolve: resolve as (payload: unknown) => void,
        timer: this.timer.set(() => {
          this.waiting.delete(req);
          this.stats.timeouts++;
          resolve(undefined);
        }, this.timeoutMs),
      });
      this.rs('msg.send', this.task, metro, request.id, { ...payload, req } as unknown as Payload);
    });
  }
}
