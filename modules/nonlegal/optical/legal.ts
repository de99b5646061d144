// Requests to the LEGAL part's METRO task with a bounded wait: every request resolves, with the
// reply's payload or with undefined when METRO does not answer in time (or is absent), so a
// DLMS service never hangs on LEGAL. Replies of one id come back in request order (one task,
// one FIFO queue), so waiters are matched first in, first out.
import type { RunServiceFn } from '../../generic/services.js';
import type { Message, Payload } from '../../generic/kernel.js';
import type { TimerModule, TimerHandle } from '../../generic/timer.js';

interface Waiter { resolve: (payload: unknown) => void; timer: TimerHandle }

/** At most this many requests of one kind wait for LEGAL at a time; more resolve undefined. */
const MAX_WAITING = 8;

export class LegalLink {
  readonly stats = { requests: 0, timeouts: 0, refused: 0, stray: 0 };
  task = 0;
  private readonly waiting = new Map<number, Waiter[]>();

  constructor(private readonly rs: RunServiceFn, private readonly timer: TimerModule, private readonly timeoutMs: number) {}

  /** The owning task's handler: true when the message was a reply this link waited for. */
  onMessage(m: Message): boolean {
    const q = this.waiting.get(m.id);
    const w = q?.shift();
    if (!w) { this.stats.stray++; return false; }
    this.timer.clear(w.timer);
    w.resolve(m.payload);
    return true;
  }

  request(id: number, payload: Payload, replyId: number): Promise<unknown> {
    const metro = this.rs('task.find', 'METRO');
    let q = this.waiting.get(replyId);
    if (!q) this.waiting.set(replyId, q = []);
    if (metro === undefined || q.length >= MAX_WAITING) { this.stats.refused++; return Promise.resolve(undefined); }
    const queue = q;
    this.stats.requests++;
    return new Promise((resolve) => {
      const w: Waiter = {
        resolve,
        timer: this.timer.set(() => {
          const i = queue.indexOf(w);
          if (i >= 0) queue.splice(i, 1);
          this.stats.timeouts++;
          resolve(undefined);
        }, this.timeoutMs),
      };
      queue.push(w);
      this.rs('msg.send', this.task, metro, id, payload);
    });
  }
}
