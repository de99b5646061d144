// A model of the FRAM behind drivers/nvram for tests of the power-fail-safe records on Node: reads
// and writes bounded to its size, and a power cut after `budget` more bursts of a write (16 bytes
// as drivers/nvram tears them, or 1 to cut after any byte); the bytes before the cut stay written.
// With a CRC-32 (IEEE) from node:zlib, shaped like the crc driver's CRC32.
import { crc32 } from 'node:zlib';
import type { Crc32, Nvram } from '../../modules/generic/shared/nvrecord.js';

export class FramModel implements Nvram {
  readonly mem: Uint8Array;
  /** Bursts left before the power fails. */
  budget = Infinity;
  /** What info() reports: 'file' (persistent), 'volatile' or 'none'. */
  kind = 'file';
  constructor(
    readonly size: number,
    readonly burst = 16,
  ) {
    this.mem = new Uint8Array(size).fill(0xff);
  }
  private check(off: number, view: ArrayBufferView): void {
    if (off < 0 || off + view.byteLength > this.size) throw new RangeError(`nvram: ${off}+${view.byteLength} outside ${this.size} bytes`);
  }
  read(off: number, view: ArrayBufferView): void {
    this.check(off, view);
    new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(this.mem.subarray(off, off + view.byteLength));
  }
  write(off: number, view: ArrayBufferView): void {
    this.check(off, view);
    const b = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    for (let k = 0; k < b.length; k += this.burst) {
      if (this.budget-- <= 0) throw new Error('power cut');
      this.mem.set(b.subarray(k, k + this.burst), off + k);
    }
  }
  capacity(): number {
    return this.size;
  }
  info(): string {
    return `kind=${this.kind} size=${this.size} reads=0 writes=0 bytes=0 errors=0`;
  }
}

export class NodeCrc32 implements Crc32 {
  private v = 0;
  reset(): this {
    this.v = 0;
    return this;
  }
  checksum(bytes: BufferLike): number {
    this.v = crc32(new Uint8Array(bytes as ArrayBuffer), this.v);
    return this.v;
  }
}
