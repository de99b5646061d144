/* XS bindings of the A-XDR table codec (drivers/axdr/axdr.ts): one call encodes or decodes a
 * whole table (a load profile's buffer) between A-XDR bytes and a flat record area. Nothing is
 * allocated: the caller passes every buffer (for encode, room it reserved from the exact size
 * axdr.ts computes). Codec failures come back as reason numbers (axdr.h), never thrown; a wrong
 * argument (not a buffer, an offset outside it) is a RangeError. */
#include <string.h>

#include "xs.h"
#include "xsruntime.h"
#include "axdr.h"

typedef struct { uint8_t *p; size_t n; } bytes_t;

static bytes_t arg(xsMachine *the, int i)
{
	bytes_t b;
	void *p;
	runtime_buffer(the, &xsArg(i), &p, &b.n);
	b.p = p;
	return b;
}

/* A non-negative integer argument no larger than max. */
static size_t count_arg(xsMachine *the, int i, size_t max, const char *what)
{
	double v = xsToNumber(xsArg(i));
	if (!(v >= 0 && v <= (double)max) || v != (double)(size_t)v)
		xsRangeError("axdr: %s out of range", what);
	return (size_t)v;
}

/* (layout, records, rows, out, at) -> end offset in out, or -reason */
void xs_axdr_encode(xsMachine *the)
{
	axdr_layout_t l;
	bytes_t d = arg(the, 0);
	int e = axdr_layout_parse(d.p, d.n, &l);
	if (e != AXDR_OK) {
		xsResult = xsInteger(-e);
		return;
	}
	size_t rows = count_arg(the, 2, 0xFFFFFFFFu, "rows");
	bytes_t out = arg(the, 3);
	size_t at = count_arg(the, 4, out.n, "offset");
	bytes_t rec = arg(the, 1);
	size_t len = 0;
	e = axdr_table_encode(&l, rec.p, rec.n, rows, out.p + at, out.n - at, &len);
	xsResult = xsInteger(e == AXDR_OK ? (xsIntegerValue)(at + len) : -e);
}

/* (layout, bytes, at, end, maxRows, depth, maxDepth, records, info) -> reason; info (Uint32Array
 * of 3): rows, the offset after the table, the offset of a refused item */
void xs_axdr_decode(xsMachine *the)
{
	axdr_layout_t l;
	bytes_t d = arg(the, 0);
	int e = axdr_layout_parse(d.p, d.n, &l);
	bytes_t info = arg(the, 8);
	if (info.n < 3 * sizeof(uint32_t))
		xsRangeError("axdr: info too short");
	if (e != AXDR_OK) {
		xsResult = xsInteger(e);
		return;
	}
	bytes_t in = arg(the, 1);
	size_t end = count_arg(the, 3, in.n, "end");
	size_t at = count_arg(the, 2, end, "offset");
	size_t max_rows = count_arg(the, 4, 0xFFFFFFFFu, "maxRows");
	size_t depth = count_arg(the, 5, 0xFFFF, "depth"), max_depth = count_arg(the, 6, 0xFFFF, "maxDepth");
	bytes_t rec = arg(the, 7);
	size_t rows = 0, used = 0, bad = 0;
	e = axdr_table_decode(&l, in.p + at, end - at, max_rows, depth, max_depth, rec.p, rec.n, &rows, &used, &bad);
	uint32_t v[3] = { (uint32_t)rows, (uint32_t)(at + used), (uint32_t)(at + bad) };
	info = arg(the, 8);
	memcpy(info.p, v, sizeof v);
	xsResult = xsInteger(e);
}
