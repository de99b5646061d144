// Driver "nvram": the byte-writable non-volatile memory (drivers/nvram, an SPI FRAM model),
// granted to LEGAL only (manifest config.grants "driver.nvram"). Offsets are bytes from 0;
// a write may be torn by a power cut (in 16-byte bursts), so callers keep their records
// power-fail safe. info() says whether it is backed by a file, volatile, or absent.

export interface NvramDriver {
  /** Fills view with the bytes at offset; RangeError outside the NVRAM. */
  read(offset: number, view: ArrayBufferView): void;
  /** Writes view's bytes at offset. */
  write(offset: number, view: ArrayBufferView): void;
  /** `kind=<none|volatile|file> size=<n> reads=<n> writes=<n> bytes=<n> errors=<n>` */
  info(): string;
}

export const nvram: NvramDriver = {
  read: native<(offset: number, view: ArrayBufferView) => void>('xs_nvram_read'),
  write: native<(offset: number, view: ArrayBufferView) => void>('xs_nvram_write'),
  info: native<() => string>('xs_nvram_info'),
};
