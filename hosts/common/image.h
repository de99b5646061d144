/* Part images: one per firmware part (GENERIC, LEGAL, PLC, NON-LEGAL), each in its own flash
 * region. Layout (little-endian), written by tools/image.mjs:
 *
 *   header (64 bytes)
 *     0  magic "MFWI"
 *     4  u16 format (1)
 *     6  u8  part (IMAGE_PART_*)
 *     7  u8  flags (reserved, 0)
 *     8  u32 version: major << 16 | minor << 8 | patch
 *    12  u32 payload size in bytes (directory + strings + bytecode)
 *    16  u8[32] SHA-256 of the payload
 *    48  u32 XS version the bytecode was compiled for: major << 16 | minor << 8 | patch
 *    52  u32 module count
 *    56  u32 header CRC-32 over bytes 0..55
 *    60  u32 reserved (0)
 *   payload
 *     module directory: count x { u32 path, u32 symbols, u32 symbolsSize, u32 code, u32 codeSize,
 *       u32 ids, u32 idCount } (offsets relative to the payload start; path is a NUL-terminated
 *       module specifier)
 *     then strings, symbol tables, bytecode and id tables.
 *   A module with idCount 0 is plain compiled code: the runtime copies it to RAM and XS maps
 *   its symbols at load. A module with ids is linked (tools/xsc/xsc.c --link): ids[i] (u16) is
 *   the key id its symbol i gets when the firmware registers every linked symbol at boot, and
 *   the code already holds those ids, so it runs in place from flash (xsruntime.c).
 * Nothing in an image is trusted before image_check() has verified it. */
#ifndef METERFW_IMAGE_H
#define METERFW_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAGIC "MFWI"
#define IMAGE_FORMAT 2
#define IMAGE_HEADER_SIZE 64
#define IMAGE_DIR_ENTRY_SIZE 28

enum {
	IMAGE_PART_GENERIC = 0,
	IMAGE_PART_LEGAL = 1,
	IMAGE_PART_PLC = 2,
	IMAGE_PART_NONLEGAL = 3,
	IMAGE_PART_COUNT = 4
};

/* Result of checking an image: named constants, printed by SYS VERSION. */
typedef enum {
	IMAGE_OK = 0,
	IMAGE_ABSENT,        /* region erased or empty */
	IMAGE_BAD_HEADER,    /* magic, format, part or header CRC wrong */
	IMAGE_BAD_SIZE,      /* payload larger than its region */
	IMAGE_BAD_HASH,      /* SHA-256 of the payload does not match */
	IMAGE_BAD_XS,        /* compiled for another XS version */
	IMAGE_BAD_DIRECTORY  /* a directory entry points outside the payload */
} image_status_t;

typedef struct {
	const uint8_t *base;      /* header address */
	size_t region_size;
	uint8_t part;
	image_status_t status;
	uint32_t version;
	uint32_t payload_size;
	uint32_t module_count;
	uint8_t sha256[32];
} image_t;

extern const char *const image_part_names[IMAGE_PART_COUNT];
extern const char *image_status_text(image_status_t status);

/* Verifies header, bounds, hash and directory; fills *image. */
image_status_t image_check(image_t *image, uint8_t part, const uint8_t *base, size_t region_size);

typedef struct {
	const char *path;
	const uint8_t *symbols;
	uint32_t symbols_size;
	const uint8_t *code;
	uint32_t code_size;
	const uint8_t *ids;       /* u16 little-endian key ids, or NULL (not linked) */
	uint32_t id_count;
} image_module_t;

/* The index-th module of a verified image (0 <= index < module_count). */
void image_module(const image_t *image, uint32_t index, image_module_t *module);

/* Finds a module in a verified image; returns its index, or -1 when absent. */
int image_find(const image_t *image, const char *path, image_module_t *module);

uint32_t image_crc32(uint32_t crc, const uint8_t *data, size_t length);

#endif
