// metro_data_store: the ring of per-second metrology records that LEGAL keeps for the other
// parts. One Float64Array holds every record (no object per record: slots are scarce on the
// STM32F405). head is where the next record goes, tail the oldest unread one; when the ring is
// full the newest record overwrites the oldest and the tail advances. shift() returns a copy.

import type { MetroRecord } from '../generic/shared/messages.js';
export type { MetroRecord };

export const RECORD_FIELDS = 9; // in MetroRecord order

export class MetroDataStore {
  readonly capacity: number;
  head = 0;
  tail = 0;
  count = 0;
  overwritten = 0;
  private readonly data: Float64Array;

  constructor(capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= 4096)) throw new RangeError('ringCapacity 1..4096');
    this.capacity = capacity;
    this.data = new Float64Array(capacity * RECORD_FIELDS);
  }

  /** Appends a record given in MetroRecord field order. */
  push(time: number, p: number, q: number, s: number, aImp: number, aExp: number, rImp: number, rExp: number, app: number): void {
    const d = this.data;
    let k = this.head * RECORD_FIELDS;
    d[k++] = time;
    d[k++] = p;
    d[k++] = q;
    d[k++] = s;
    d[k++] = aImp;
    d[k++] = aExp;
    d[k++] = rImp;
    d[k++] = rExp;
    d[k] = app;
    this.head = (this.head + 1) % this.capacity;
    if (this.count === this.capacity) {
      this.tail = this.head; // the oldest was just overwritten
      this.overwritten++;
    } else this.count++;
  }

  /** Removes and returns the oldest record (a frozen copy), or undefined when empty. */
  shift(): MetroRecord | undefined {
    if (this.count === 0) return undefined;
    const d = this.data,
      k = this.tail * RECORD_FIELDS;
    this.tail = (this.tail + 1) % this.capacity;
    this.count--;
    return Object.freeze({
      time: d[k]!,
      p: d[k + 1]!,
      q: d[k + 2]!,
      s: d[k + 3]!,
      aImp: d[k + 4]!,
      aExp: d[k + 5]!,
      rImp: d[k + 6]!,
      rExp: d[k + 7]!,
      app: d[k + 8]!,
    });
  }

  /** Up to n oldest records, removed from the ring. */
  take(n: number): MetroRecord[] {
    const out: MetroRecord[] = [];
    for (let r: MetroRecord | undefined; out.length < n && (r = this.shift()); ) out.push(r);
    return out;
  }
}
