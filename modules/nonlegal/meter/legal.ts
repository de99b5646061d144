// Requests to the LEGAL part's METRO task with a bounded wait: every request resolves, with the
// answer's payload or with undefined when METRO does not answer in time (or is absent), so a
// DLMS service never hangs on LEGAL. Each request carries a request id (`req`) that the answer
// echoes (generic/shared/messages.ts): answers are matched by id, and an answer that fails its
// contract, or matches no request, is dropped and counted.
import type { RunServiceFn } from '../../generic/services.js';
import type { Message, Payload } from '../../generic/kernel.js';
import type { TimerModule } from '../../generic/timer.js';
import type { Contract, MalformedCounts } from '../../generic/shared/messages.js';
import { PendingRequests, boundOf } from '../../generic/shared/pending.js';

interface Waiter {
  answer: Contract<unknown>;
  resolve: (payload: unknown) => void;
}

/** Default of the requests waiting for LEGAL at a time (manifest parts.nonlegal.optical.legalMaxWaiting); more resolve undefined. */
export const LEGAL_MAX_WAITING = 8;

export class LegalLink {
  readonly stats = { requests: 0, timeouts: 0, refused: 0, stray: 0 };
  readonly malformed: MalformedCounts = {};
  task = 0;
  private readonly waiting: PendingRequests<Waiter>;

  constructor(
    private readonly rs: RunServiceFn,
    timer: TimerModule,
    timeoutMs: number,
    maxWaiting = LEGAL_MAX_WAITING,
  ) {
    this.waiting = new PendingRequests(timer, boundOf(maxWaiting, 'legalMaxWaiting'), timeoutMs);
  }

  /** The owning task's handler: true when the message was an answer this link waited for. */
  onMessage(m: Message): boolean {
    const p = m.payload as { readonly req?: unknown } | null | undefined;
    const req = typeof p === 'object' && p !== null ? p.req : undefined;
    const w = this.waiting.peek(req);
    if (!w || w.answer.id !== m.id) {
      this.stats.stray++;
      return false;
    }
    if (!w.answer.valid(p)) {
      this.malformed[w.answer.name] = (this.malformed[w.answer.name] ?? 0) + 1;
      return true; // dropped: the request times out
    }
    this.waiting.take(req as number);
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
    if (metro === undefined || this.waiting.full) {
      this.stats.refused++;
      return Promise.resolve(undefined);
    }
    this.stats.requests++;
    return new Promise((resolve) => {
      const waiter: Waiter = { answer: answer as Contract<unknown>, resolve: resolve as (payload: unknown) => void };
      const req = this.waiting.open(waiter, () => {
        this.stats.timeouts++;
        resolve(undefined);
      });
      this.rs('msg.send', this.task, metro, request.id, { ...payload, req } as unknown as Payload);
    });
  }
}
