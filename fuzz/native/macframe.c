/* libFuzzer harness: drivers/macframe (the native 802.15.4 MAC codec the PLC part runs).
 * The first input byte picks the FCS mode and the length bound; the rest is the frame. Every
 * decode either fails with a known reason and an offset inside the frame, or succeeds with
 * fields that lie inside the frame and re-encode to the same bytes (the reserved frame control
 * bits apart, which are sent as 0). ASan/UBSan catch any read outside the frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int fcs = data[0] & 1;
	size_t max = (data[0] & 2) ? 127 : 0;
	size_t n = size - 1;
	/* an exact-size copy: a read one past the end is caught */
	uint8_t *in = malloc(n ? n : 1);
	memcpy(in, data + 1, n);
	macframe_t f;
	size_t at = 0;
	int e = macframe_decode(in, n, fcs, max, &f, &at);
	if (e < 0 || e >= MACFRAME_REASONS || e == MACFRAME_E_PARAM || e == MACFRAME_E_SPACE)
		abort();
	if (at > n)
		abort();
	if (e == MACFRAME_OK) {
		size_t body = fcs ? n - 2 : n;
		if (f.header_length > body || f.payload_offset != f.header_length ||
		    (size_t)f.payload_offset + f.payload_length + f.mic_length != body)
			abort();
		uint8_t out[MACFRAME_MAX_LENGTH + 2];
		size_t len = 0;
		int r = macframe_encode(&f, in + f.payload_offset, f.payload_length,
		                        f.mic_length ? in + f.payload_offset + f.payload_length : NULL, fcs, max, out, sizeof out, &len);
		if (r != MACFRAME_OK || len != n)
			abort();
		int reserved = (in[0] & 0x80) || (in[1] & 0x03);
		in[0] &= 0x7F;
		in[1] &= 0xFC;
		if (memcmp(in, out, reserved && fcs ? body : n) != 0)
			abort();
	}
	free(in);
	return 0;
}
