/* Header and TLV parser of signed images (fwimage.h): no crypto, so the fuzzer takes it alone. */
#include <string.h>

#include "fwimage.h"

static const char *const reason_text[FWIMAGE_REASON_COUNT] = {
	[FWIMAGE_OK] = "ok",
	[FWIMAGE_E_MAGIC] = "bad magic",
	[FWIMAGE_E_TRUNCATED] = "truncated",
	[FWIMAGE_E_HEADER] = "bad header",
	[FWIMAGE_E_TLV] = "bad TLV area",
	[FWIMAGE_E_UNSIGNED] = "unsigned",
	[FWIMAGE_E_HASH] = "hash mismatch",
	[FWIMAGE_E_UNKNOWN_KEY] = "unknown key",
	[FWIMAGE_E_SIGNATURE] = "bad signature",
	[FWIMAGE_E_PART] = "wrong part",
	[FWIMAGE_E_KEY_CLASS] = "wrong key class for this part",
	[FWIMAGE_E_ROLE] = "wrong role",
	[FWIMAGE_E_ROLLBACK] = "rollback",
	[FWIMAGE_E_PAYLOAD] = "part image header disagrees",
	[FWIMAGE_E_READ] = "read failed",
	[FWIMAGE_E_CRYPTO] = "crypto failure",
};

const char *fwimage_reason_text(fwimage_reason_t reason)
{
	return (unsigned)reason < FWIMAGE_REASON_COUNT ? reason_text[reason] : "unknown reason";
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Reads [offset, offset + len) after checking it lies inside the area. */
static fwimage_reason_t fetch(fwimage_read_t read, void *ctx, uint32_t area_size, uint32_t offset, uint8_t *buf, size_t len)
{
	if (offset > area_size || len > area_size - offset)
		return FWIMAGE_E_TRUNCATED;
	return read(ctx, offset, buf, len) ? FWIMAGE_E_READ : FWIMAGE_OK;
}

/* Walks one TLV area at *at; protected selects which TLVs it may hold. */
static fwimage_reason_t walk(fwimage_read_t read, void *ctx, uint32_t area_size, uint32_t at, uint16_t magic,
                             uint32_t expect_size, fwimage_info_t *info, uint32_t *end)
{
	uint8_t b[4];
	fwimage_reason_t r = fetch(read, ctx, area_size, at, b, 4);
	if (r)
		return r;
	if (rd16(b) != magic)
		return FWIMAGE_E_TLV;
	uint32_t tot = rd16(b + 2);
	if (tot < 4 || (expect_size && tot != expect_size))
		return FWIMAGE_E_TLV;
	if (tot > area_size - at)
		return FWIMAGE_E_TRUNCATED;
	uint32_t p = at + 4, stop = at + tot;
	int prot = magic == FWIMAGE_TLV_PROT_INFO_MAGIC;
	while (p < stop) {
		if (stop - p < 4)
			return FWIMAGE_E_TLV;
		if ((r = fetch(read, ctx, area_size, p, b, 4)))
			return r;
		uint16_t type = rd16(b), len = rd16(b + 2);
		uint32_t v = p + 4;
		if (len > stop - v)
			return FWIMAGE_E_TLV;
		uint8_t bit = 0;
		switch (type) {
		case FWIMAGE_TLV_SEC_CNT:
		case FWIMAGE_TLV_METERFW_TARGET: {
			uint8_t val[4];
			if (!prot || len != 4)
				return FWIMAGE_E_TLV;
			if ((r = fetch(read, ctx, area_size, v, val, 4)))
				return r;
			if (type == FWIMAGE_TLV_SEC_CNT) {
				bit = FWIMAGE_HAVE_SEC_CNT;
				info->security_counter = rd32(val);
			} else {
				bit = FWIMAGE_HAVE_TARGET;
				if (val[2] || val[3])
					return FWIMAGE_E_TLV;
				info->part = val[0];
				info->role = val[1];
			}
			break;
		}
		case FWIMAGE_TLV_SHA256:
		case FWIMAGE_TLV_KEYHASH:
			if (prot || len != 32)
				return FWIMAGE_E_TLV;
			bit = type == FWIMAGE_TLV_SHA256 ? FWIMAGE_HAVE_SHA256 : FWIMAGE_HAVE_KEYHASH;
			if (type == FWIMAGE_TLV_SHA256)
				info->sha256_off = v;
			else
				info->keyhash_off = v;
			break;
		case FWIMAGE_TLV_ECDSA_SIG:
			if (prot || len < 8 || len > FWIMAGE_SIG_MAX)
				return FWIMAGE_E_TLV;
			bit = FWIMAGE_HAVE_SIG;
			info->sig_off = v;
			info->sig_len = len;
			break;
		default:
			break;             /* other TLVs (MCUboot's or a later tool's) are skipped, as bootutil does */
		}
		if (info->have & bit)
			return FWIMAGE_E_TLV; /* a duplicate would let one copy be checked and another used */
		info->have |= bit;
		p = v + len;
	}
	*end = stop;
	return FWIMAGE_OK;
}

fwimage_reason_t fwimage_parse(fwimage_read_t read, void *ctx, uint32_t area_size, fwimage_info_t *info)
{
	uint8_t h[FWIMAGE_HEADER_SIZE];
	fwimage_reason_t r;
	memset(info, 0, sizeof(*info));
	if (area_size < 4)
		return FWIMAGE_E_TRUNCATED;
	if ((r = fetch(read, ctx, area_size, 0, h, 4)))
		return r;
	if (rd32(h) != FWIMAGE_MAGIC)
		return FWIMAGE_E_MAGIC;
	if ((r = fetch(read, ctx, area_size, 0, h, sizeof(h))))
		return r;
	info->load_addr = rd32(h + 4);
	info->hdr_size = rd16(h + 8);
	info->prot_size = rd16(h + 10);
	info->img_size = rd32(h + 12);
	info->flags = rd32(h + 16);
	info->ver_major = h[20];
	info->ver_minor = h[21];
	info->ver_revision = rd16(h + 22);
	info->ver_build = rd32(h + 24);
	if (info->hdr_size < FWIMAGE_HEADER_SIZE)
		return FWIMAGE_E_HEADER;
	if (info->hdr_size > area_size || info->img_size > area_size - info->hdr_size)
		return FWIMAGE_E_TRUNCATED;
	uint32_t at = info->hdr_size + info->img_size, end;
	if (info->prot_size) {
		if ((r = walk(read, ctx, area_size, at, FWIMAGE_TLV_PROT_INFO_MAGIC, info->prot_size, info, &at)))
			return r;
	}
	if ((r = walk(read, ctx, area_size, at, FWIMAGE_TLV_INFO_MAGIC, 0, info, &end)))
		return r;
	info->total_size = end;
	if ((info->have & (FWIMAGE_HAVE_SEC_CNT | FWIMAGE_HAVE_TARGET | FWIMAGE_HAVE_SHA256)) !=
	    (FWIMAGE_HAVE_SEC_CNT | FWIMAGE_HAVE_TARGET | FWIMAGE_HAVE_SHA256))
		return FWIMAGE_E_TLV;
	if (!(info->have & FWIMAGE_HAVE_KEYHASH) || !(info->have & FWIMAGE_HAVE_SIG))
		return FWIMAGE_E_UNSIGNED;
	return FWIMAGE_OK;
}
