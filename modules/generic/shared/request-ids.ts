// Request ids for messages that expect an answer (messages.ts): the answer echoes `req`.
import { seal } from './errors.js';

/** Request ids: 1..0xFFFF, wrapping, never 0 (0 is free for unsolicited messages). */
export class RequestIds {
  private last = 0;
  next(): number {
    this.last = this.last >= 0xffff ? 1 : this.last + 1;
    return this.last;
  }
}
seal(RequestIds);
