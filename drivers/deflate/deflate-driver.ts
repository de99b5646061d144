// Driver "deflate": raw deflate (RFC 1951) by Debian's zlib compiled into the firmware
// (drivers/deflate/, a 512-byte window and memLevel 1; docs/headend.md). Granted by
// config.grants "driver.deflate"; the head-end uplink (modules/nonlegal/dc/headend/) compresses
// its batches with it.
const raw = native<(bytes: Uint8Array) => ArrayBuffer>('xs_deflate_raw');
const info = native<() => string>('xs_deflate_info');

export interface DeflateDriver {
  /** Raw deflate of bytes (at most DEFLATE_INPUT_MAX, 16 KB by default); throws when zlib cannot get its heap. */
  raw(bytes: Uint8Array): Uint8Array;
  /** `calls=.. failures=.. in=.. out=.. heapPeak=.. window=.. memLevel=..` */
  info(): string;
}

export const deflate: DeflateDriver = {
  raw: (bytes) => new Uint8Array(raw(bytes)),
  info: () => info(),
};
