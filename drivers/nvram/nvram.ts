// Driver "nvram": the byte-writable non-volatile memory (drivers/nvram, an SPI FRAM model), split
// into one area per part (nvramAreas): LEGAL's is granted as "nvram", PLC's as "plcstore",
// NON-LEGAL's as "nvstore" (manifest config.grants). Offsets are bytes from 0;
// a write may be torn by a power cut (in 16-byte bursts), so callers keep their records
// power-fail safe. info() says whether it is backed by a file, volatile, or absent. The areas'
// sizes have one definition, generic/shared/nvram-areas.ts (C: gen/nvram_areas.h).
import { NV_NONLEGAL, NV_PLC, NV_SPLIT_MIN } from 'generic/shared/nvram-areas';

export interface NvramDriver {
  /** Fills view with the bytes at offset; RangeError outside the NVRAM. */
  read(offset: number, view: ArrayBufferView): void;
  /** Writes view's bytes at offset. */
  write(offset: number, view: ArrayBufferView): void;
  /** Bytes of the NVRAM (of the area, for an area); 0 where there is none. */
  capacity(): number;
  /** `kind=<none|volatile|file> size=<n> reads=<n> writes=<n> bytes=<n> errors=<n>` (display) */
  info(): string;
}

export const nvram: NvramDriver = {
  read: native<(offset: number, view: ArrayBufferView) => void>('xs_nvram_read'),
  write: native<(offset: number, view: ArrayBufferView) => void>('xs_nvram_write'),
  capacity: native<() => number>('xs_nvram_capacity'),
  info: native<() => string>('xs_nvram_info'),
};

/**
 * A window [base, base + size) of the NVRAM as a driver of its own: offsets are area-relative and
 * bounded, so a part given one area cannot reach another's bytes. info() reports the area's size.
 */
export function nvramArea(d: NvramDriver, base: number, size: number): NvramDriver {
  const check = (offset: number, view: ArrayBufferView) => {
    if (!(Number.isInteger(offset) && offset >= 0 && offset + view.byteLength <= size))
      throw new RangeError(`nvram area: ${offset}+${view.byteLength} outside ${size} bytes`);
  };
  return {
    read: (offset, view) => {
      check(offset, view);
      d.read(base + offset, view);
    },
    write: (offset, view) => {
      check(offset, view);
      d.write(base + offset, view);
    },
    capacity: () => size,
    info: () => d.info().replace(/size=\d+/, `size=${size}`),
  };
}

/**
 * From one NVRAM: LEGAL's area (the billing records and the event journal) from 0, then PLC's
 * (driver "plcstore", NV_PLC bytes: taken from LEGAL's journal, whose records are 32 bytes: one
 * record fewer, the least LEGAL can give), then NON-LEGAL's NV_NONLEGAL at the end. An NVRAM under
 * NV_SPLIT_MIN bytes (none: size 0) stays LEGAL's whole.
 */
export function nvramAreas(d: NvramDriver): { legal: NvramDriver; plc: NvramDriver; nonlegal: NvramDriver } {
  const total = d.capacity();
  const nl = total >= NV_SPLIT_MIN ? NV_NONLEGAL : 0,
    plc = nl ? NV_PLC : 0;
  const legal = total - nl - plc;
  return { legal: nvramArea(d, 0, legal), plc: nvramArea(d, legal, plc), nonlegal: nvramArea(d, total - nl, nl) };
}
