/* XS binding of the signed-image verifier (fwimage.h) and of the part regions the runtime swap
 * writes (modules/generic/fwupdate.ts, docs/firmware-update.md).
 *
 * mbed TLS's ECDSA makes ~9,800 small allocations (peak ~1.6 KB, docs/image-format.md): while
 * a verification runs they come from the arena below (drivers/crypto/crypto.c routes mbed TLS's
 * calloc to it), never from the XS chunk heap nor the symmetric-crypto pool. */
#include "xsruntime.h"
#include "fwimage.h"
#include "spinor.h"
#include "crypto.h"

#include <stdio.h>
#include <string.h>

/* ---- the verifier's arena: first fit over one static block, merged on free ---- */
#ifndef FWIMAGE_ARENA_SIZE
#define FWIMAGE_ARENA_SIZE 4096
#endif
#define ARENA_ALIGN 8
#define ARENA_USED 1u

static uint32_t arena_words[FWIMAGE_ARENA_SIZE / 4] __attribute__((aligned(ARENA_ALIGN)));
#define ARENA ((uint8_t *)arena_words)
static size_t arena_in_use, arena_peak;
static uint32_t arena_allocs, arena_failures;

/* A block: u32 size (header included, a multiple of 8) | used bit, u32 pad, then the bytes. */
static uint32_t *block_at(size_t off) { return (uint32_t *)(ARENA + off); }

static void arena_reset(void)
{
	block_at(0)[0] = FWIMAGE_ARENA_SIZE;
	arena_in_use = 0;
}

static void *arena_calloc(size_t size)
{
	size_t need = (size + ARENA_ALIGN + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	for (size_t off = 0; off < FWIMAGE_ARENA_SIZE;) {
		uint32_t *b = block_at(off);
		size_t len = b[0] & ~ARENA_USED;
		if (len == 0)
			break; /* never: blocks tile the arena */
		if (!(b[0] & ARENA_USED) && len >= need) {
			if (len - need >= 2 * ARENA_ALIGN) {
				block_at(off + need)[0] = (uint32_t)(len - need);
				len = need;
			}
			b[0] = (uint32_t)len | ARENA_USED;
			arena_in_use += len;
			if (arena_in_use > arena_peak)
				arena_peak = arena_in_use;
			arena_allocs++;
			memset(b + 2, 0, len - ARENA_ALIGN);
			return b + 2;
		}
		off += len;
	}
	arena_failures++;
	return NULL;
}

/* 1 when p was the arena's (freed and merged with free neighbours), 0 otherwise. */
static int arena_free(void *p)
{
	uint8_t *q = p;
	if (q < ARENA || q >= ARENA + FWIMAGE_ARENA_SIZE)
		return 0;
	uint32_t *b = (uint32_t *)(q - ARENA_ALIGN);
	arena_in_use -= b[0] & ~ARENA_USED;
	b[0] &= ~ARENA_USED;
	for (size_t off = 0; off < FWIMAGE_ARENA_SIZE;) {
		uint32_t *a = block_at(off);
		size_t len = a[0] & ~ARENA_USED;
		while (!(a[0] & ARENA_USED) && off + len < FWIMAGE_ARENA_SIZE && !(block_at(off + len)[0] & ARENA_USED))
			len += block_at(off + len)[0], a[0] = (uint32_t)len;
		off += len;
	}
	return 1;
}

/* ---- verify(areaOffset, areaSize, part, securityCounter) ---- */

typedef struct {
	uint32_t base;
} nor_ctx_t;

static int nor_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	return spinor_read(((nor_ctx_t *)ctx)->base + offset, buf, len) < 0 ? -1 : 0;
}

static int role_index(void)
{
	static const char *const roles[FWIMAGE_ROLE_COUNT] = { "meter", "meter-1p", "concentrator" };
	for (int i = 0; i < FWIMAGE_ROLE_COUNT; i++)
		if (!strcmp(build_role, roles[i]))
			return i;
	return -1;
}

/* -> { reason, text, version, securityCounter, part, role, total, arenaPeak, arenaAllocs }: reason
 * 0 is ok; else one of fwimage.h's refusal codes, text its name. */
void xs_fwimage_verify(xsMachine *the)
{
	int offset = xsToInteger(xsArg(0)), size = xsToInteger(xsArg(1)), part = xsToInteger(xsArg(2));
	double counter = xsToNumber(xsArg(3));
	if (offset < 0 || size <= 0 || part <= IMAGE_PART_LEGAL || part >= IMAGE_PART_COUNT || !(counter >= 0 && counter <= 4294967295.0))
		xsRangeError("fwimage verify: offset %d size %d part %d", offset, size, part);
	int role = role_index();
	if (role < 0)
		xsUnknownError("fwimage: role %s has no TARGET code", build_role);
	nor_ctx_t ctx = { (uint32_t)offset };
	fwimage_expect_t expect = { (uint8_t)part, (uint8_t)role, (uint32_t)counter };
	fwimage_info_t info;
	memset(&info, 0, sizeof(info));
	arena_reset();
	arena_peak = 0;
	arena_allocs = 0;
	crypto_pool_arena(arena_calloc, arena_free);
	fwimage_reason_t r = fwimage_verify(nor_read, &ctx, (uint32_t)size, &expect, &info);
	crypto_pool_arena(NULL, arena_free);
	char version[40];
	snprintf(version, sizeof(version), "%u.%u.%u+%lu", info.ver_major, info.ver_minor, info.ver_revision, (unsigned long)info.ver_build);
	xsResult = xsNewObject();
	xsSet(xsResult, xsID("reason"), xsInteger(r));
	xsSet(xsResult, xsID("text"), xsString(r ? fwimage_reason_text(r) : "ok"));
	xsSet(xsResult, xsID("version"), xsString(version));
	xsSet(xsResult, xsID("securityCounter"), xsNumber(info.security_counter));
	xsSet(xsResult, xsID("part"), xsInteger(info.part));
	xsSet(xsResult, xsID("role"), xsInteger(info.role));
	xsSet(xsResult, xsID("total"), xsNumber(info.total_size));
	xsSet(xsResult, xsID("arenaPeak"), xsNumber((double)arena_peak));
	xsSet(xsResult, xsID("arenaAllocs"), xsNumber(arena_allocs));
	xsSet(xsResult, xsID("arenaFailures"), xsNumber(arena_failures));
}

/* ---- the part regions (internal flash) ---- */

static int region_part(xsMachine *the)
{
	int part = xsToInteger(xsArg(0));
	if (part <= IMAGE_PART_LEGAL || part >= IMAGE_PART_COUNT)
		xsRangeError("region: part %d is not PLC or NON-LEGAL", part);
	return part;
}

/* regionSize(part) -> bytes of the part's region; 0 where the host cannot write it. */
void xs_fwimage_region_size(xsMachine *the)
{
	size_t size;
	const uint8_t *base = runtime_region(region_part(the), &size);
	xsResult = xsNumber(base && board_region_writable() ? (double)size : 0);
}

static void region_args(xsMachine *the, int *part, uint32_t *offset, void **data, size_t *length)
{
	size_t size;
	*part = region_part(the);
	int off = xsToInteger(xsArg(1));
	runtime_buffer(the, &xsArg(2), data, length);
	if (!runtime_region(*part, &size) || off < 0 || (size_t)off > size || *length > size - (size_t)off)
		xsRangeError("region %d: %d+%d outside", *part, off, (int)*length);
	*offset = (uint32_t)off;
}

/* regionRead(part, offset, view) */
void xs_fwimage_region_read(xsMachine *the)
{
	int part;
	uint32_t offset;
	void *data;
	size_t length, size;
	region_args(the, &part, &offset, &data, &length);
	memcpy(data, runtime_region(part, &size) + offset, length);
}

/* regionWrite(part, offset, view): what the board's internal-flash programming does. */
void xs_fwimage_region_write(xsMachine *the)
{
	int part;
	uint32_t offset;
	void *data;
	size_t length;
	region_args(the, &part, &offset, &data, &length);
	if (board_region_write(part, offset, data, length) < 0)
		xsUnknownError("region %d: write %lu+%u failed", part, (unsigned long)offset, (unsigned)length);
}
