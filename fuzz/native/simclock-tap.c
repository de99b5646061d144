/* libFuzzer harness: the lin host's modem-port tap (hosts/lin/simclock.c sim_clock_tap), which
 * reads every byte the medium sends before the modem driver does. The first byte picks a chunk
 * size; the rest is the stream. Checks: the output of every call fits the documented room
 * (n + SIM_CLOCK_TAP_SLACK, an exact-size buffer under ASan), and nothing is lost or invented:
 * the bytes forwarded plus the frames the clock consumed (every TIME, 16 bytes; a READY refused
 * outside the handshake, 18) plus the bytes still held make up the input. The tap frames with
 * the modem driver's code (drivers/plcmodem, drivers/crc), linked in; no modem port is
 * attached, so the clock writes nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simclock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		sim_clock_init();
		ready = 1;
	}
	if (size < 1)
		return 0;
	size_t chunk = (data[0] & 31) + 1, out_total = 0;
	const sim_clock_stats_t *st = sim_clock_stats();
	/* every TIME frame is consumed (taken, refused or ignored: 16 bytes), and so is a READY
	 * refused outside the handshake (18 bytes) */
	uint64_t consumed0 = 16u * ((uint64_t)st->times + st->refused_time + st->ignored) + 18u * (uint64_t)st->refused_ready;
	for (size_t at = 1; at < size; at += chunk) {
		size_t k = size - at < chunk ? size - at : chunk;
		uint8_t *in = malloc(k), *out = malloc(k + SIM_CLOCK_TAP_SLACK);
		memcpy(in, data + at, k);
		size_t o = sim_clock_tap(in, k, out);
		if (o > k + SIM_CLOCK_TAP_SLACK)
			abort();
		out_total += o;
		free(in);
		free(out);
	}
	/* flush what the tap holds (a frame head) with bytes that end any header: not SOF, and
	 * enough of them to run past the longest frame the tap keeps */
	static const uint8_t flush[4 + 1024 + 4 + 4] = { 0 };
	size_t held = 0;
	{
		uint8_t *out = malloc(sizeof flush + SIM_CLOCK_TAP_SLACK);
		held = sim_clock_tap(flush, sizeof flush, out);
		free(out);
	}
	size_t consumed = (size_t)(16u * ((uint64_t)st->times + st->refused_time + st->ignored) + 18u * (uint64_t)st->refused_ready - consumed0);
	if (out_total + held + consumed != size - 1 + sizeof flush)
		abort();
	return 0;
}
