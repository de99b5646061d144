/* A-XDR table codec: see axdr.h. */
#include <string.h>

#include "axdr.h"

/* Value size of a fixed-size tag, 0xFF for a tag a table cannot hold. */
static uint8_t fixed_size(uint8_t tag)
{
	switch (tag) {
	case 0:  return 0;            /* null */
	case 3:                       /* boolean */
	case 13:                      /* bcd */
	case 15:                      /* integer */
	case 17:                      /* unsigned */
	case 22: return 1;            /* enum */
	case 16:                      /* long */
	case 18: return 2;            /* long-unsigned */
	case 5:                       /* double-long */
	case 6:  return 4;            /* double-long-unsigned */
	case 20:                      /* long64 */
	case 21: return 8;            /* long64-unsigned */
	case 25: return 12;           /* date-time */
	case 26: return 5;            /* date */
	case 27: return 4;            /* time */
	default: return 0xFF;
	}
}

int axdr_layout_parse(const uint8_t *desc, size_t n, axdr_layout_t *l)
{
	size_t i = 0, rec = 0, wire = 2;
	memset(l, 0, sizeof *l);
	if (desc == NULL)
		return AXDR_E_LAYOUT;
	while (i < n) {
		if (l->columns == AXDR_MAX_COLUMNS)
			return AXDR_E_LAYOUT;
		uint8_t tag = desc[i++], size;
		if (tag == AXDR_TAG_OCTET_STRING) {
			if (i >= n || desc[i] == 0 || desc[i] >= 0x80)
				return AXDR_E_LAYOUT;
			size = desc[i++];
			wire += 2 + size;
		} else {
			size = fixed_size(tag);
			if (size == 0xFF)
				return AXDR_E_LAYOUT;
			wire += 1 + size;
		}
		l->tag[l->columns] = tag;
		l->size[l->columns] = size;
		l->columns++;
		rec += size;
	}
	if (l->columns == 0)
		return AXDR_E_LAYOUT;
	l->record_size = (uint16_t)rec;   /* at most 64 * 127 */
	l->wire_size = (uint16_t)wire;    /* at most 2 + 64 * 129 */
	return AXDR_OK;
}

static size_t length_size(size_t v)
{
	return v < 0x80 ? 1 : v <= 0xFF ? 2 : v <= 0xFFFF ? 3 : v <= 0xFFFFFF ? 4 : 5;
}

size_t axdr_table_size(const axdr_layout_t *l, size_t rows)
{
	if (rows > 0xFFFFFFFFu || rows > (0xFFFFFFFFu - 6) / l->wire_size)
		return 0;
	return 1 + length_size(rows) + rows * l->wire_size;
}

int axdr_table_encode(const axdr_layout_t *l, const uint8_t *rec, size_t rec_size, size_t rows, uint8_t *out,
                      size_t room, size_t *len)
{
	*len = 0;
	if (l->columns == 0 || l->columns > AXDR_MAX_COLUMNS)
		return AXDR_E_LAYOUT;
	size_t total = axdr_table_size(l, rows);
	if (total == 0 || (l->record_size != 0 && rows > rec_size / l->record_size) || total > room)
		return AXDR_E_SPACE;
	uint8_t *p = out;
	*p++ = AXDR_TAG_ARRAY;
	size_t k = length_size(rows);
	if (k == 1)
		*p++ = (uint8_t)rows;
	else {
		*p++ = (uint8_t)(0x80 | (k - 1));
		for (size_t s = k - 1; s > 0; s--)
			*p++ = (uint8_t)(rows >> (8 * (s - 1)));
	}
	for (size_t r = 0; r < rows; r++) {
		*p++ = AXDR_TAG_STRUCTURE;
		*p++ = l->columns;
		for (unsigned c = 0; c < l->columns; c++) {
			uint8_t tag = l->tag[c], size = l->size[c];
			*p++ = tag;
			if (tag == AXDR_TAG_OCTET_STRING)
				*p++ = size;
			if (tag == AXDR_TAG_BOOLEAN)
				*p++ = *rec != 0;
			else if (size)
				memcpy(p, rec, size), p += size;
			rec += size;
		}
	}
	*len = (size_t)(p - out);
	return AXDR_OK;
}

int axdr_table_decode(const axdr_layout_t *l, const uint8_t *in, size_t n, size_t max_rows, size_t depth,
                      size_t max_depth, uint8_t *rec, size_t rec_room, size_t *rows, size_t *used, size_t *at)
{
	size_t p = 0, count = 0;
	*rows = 0;
	*used = 0;
	*at = 0;
	if (l->columns == 0 || l->columns > AXDR_MAX_COLUMNS)
		return AXDR_E_LAYOUT;
	if (n < 1)
		return AXDR_E_SHORT;
	if (in[0] != AXDR_TAG_ARRAY)
		return AXDR_E_SHAPE;
	if (depth >= max_depth)
		return AXDR_E_DEPTH;
	p = 1;
	if (p >= n)
		return *at = p, AXDR_E_SHORT;
	uint8_t first = in[p++];
	if (first < 0x80)
		count = first;
	else {
		size_t k = first & 0x7F;
		if (k == 0 || k > 4)
			return *at = 1, AXDR_E_LENGTH;
		if (n - p < k)
			return *at = 1, AXDR_E_SHORT;
		for (size_t i = 0; i < k; i++)
			count = (count << 8) | in[p++];
	}
	if (count > max_rows)
		return *at = 1, AXDR_E_ROWS;
	if (count > 0 && depth + 1 >= max_depth)
		return *at = p, AXDR_E_DEPTH;
	if (l->record_size != 0 && count > rec_room / l->record_size)
		return *at = 1, AXDR_E_SPACE;
	uint8_t *q = rec;
	for (size_t r = 0; r < count; r++) {
		if (n - p < 2)
			return *at = p, AXDR_E_SHORT;
		if (in[p] != AXDR_TAG_STRUCTURE || in[p + 1] != l->columns)
			return *at = p, AXDR_E_SHAPE;
		p += 2;
		for (unsigned c = 0; c < l->columns; c++) {
			uint8_t tag = l->tag[c], size = l->size[c];
			size_t head = tag == AXDR_TAG_OCTET_STRING ? 2 : 1;
			if (n - p < 1)
				return *at = p, AXDR_E_SHORT;
			if (in[p] != tag)
				return *at = p, AXDR_E_SHAPE;
			if (head == 2) {
				if (n - p < 2)
					return *at = p, AXDR_E_SHORT;
				if (in[p + 1] != size)
					return *at = p, AXDR_E_SHAPE;
			}
			if (n - p - head < size)
				return *at = p, AXDR_E_SHORT;
			p += head;
			if (tag == AXDR_TAG_BOOLEAN)
				*q = in[p] != 0;
			else if (size)
				memcpy(q, in + p, size);
			q += size;
			p += size;
		}
	}
	*rows = count;
	*used = p;
	return AXDR_OK;
}
