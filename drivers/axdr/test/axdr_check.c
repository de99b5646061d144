/* Line-driven check of the A-XDR table codec (drivers/axdr/axdr.c) for
 * test/dlms/axdr-table.test.ts, built with ASan/UBSan. One request per line, one answer per line
 * (hex, "-" for no bytes):
 *   E <layout> <rows> <records> <room>             -> <reason> <bytes>
 *   D <layout> <maxRows> <depth> <maxDepth> <recordRoom> <input>
 *                                                  -> <reason> <rows> <used> <at> <records>
 * Every buffer is an exact-size heap copy, so a read or write one past it is caught. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axdr.h"

static uint8_t *unhex(const char *s, size_t *n)
{
	size_t len = strcmp(s, "-") == 0 ? 0 : strlen(s) / 2;
	uint8_t *b = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		b[i] = (uint8_t)v;
	}
	*n = len;
	return b;
}

static void hex(const uint8_t *b, size_t n)
{
	if (n == 0)
		fputs("-", stdout);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

int main(void)
{
	static char line[1 << 20], a[1 << 19], c[1 << 19];
	while (fgets(line, sizeof line, stdin)) {
		axdr_layout_t l;
		size_t dn, rn, in_n;
		unsigned long rows, room, max_rows, depth, max_depth;
		if (line[0] == 'E' && sscanf(line, "E %s %lu %s %lu", a, &rows, c, &room) == 4) {
			uint8_t *d = unhex(a, &dn), *rec = unhex(c, &rn), *out = malloc(room ? room : 1);
			size_t len = 0;
			int e = axdr_layout_parse(d, dn, &l);
			if (e == AXDR_OK)
				e = axdr_table_encode(&l, rec, rn, rows, out, room, &len);
			if (e == AXDR_OK && len != axdr_table_size(&l, rows))
				return 2;
			printf("%d ", e);
			hex(out, len);
			putchar('\n');
			free(d), free(rec), free(out);
		} else if (line[0] == 'D' &&
		           sscanf(line, "D %s %lu %lu %lu %lu %s", a, &max_rows, &depth, &max_depth, &room, c) == 6) {
			uint8_t *d = unhex(a, &dn), *in = unhex(c, &in_n), *rec = malloc(room ? room : 1);
			size_t got = 0, used = 0, at = 0;
			int e = axdr_layout_parse(d, dn, &l);
			if (e == AXDR_OK)
				e = axdr_table_decode(&l, in, in_n, max_rows, depth, max_depth, rec, room, &got, &used, &at);
			if (e < 0 || e >= AXDR_REASONS || used > in_n || at > in_n)
				return 3;
			printf("%d %zu %zu %zu ", e, got, used, at);
			hex(rec, e == AXDR_OK ? got * l.record_size : 0);
			putchar('\n');
			free(d), free(in), free(rec);
		} else
			return 1;
		fflush(stdout);
	}
	return 0;
}
