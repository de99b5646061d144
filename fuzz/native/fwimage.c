/* libFuzzer harness: the signed-image header and TLV parser (drivers/fwimage/fwimage_parse.c).
 * The input is the slot's content; the first byte chooses how much of it the slot holds (so
 * sizes past the data are reached too: the parser must never ask to read outside the slot).
 * Checks: every read lies inside the slot and is small (the parser reads headers, never the
 * payload); a reason is a known one; an accepted image has every TLV value inside total_size,
 * which is inside the slot. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwimage.h"

typedef struct { const uint8_t *p; size_t n; uint32_t area; } slot_t;

static int slot_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	slot_t *s = ctx;
	if (offset > s->area || len > s->area - offset || len > FWIMAGE_HEADER_SIZE)
		abort();
	if (offset > s->n || len > s->n - offset) {
		memset(buf, 0xff, len); /* erased flash past the data */
		return 0;
	}
	memcpy(buf, s->p + offset, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	slot_t s = { data + 1, size - 1, (uint32_t)(size - 1) };
	if (data[0] & 0x80)
		s.area += data[0] & 0x7f;          /* a slot longer than the data */
	else if (data[0] & 0x40)
		s.area -= s.area < (data[0] & 0x3f) ? s.area : (data[0] & 0x3f);
	fwimage_info_t info;
	fwimage_reason_t r = fwimage_parse(slot_read, &s, s.area, &info);
	if ((unsigned)r >= FWIMAGE_REASON_COUNT || !fwimage_reason_text(r))
		abort();
	if (r == FWIMAGE_OK) {
		uint64_t signed_end = (uint64_t)info.hdr_size + info.img_size + info.prot_size;
		if (info.total_size > s.area || signed_end > info.total_size || info.hdr_size < FWIMAGE_HEADER_SIZE)
			abort();
		if ((uint64_t)info.sha256_off + 32 > info.total_size || (uint64_t)info.keyhash_off + 32 > info.total_size ||
		    (uint64_t)info.sig_off + info.sig_len > info.total_size || info.sig_len > FWIMAGE_SIG_MAX)
			abort();
		if (info.sha256_off < signed_end || info.keyhash_off < signed_end || info.sig_off < signed_end)
			abort();                         /* the unprotected values lie after what the hash covers */
	}
	return 0;
}
