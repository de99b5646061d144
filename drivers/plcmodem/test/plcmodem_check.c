/* Host check of the modem-port parser (test/plc/modem-driver.test.ts): reads a byte stream on
 * stdin, feeds it in chunks of argv[1] bytes (taking messages as they come), and prints one
 * line per message ("<type hex> <length> <payload hex>") then the counters. */
#include <stdio.h>
#include <stdlib.h>

#include "plcmodem.h"

static plcm_t m;

static void drain(void)
{
	const plcm_msg_t *q;
	while ((q = plcm_peek(&m))) {
		printf("%02x %u ", q->type, q->length);
		for (unsigned i = 0; i < q->length; i++)
			printf("%02x", q->payload[i]);
		printf("\n");
		plcm_pop(&m);
	}
}

int main(int argc, char **argv)
{
	size_t chunk = argc > 1 ? (size_t)atoi(argv[1]) : 1;
	static uint8_t in[1 << 20];
	size_t n = fread(in, 1, sizeof(in), stdin), at = 0;
	plcm_init(&m);
	while (at < n) {
		size_t k = n - at < chunk ? n - at : chunk;
		size_t used = plcm_feed(&m, in + at, k);
		at += used;
		drain();
	}
	printf("frames=%u dropped=%u badCrc=%u badLength=%u unknownType=%u pending=%u\n", m.stats.frames,
		m.stats.dropped_bytes, m.stats.bad_crc, m.stats.bad_length, m.stats.unknown_type, (unsigned)m.fill);
	return 0;
}
