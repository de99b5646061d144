/* libFuzzer harness: drivers/axdr (the native A-XDR table codec NON-LEGAL runs for load
 * profiles). Input: a control byte (bits 0..3: the column description's length L, bits 4..5:
 * the depth around the table, bit 6: a row bound of 8 instead of 65535, bit 7: a record area
 * 16 bytes short), the maximum depth byte, L bytes of column description, then the table's
 * bytes. Every decode either fails with a known reason, rows 0 and offsets inside the input, or
 * succeeds within the bounds; an accepted table re-encodes to exactly axdr_table_size() bytes
 * that decode again to the same records. ASan/UBSan catch any access outside the exact-size
 * copies. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "axdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t l_n = data[0] & 0x0F, depth = (data[0] >> 4) & 3, max_rows = (data[0] & 0x40) ? 8 : 65535;
	size_t max_depth = data[1];
	if (size < 2 + l_n)
		return 0;
	axdr_layout_t l;
	uint8_t *desc = malloc(l_n ? l_n : 1);
	memcpy(desc, data + 2, l_n);
	int e = axdr_layout_parse(desc, l_n, &l);
	free(desc);
	if (e != AXDR_OK) {
		if (e != AXDR_E_LAYOUT)
			abort();
		return 0;
	}
	size_t n = size - 2 - l_n;
	uint8_t *in = malloc(n ? n : 1);
	memcpy(in, data + 2 + l_n, n);
	/* records for every row the input could hold (each row is at least 3 bytes on the wire) */
	size_t room = (n / 3 + 1) * l.record_size;
	if ((data[0] & 0x80) && room >= 16)
		room -= 16;
	uint8_t *rec = malloc(room ? room : 1);
	size_t rows = 0, used = 0, at = 0;
	e = axdr_table_decode(&l, in, n, max_rows, depth, max_depth, rec, room, &rows, &used, &at);
	if (e < 0 || e >= AXDR_REASONS || e == AXDR_E_LAYOUT || used > n || at > n)
		abort();
	if (e != AXDR_OK) {
		if (rows != 0 || used != 0)
			abort();
	} else {
		if (rows > max_rows || rows * l.record_size > room || depth >= max_depth || (rows && depth + 2 > max_depth))
			abort();
		size_t len = axdr_table_size(&l, rows), got = 0;
		if (len == 0 || len > used)   /* the minimal encoding is never longer than what was read */
			abort();
		uint8_t *out = malloc(len);
		if (axdr_table_encode(&l, rec, rows * l.record_size, rows, out, len, &got) != AXDR_OK || got != len)
			abort();
		uint8_t *again = malloc(rows * l.record_size ? rows * l.record_size : 1);
		size_t rows2 = 0, used2 = 0, at2 = 0;
		if (axdr_table_decode(&l, out, len, max_rows, depth, max_depth, again, rows * l.record_size, &rows2, &used2, &at2) != AXDR_OK ||
		    rows2 != rows || used2 != len || memcmp(again, rec, rows * l.record_size) != 0)
			abort();
		free(again);
		free(out);
	}
	free(rec);
	free(in);
	return 0;
}
