// Driver "flash": the SPI NOR (drivers/spinor) cut into flash areas, MCUboot style. The table
// comes from the manifest (config.flash.areas), is checked at boot against the chip the driver
// found (inside the device, 4 KB aligned, no overlap) and each part is granted, as driver
// "flash", only the areas it owns: offsets are area-relative and bounded, alignment and erased
// value are queried from the area, never assumed. docs/spi-nor.md.

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
  read(addr: number, view: ArrayBufferView): void;
  program(addr: number, view: ArrayBufferView): void;
  erase(addr: number): void;
  wear(firstSector: number, count: number): string;
}

export const spinor: SpiNor = {
  info: native<() => string>('xs_spinor_info'),
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
