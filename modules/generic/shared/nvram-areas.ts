// The NVRAM and its areas, one definition: tools/build.mjs turns every NV_ export of this module
// into gen/nvram_areas.h (#define NV_<name> <value>) for the C (drivers/nvram/nvram.h: the FRAM's
// size, hosts/lin/main.c: the --nvram file's), drivers/nvram/nvram.ts splits the NVRAM with it,
// and the tests import it. Under generic/shared/ so every part may import it; numbers only
// (every name costs a key on the STM32F405). docs/nvram-layout.md.
//   0 .. NV_LEGAL - 1            LEGAL's area (driver "nvram"): billing records, event journal
//   NV_LEGAL .. + NV_PLC - 1     PLC's area (driver "plcstore"): the MAC frame counter's record,
//                                two 16-byte copies (plc/fc-store.ts)
//   the last NV_NONLEGAL bytes   NON-LEGAL's area (driver "nvstore"): invocation counters, DRBG
//                                seed, transferred keys
// An NVRAM under NV_SPLIT_MIN bytes (none: 0) stays LEGAL's whole.

export const NV_SIZE = 8192; // bytes of the board's NVRAM, a 64-kbit FRAM
export const NV_PLC = 32;
export const NV_NONLEGAL = 512;
export const NV_SPLIT_MIN = 4 * NV_NONLEGAL;
export const NV_LEGAL = NV_SIZE - NV_PLC - NV_NONLEGAL; // LEGAL's area of the NV_SIZE NVRAM
