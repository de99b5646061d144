// The concentrator's lookup of a meter by its index in PLC's device table (`PLC DEVICES`
// order) through PLC's ADP service: X_ADP_DEVICE_REQUEST {req, index} -> X_ADP_DEVICE_CONFIRM
// {req, ...} (generic/shared/messages.ts). One home for APP and the DLMS client: answers are
// matched by request id; a malformed or unmatched one is dropped and counted.
import { ADP_SUCCESS, ADP_NO_DEVICE, ADP_NOT_COORDINATOR } from '../../generic/ids.js';
import { accept, type MalformedCounts } from '../../generic/shared/messages.js';
import { PendingRequests, boundOf } from '../../generic/shared/pending.js';
import { ADP_DEVICE_REQUEST, ADP_DEVICE_CONFIRM } from '../../generic/shared/net-messages.js';
import type { RunServiceFn } from '../../generic/services.js';
import type { Message } from '../../generic/kernel.js';
import type { TimerModule } from '../../generic/timer.js';

/** How long PLC's ADP task may take to answer, ms. */
const DEVICE_TIMEOUT_MS = 5000;
/** Default of the lookups waiting at once (manifest parts.nonlegal.deviceLookupMax): one per running operation, room for a few. */
export const LOOKUP_MAX_WAITING = 4;

/** True for a short address 1..0x7FFF, or -i for the i-th device of `PLC DEVICES` (1-based). */
export function validMeter(meter: number): boolean {
  return Number.isInteger(meter) && ((meter >= 1 && meter <= 0x7fff) || (meter <= -1 && meter >= -4096));
}
export const METER_RANGE = 'meter: short address 1..0x7FFF or -<index in PLC DEVICES>';

interface Waiter {
  resolve: (short: number) => void;
  /** Set by entry(): the whole confirm instead of the short address. */
  whole?: (c: { short: number; eui64: Uint8Array; count: number }) => void;
  reject: (e: Error) => void;
  meter: number;
}

export class DeviceLookup {
  readonly malformed: MalformedCounts = {};
  stray = 0;
  private readonly waiting: PendingRequests<Waiter>;

  constructor(
    private readonly rs: RunServiceFn,
    private readonly task: number,
    timers: TimerModule,
    maxWaiting = LOOKUP_MAX_WAITING,
  ) {
    this.waiting = new PendingRequests(timers, boundOf(maxWaiting, 'deviceLookupMax'), DEVICE_TIMEOUT_MS);
  }

  /** The index-th device of ADP's device table (0-based): its short address, EUI-64 and the table's size. */
  entry(index: number): Promise<{ short: number; eui64: Uint8Array; count: number }> {
    return new Promise((resolve, reject) => {
      this.ask(-index - 1, () => {}, reject, resolve);
    });
  }

  /** A short address as it is, or -i resolved through ADP's device table. */
  resolve(meter: number): Promise<number> {
    if (meter >= 1 && meter <= 0x7fff) return Promise.resolve(meter);
    return new Promise((resolve, reject) => this.ask(meter, resolve, reject));
  }

  private ask(
    meter: number,
    resolve: (short: number) => void,
    reject: (e: Error) => void,
    whole?: (c: { short: number; eui64: Uint8Array; count: number }) => void,
  ): void {
    const adp = this.rs('task.find', 'ADP');
    if (adp === undefined) return reject(new Error('no PLC device table'));
    const req = this.waiting.open({ resolve, reject, meter, ...(whole ? { whole } : {}) }, () =>
      reject(new Error('PLC device table did not answer')),
    );
    if (req === 0) return reject(new Error('PLC device table busy'));
    if (this.rs('msg.send', this.task, adp, ADP_DEVICE_REQUEST.id, { req, index: -meter - 1 }) !== 0) {
      this.waiting.take(req);
      reject(new Error('PLC device table busy'));
    }
  }

  /** The owning task's handler: true when `m` was a device confirm (used or dropped). */
  onMessage(m: Message): boolean {
    if (m.id !== ADP_DEVICE_CONFIRM.id) return false;
    const p = accept(ADP_DEVICE_CONFIRM, m, this.malformed);
    const w = p ? this.waiting.take(p.req) : undefined;
    if (!p || !w) {
      if (p) this.stray++;
      return true;
    }
    if (p.status === ADP_SUCCESS) {
      if (w.whole) w.whole({ short: p.short, eui64: p.eui64, count: p.count });
      else w.resolve(p.short);
    } else
      w.reject(
        new Error(
          p.status === ADP_NO_DEVICE
            ? `unknown meter: index ${-w.meter} of ${p.count} devices`
            : p.status === ADP_NOT_COORDINATOR
              ? 'no device table on a meter'
              : 'bad device index',
        ),
      );
    return true;
  }
}
