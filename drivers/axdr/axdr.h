/* A-XDR table codec (IEC 62056-6-2 "Data", A-XDR per IEC 61334-6) for the one shape a load
 * profile's buffer has: an array of structures whose fields are all of fixed size (integers,
 * enum, boolean, bcd, long64, date-time/date/time, octet-strings of one fixed length). The
 * caller knows the columns (the capture objects' types), so a whole buffer crosses in one call
 * between its A-XDR bytes and a flat record area: row after row, each field's value without its
 * tag, as its wire bytes (big-endian). Everything else keeps the generic Data tree codec
 * (modules/nonlegal/dlms/axdr.ts).
 *
 * Discipline (as drivers/macframe): reads and writes only inside the caller's buffers, allocates
 * nothing, never trusts a length or a count from the wire (each is checked against what is left
 * and against the caller's bounds), a fixed nesting of two levels checked against the caller's
 * depth bound. A decode that does not match the columns exactly (another tag, a long-form
 * structure count, another string length) returns a reason, never a partial success: the
 * caller then decodes the same bytes with the generic codec, whose errors are the contract. */
#ifndef METERFW_AXDR_H
#define METERFW_AXDR_H

#include <stddef.h>
#include <stdint.h>

/* Most columns of a table (one-byte A-XDR structure count, and the layout's own bound). */
#define AXDR_MAX_COLUMNS 64

/* Reasons (stable numbers: the XS binding, modules/nonlegal/dlms/axdr-table.ts and the tests name them). */
#define AXDR_OK          0
#define AXDR_E_SHORT     1   /* input ends inside the table (more data may complete it) */
#define AXDR_E_SHAPE     2   /* valid A-XDR perhaps, but not this table: tag, count or string length differs */
#define AXDR_E_LAYOUT    3   /* the column description is malformed */
#define AXDR_E_ROWS      4   /* row count above the caller's bound */
#define AXDR_E_SPACE     5   /* the output (bytes or records) is too small */
#define AXDR_E_DEPTH     6   /* depth + 2 levels exceed the caller's maxDepth */
#define AXDR_E_LENGTH    7   /* a length field is malformed (length-of-length 0 or above 4) */
#define AXDR_REASONS     8

/* Data tags (Green Book 4.1.5). */
#define AXDR_TAG_ARRAY      1
#define AXDR_TAG_STRUCTURE  2
#define AXDR_TAG_BOOLEAN    3
#define AXDR_TAG_OCTET_STRING 9

typedef struct {
	uint8_t columns;
	uint8_t tag[AXDR_MAX_COLUMNS];
	uint8_t size[AXDR_MAX_COLUMNS];   /* value bytes in the record (and on the wire, after tag and length) */
	uint16_t record_size;              /* sum of size[] */
	uint16_t wire_size;                /* one encoded row: 2 (structure tag, count) + tags, lengths, values */
} axdr_layout_t;

/* Parses a column description: one tag per column; an octet-string tag (9) is followed by its
 * fixed length (1..127). Accepted tags: null 0, boolean 3, double-long 5, double-long-unsigned 6,
 * octet-string 9, bcd 13, integer 15, long 16, unsigned 17, long-unsigned 18, long64 20,
 * long64-unsigned 21, enum 22, date-time 25, date 26, time 27. 1..AXDR_MAX_COLUMNS columns. */
int axdr_layout_parse(const uint8_t *desc, size_t n, axdr_layout_t *l);

/* Bytes that axdr_table_encode writes for `rows` rows (0 when that overflows 32 bits). */
size_t axdr_table_size(const axdr_layout_t *l, size_t rows);

/* Encodes rows from `rec` (rows * record_size bytes) as array(rows) of structure(columns) into
 * out[0..room); *len = bytes written. Booleans are written as 0 or 1. */
int axdr_table_encode(const axdr_layout_t *l, const uint8_t *rec, size_t rec_size, size_t rows, uint8_t *out,
                      size_t room, size_t *len);

/* Decodes one table from in[0..n) into rec[0..rec_room): *rows, *used = bytes read. Refuses a
 * row count above max_rows, and a table when depth + 2 > max_depth (the generic decoder's
 * rule). *at = offset of the refused item on failure. Booleans are stored as 0 or 1. */
int axdr_table_decode(const axdr_layout_t *l, const uint8_t *in, size_t n, size_t max_rows, size_t depth,
                      size_t max_depth, uint8_t *rec, size_t rec_room, size_t *rows, size_t *used, size_t *at);

#endif
