// Fake timers on a manual clock for the concentrator's sessions and scheduler on Node.
import type { DcTimers } from '../../modules/nonlegal/dc/session.js';

export class ManualTimers implements DcTimers {
  nowMs = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; cb: () => void }>();
  set(cb: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.nowMs + ms, cb });
    return id;
  }
  clear(h: unknown): void {
    this.due.delete(h as number);
  }
  get pending(): number {
    return this.due.size;
  }
  /** Runs every timer due up to nowMs + ms in time order, letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    await settle();
    for (;;) {
      let next: [number, { at: number; cb: () => void }] | undefined;
      for (const e of this.due) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.due.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].at);
      next[1].cb();
      await settle();
    }
    this.nowMs = end;
    await settle();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
