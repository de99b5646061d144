/*
 * Host harness for drivers/macframe: one frame per line on stdin, "<fcs 0|1> <hex>" ("-" for an
 * empty frame), one result line per frame on stdout:
 *   ok <type> <flags> <version> <seq> <dstMode> <srcMode> <dstPan> <srcPan> <dst> <src>
 *      <level> <keyIdMode> <keyIndex> <frameCounter> <headerLength> <payloadOffset>
 *      <payloadLength> <micLength> <reencoded: same|differs>
 *   err <reason name> <offset>
 * dst/src are the short address (4 hex digits), the EUI-64 (16 hex digits, MSB first) or "-".
 * Every decoded frame is encoded again from the decoded fields, payload and MIC: the output
 * must be the input, byte for byte, but for the reserved frame control bits (sent as 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../macframe.h"

#define MAX 4096

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	if (!strcmp(s, "-"))
		return 0;
	for (; s[0] && s[1] && n < MAX; s += 2) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void addr(unsigned mode, uint16_t s, const uint8_t *ext)
{
	if (mode == MACFRAME_ADDR_SHORT)
		printf(" %04x", s);
	else if (mode == MACFRAME_ADDR_EXT) {
		putchar(' ');
		for (int i = 0; i < 8; i++)
			printf("%02x", ext[i]);
	} else
		printf(" -");
}

int main(void)
{
	static char line[2 * MAX + 16];
	static uint8_t in[MAX], out[MAX + 2];
	while (fgets(line, sizeof line, stdin)) {
		char *hex = strchr(line, ' ');
		if (!hex)
			continue;
		int fcs = line[0] == '1';
		hex++;
		hex[strcspn(hex, "\r\n")] = 0;
		size_t n = unhex(hex, in), at = 0, len = 0;
		macframe_t f;
		int e = macframe_decode(in, n, fcs, 0, &f, &at);
		if (e != MACFRAME_OK) {
			printf("err %s %u\n", macframe_reason_name(e), (unsigned)at);
			continue;
		}
		printf("ok %u %u %u %u %u %u %04x %04x", f.type, f.flags, f.version, f.seq, f.dst_mode, f.src_mode,
		       f.dst_pan, f.src_pan);
		addr(f.dst_mode, f.dst_short, f.dst_ext);
		addr(f.src_mode, f.src_short, f.src_ext);
		printf(" %u %u %u %lu %u %u %u %u", f.sec_level, f.key_id_mode, f.key_index, (unsigned long)f.frame_counter,
		       f.header_length, f.payload_offset, f.payload_length, f.mic_length);
		int r = macframe_encode(&f, in + f.payload_offset, f.payload_length,
		                        f.mic_length ? in + f.payload_offset + f.payload_length : NULL, fcs, 0, out, sizeof out, &len);
		/* reserved frame control bits 7..9 are ignored on reception and sent as 0 */
		int reserved = (in[0] & 0x80) || (in[1] & 0x03);
		in[0] &= 0x7F;
		in[1] &= 0xFC;
		size_t cmp = reserved && fcs ? n - 2 : n;
		printf(" %s\n", r == MACFRAME_OK && len == n && !memcmp(in, out, cmp) ? "same" : "differs");
	}
	return 0;
}
