/* Raw deflate through zlib with counted allocations (deflate.h). */
#include "deflate.h"

#include <stdlib.h>
#include <string.h>

#include "zlib.h"

static deflate_stats_t stats;
static uint32_t held;

/* zlib's allocations, counted: each block carries its size in front */
static voidpf counted_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	size_t n = (size_t)items * size;
	if (size && n / size != items)
		return Z_NULL;
	size_t *p = malloc(n + sizeof(size_t));
	if (!p)
		return Z_NULL;
	p[0] = n;
	held += (uint32_t)n;
	if (held > stats.heap_peak)
		stats.heap_peak = held;
	return p + 1;
}

static void counted_free(voidpf opaque, voidpf address)
{
	(void)opaque;
	if (!address)
		return;
	size_t *p = (size_t *)address - 1;
	held -= (uint32_t)p[0];
	free(p);
}

size_t deflate_bound(size_t n)
{
	/* zlib's deflateBound for non-default parameters (stored blocks at worst), raw: no header */
	return n + ((n + 7) >> 3) + ((n + 63) >> 6) + 5 + 6;
}

int deflate_raw(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *written)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	z.zalloc = counted_alloc;
	z.zfree = counted_free;
	stats.calls++;
	if (deflateInit2(&z, DEFLATE_LEVEL, Z_DEFLATED, -DEFLATE_WINDOW_BITS, DEFLATE_MEM_LEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
		stats.failures++;
		return DEFLATE_E_MEMORY;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	int r = deflate(&z, Z_FINISH);
	size_t got = cap - z.avail_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		stats.failures++;
		return r == Z_OK || r == Z_BUF_ERROR ? DEFLATE_E_SPACE : DEFLATE_E_ZLIB;
	}
	stats.bytes_in += (uint32_t)n;
	stats.bytes_out += (uint32_t)got;
	*written = got;
	return DEFLATE_OK;
}

const deflate_stats_t *deflate_stats(void)
{
	return &stats;
}
