/* XS binding of drivers/deflate (drivers/deflate/deflate-driver.ts): xs_deflate_raw(bytes) is a
 * new ArrayBuffer with the raw deflate of bytes; xs_deflate_info() one line of counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs.h"
#include "xsruntime.h"
#include "deflate.h"

#ifndef DEFLATE_INPUT_MAX
#define DEFLATE_INPUT_MAX 16384
#endif

void xs_deflate_raw(xsMachine *the)
{
	void *p;
	size_t n;
	runtime_buffer(the, &xsArg(0), &p, &n);
	if (n > DEFLATE_INPUT_MAX)
		xsRangeError("deflate: input above %u bytes", (unsigned)DEFLATE_INPUT_MAX);
	size_t cap = deflate_bound(n);
	/* compressed into a C buffer (no XS allocation while the argument's pointer is held), then
	 * copied into a result of the exact size */
	uint8_t *out = malloc(cap);
	if (!out)
		xsUnknownError("deflate: no memory");
	size_t written = 0;
	int r = deflate_raw(p, n, out, cap, &written);
	if (r != DEFLATE_OK) {
		free(out);
		if (r == DEFLATE_E_MEMORY)
			xsUnknownError("deflate: no memory");
		xsUnknownError("deflate: failed (%d)", r);
	}
	xsResult = xsArrayBuffer(out, (xsIntegerValue)written);
	free(out);
}

void xs_deflate_info(xsMachine *the)
{
	const deflate_stats_t *s = deflate_stats();
	char line[160];
	snprintf(line, sizeof(line), "calls=%lu failures=%lu in=%lu out=%lu heapPeak=%lu window=%d memLevel=%d",
		(unsigned long)s->calls, (unsigned long)s->failures, (unsigned long)s->bytes_in, (unsigned long)s->bytes_out,
		(unsigned long)s->heap_peak, DEFLATE_WINDOW_BITS, DEFLATE_MEM_LEVEL);
	xsResult = xsString(line);
}
