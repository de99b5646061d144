// Driver "flash": the SPI NOR (drivers/spinor) cut into flash areas, MCUboot style. The table
// comes from the manifest (config.flash.areas), is checked at boot against the chip the driver
// found (inside the device, 4 KB aligned, no overlap) and each part is granted, as driver
// "flash", only the areas it owns: offsets are area-relative and bounded, alignment and erased
// value are queried from the area, never assumed. docs/spi-nor.md.
import type { Shell } from 'generic/shell';
import { type Trace, TraceLevel } from 'generic/trace';

/** One area of the manifest's table. */
export interface FlashAreaConfig {
  readonly id: number;
  readonly name: string;
  readonly device: string; // 'spinor' (the only device this driver drives)
  readonly offset: number;
  readonly size: number;
  readonly writeAlign: number;
  readonly erasedValue: number;
  readonly owner: string; // 'legal' | 'plc' | 'nonlegal' | 'generic'
}

export interface FlashConfig {
  readonly maxAreas: number;
  readonly areas: readonly FlashAreaConfig[];
}

/** The chip's side (xs_spinor.c). */
export interface SpiNor {
  info(): string;
  /** Bytes of the chip found, 0 where none answered (a number: never parsed from info()). */
  capacity(): number;
  read(addr: number, view: ArrayBufferView): void;
  program(addr: number, view: ArrayBufferView): void;
  erase(addr: number): void;
  wear(firstSector: number, count: number): string;
}

export const spinor: SpiNor = {
  info: native<() => string>('xs_spinor_info'),
  capacity: native<() => number>('xs_spinor_capacity'),
  read: native<(addr: number, view: ArrayBufferView) => void>('xs_spinor_read'),
  program: native<(addr: number, view: ArrayBufferView) => void>('xs_spinor_program'),
  erase: native<(addr: number) => void>('xs_spinor_erase'),
  wear: native<(firstSector: number, count: number) => string>('xs_spinor_wear'),
};

/** Erase unit of the SPI NOR (SUBSECTOR ERASE 0x20). */
export const FLASH_SECTOR = 4096;

/** What a part holds: one of its areas. */
export interface FlashArea {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly writeAlign: number;
  readonly erasedValue: number;
  readonly eraseSize: number;
  /** Fills view from offset; RangeError outside the area. */
  read(offset: number, view: ArrayBufferView): void;
  /** Programs view at offset (bits only go from 1 to 0: erase first). */
  program(offset: number, view: ArrayBufferView): void;
  /** Erases the 4 KB sector at offset (aligned). */
  erase(offset: number): void;
  /** `id=<n> name=<s> device=spinor offset=<n> size=<n> writeAlign=<n> erasedValue=<n> eraseSize=<n>` */
  info(): string;
}

/** driver.flash: the areas one part owns. */
export interface FlashDriver {
  /** Names of the caller's areas. */
  areas(): readonly string[];
  /** The area of that name; Error when it is not the caller's. */
  open(name: string): FlashArea;
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Checks the table against a device of devSize bytes; returns the first problem, or undefined. */
export function checkAreas(cfg: FlashConfig | undefined, devSize: number): string | undefined {
  if (!cfg || !Array.isArray(cfg.areas)) return 'config.flash.areas missing';
  if (!isUint(cfg.maxAreas) || cfg.areas.length > cfg.maxAreas) return `more than maxAreas (${cfg.maxAreas}) areas`;
  const seen: FlashAreaConfig[] = [];
  for (const a of cfg.areas) {
    const n = `area ${a.id} ${a.name}`;
    if (!isUint(a.id) || typeof a.name !== 'string' || !/^[a-z][a-z0-9-]{0,23}$/.test(a.name)) return `${n}: bad id or name`;
    if (a.device !== 'spinor') return `${n}: device ${a.device} not driven (spinor only)`;
    if (!isUint(a.offset) || !isUint(a.size) || a.size === 0) return `${n}: bad offset or size`;
    if (a.offset % FLASH_SECTOR || a.size % FLASH_SECTOR) return `${n}: not aligned to ${FLASH_SECTOR}`;
    if (a.offset + a.size > devSize) return `${n}: outside the ${devSize}-byte device`;
    if (!isUint(a.writeAlign) || a.writeAlign === 0 || a.erasedValue !== 0xff) return `${n}: bad writeAlign or erasedValue`;
    if (!['legal', 'plc', 'nonlegal', 'generic'].includes(a.owner)) return `${n}: bad owner ${a.owner}`;
    for (const b of seen) {
      if (b.id === a.id || b.name === a.name) return `${n}: id or name used twice`;
      if (a.offset < b.offset + b.size && b.offset < a.offset + a.size) return `${n}: overlaps area ${b.id} ${b.name}`;
    }
    seen.push(a);
  }
  return undefined;
}

/**
 * One area as a bounded window on the chip. A class: its methods are shared by every area (a
 * closure per method and area would cost the STM32F405 slots it does not have).
 */
class Area implements FlashArea {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly writeAlign: number;
  readonly erasedValue: number;
  readonly eraseSize = FLASH_SECTOR;
  constructor(
    private readonly nor: SpiNor,
    private readonly a: FlashAreaConfig,
  ) {
    this.id = a.id;
    this.name = a.name;
    this.size = a.size;
    this.writeAlign = a.writeAlign;
    this.erasedValue = a.erasedValue;
  }
  private check(offset: number, length: number, what: string) {
    if (!(isUint(offset) && offset + length <= this.size))
      throw new RangeError(`flash ${this.name}: ${what} ${offset}+${length} outside ${this.size} bytes`);
  }
  read(offset: number, view: ArrayBufferView) {
    this.check(offset, view.byteLength, 'read');
    this.nor.read(this.a.offset + offset, view);
  }
  program(offset: number, view: ArrayBufferView) {
    this.check(offset, view.byteLength, 'program');
    if (offset % this.writeAlign || view.byteLength % this.writeAlign)
      throw new RangeError(`flash ${this.name}: program not aligned to ${this.writeAlign}`);
    this.nor.program(this.a.offset + offset, view);
  }
  erase(offset: number) {
    this.check(offset, FLASH_SECTOR, 'erase');
    if (offset % FLASH_SECTOR) throw new RangeError(`flash ${this.name}: erase at ${offset} not aligned to ${FLASH_SECTOR}`);
    this.nor.erase(this.a.offset + offset);
  }
  info() {
    const a = this.a;
    return `id=${a.id} name=${a.name} device=${a.device} offset=${a.offset} size=${a.size} writeAlign=${a.writeAlign} erasedValue=${a.erasedValue} eraseSize=${FLASH_SECTOR}`;
  }
}

export function flashArea(nor: SpiNor, a: FlashAreaConfig): FlashArea {
  return new Area(nor, a);
}

/** The areas a part owns, as its driver.flash. */
export function flashDriver(all: readonly FlashArea[], owners: readonly string[], part: string): FlashDriver {
  const mine = all.filter((_a, i) => owners[i] === part);
  return {
    areas: () => mine.map((a) => a.name),
    open: (name) => {
      const a = mine.find((m) => m.name === name);
      if (!a) throw new Error(`flash area ${name} not granted to ${part}`);
      return a;
    },
  };
}

/**
 * Boot: checks the table against the chip; on success stores each part's driver as
 * drivers["flash.<part>"] (services.ts: driver.get gives a part its own); registers the FLASH
 * shell commands. A chip absent or a bad table is said once in a trace and no part gets the driver.
 */
export function startFlash(
  cfg: FlashConfig | undefined,
  drivers: { [name: string]: unknown },
  shell: Shell,
  trace: Trace,
  parts: readonly string[],
): void {
  const PART_ORDER = parts;
  const chip = spinor.info();
  const size = spinor.capacity();
  const bad = chip.startsWith('absent') ? `SPI NOR ${chip}` : checkAreas(cfg, size);
  const areas = bad ? [] : cfg!.areas.map((a) => flashArea(spinor, a));
  if (bad) trace.log(TraceLevel.Warning, 'GENERIC', `flash: ${bad}; no flash areas`);
  else
    for (const p of PART_ORDER)
      drivers[`flash.${p}`] = flashDriver(
        areas,
        cfg!.areas.map((a) => a.owner),
        p,
      );
  const area = (id: number) => {
    const a = areas.find((x) => x.id === id);
    if (!a) throw new RangeError(`no flash area ${id}`);
    return a;
  };
  shell.register({
    module: 'FLASH',
    command: 'INFO',
    params: 0,
    help: '- SPI NOR: chip id, size, operation counters, the areas',
    owner: 'generic',
    handler: (_p, out) => {
      out(`FLASH ${spinor.info()}\r\n`);
      cfg!.areas.forEach((a, i) => {
        out(`AREA ${areas[i] ? areas[i].info() : `id=${a.id} name=${a.name}`} owner=${a.owner}\r\n`);
      });
    },
  });
  shell.register({
    module: 'FLASH',
    command: 'WEAR',
    params: 0,
    help: '- erase counts per 4 KB sector: each area and the whole chip (min, max, total)',
    owner: 'generic',
    handler: (_p, out) => {
      if (bad) throw new Error(bad);
      for (const a of cfg!.areas) out(`WEAR ${a.name} ${spinor.wear(a.offset / FLASH_SECTOR, a.size / FLASH_SECTOR)}\r\n`);
      out(`WEAR chip ${spinor.wear(0, size / FLASH_SECTOR)}\r\n`);
    },
  });
  shell.register({
    module: 'FLASH',
    command: 'READ',
    params: 3,
    help: '<area> <offset> <count> - bytes of an area in hex (count 1..64)',
    owner: 'generic',
    handler: (p, out) => {
      if (!(p[2]! >= 1 && p[2]! <= 64)) throw new RangeError('count 1..64');
      const b = new Uint8Array(p[2]!);
      area(p[0]!).read(p[1]!, b);
      out(`DATA ${Array.from(b, (x) => (x < 16 ? '0' : '') + x.toString(16)).join('')}\r\n`);
    },
  });
  shell.register({
    module: 'FLASH',
    command: 'PROG',
    params: 4,
    help: '<area> <offset> <value> <count> - program count bytes of value (0..255, count 1..4096)',
    owner: 'generic',
    handler: (p, out) => {
      if (!(p[2]! >= 0 && p[2]! <= 255 && p[3]! >= 1 && p[3]! <= 4096)) throw new RangeError('value 0..255, count 1..4096');
      area(p[0]!).program(p[1]!, new Uint8Array(p[3]!).fill(p[2]!));
      out('OK\r\n');
    },
  });
  shell.register({
    module: 'FLASH',
    command: 'ERASE',
    params: 2,
    help: '<area> <offset> - erase the 4 KB sector at offset',
    owner: 'generic',
    handler: (p, out) => {
      area(p[0]!).erase(p[1]!);
      out('OK\r\n');
    },
  });
}
