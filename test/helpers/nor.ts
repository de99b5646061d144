// A flash area on an in-memory NOR for tests of stores that live on the SPI NOR, with the chip
// model's semantics (drivers/spinor/nor_model.c, docs/spi-nor.md): erased bytes read 0xFF, a
// program stores old & data (bits only go 1 -> 0), an erase sets a 4 KB sector back to 0xFF and
// is counted per sector. A power cut after `budget` more operations (programs and erases) leaves
// the operation it falls on torn, as the model's injector does: a prefix of the program's bytes
// programmed, or a prefix of the sector erased (a fraction drawn from `rng`, or half), then throws.
import type { FlashArea } from '../../drivers/spinor/flash.js';

export const SECTOR = 4096;

/** xorshift32, seeded: the cuts and tears of a run are the same every run. */
export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

export class NorArea implements FlashArea {
  readonly id = 9;
  readonly writeAlign = 1;
  readonly erasedValue = 0xff;
  readonly eraseSize = SECTOR;
  readonly mem: Uint8Array;
  readonly erases: Uint32Array;
  /** Operations left before the power fails (Infinity: never). */
  budget = Infinity;
  /** Programs and erases executed (a torn one included). */
  ops = 0;
  programs = 0;
  bytesProgrammed = 0;
  /** Where a tear ends, as a fraction of the operation (default: half). */
  rng: () => number = () => 0.5;
  constructor(
    readonly size: number,
    readonly name = 'dc-registry',
  ) {
    this.mem = new Uint8Array(size).fill(0xff);
    this.erases = new Uint32Array(size / SECTOR);
  }
  /** A copy of the chip (contents and erase counts), as after a restart on the same store file. */
  clone(): NorArea {
    const c = new NorArea(this.size, this.name);
    c.mem.set(this.mem);
    c.erases.set(this.erases);
    return c;
  }
  private check(offset: number, n: number): void {
    if (!(Number.isInteger(offset) && offset >= 0 && offset + n <= this.size))
      throw new RangeError(`flash ${this.name}: ${offset}+${n} outside ${this.size} bytes`);
  }
  private cut(): boolean {
    this.ops++;
    return this.budget-- <= 0;
  }
  read(offset: number, view: ArrayBufferView): void {
    this.check(offset, view.byteLength);
    new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(this.mem.subarray(offset, offset + view.byteLength));
  }
  program(offset: number, view: ArrayBufferView): void {
    this.check(offset, view.byteLength);
    const b = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const torn = this.cut();
    const n = torn ? Math.floor(this.rng() * b.length) : b.length;
    for (let i = 0; i < n; i++) this.mem[offset + i]! &= b[i]!;
    this.programs++;
    this.bytesProgrammed += n;
    if (torn) throw new Error(`power cut: program at ${offset}, ${n} of ${b.length} bytes`);
  }
  erase(offset: number): void {
    this.check(offset, SECTOR);
    if (offset % SECTOR) throw new RangeError(`flash ${this.name}: erase at ${offset} not aligned`);
    const torn = this.cut();
    const n = torn ? Math.floor(this.rng() * SECTOR) : SECTOR;
    this.mem.fill(0xff, offset, offset + n);
    this.erases[offset / SECTOR]!++;
    if (torn) throw new Error(`power cut: erase at ${offset}, ${n} of ${SECTOR} bytes`);
  }
  info(): string {
    return `id=${this.id} name=${this.name} device=spinor offset=0 size=${this.size} writeAlign=1 erasedValue=255 eraseSize=${SECTOR}`;
  }
}
