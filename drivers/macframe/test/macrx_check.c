/*
 * Host harness for drivers/macframe/macrx.c (the one-call MAC receive and transmit paths), run by
 * test/plc/mac-rxtx.test.ts against the TypeScript MAC layer. One command per line on stdin, one
 * answer line per command on stdout (numbers decimal, bytes hex, "-" for none):
 *   init <maxSources> <maxLength> <capacity>      -> ok | err
 *   key <index> <hex|->                            -> ok | err
 *   pib <pan> <short> <ext> <promiscuous> <ttlMs>  -> ok
 *   rx <now> <frame>       -> rx <status> <18 result fields> <ext 16 bytes> <payload after the call>
 *   tx <seq> <dstPan> <dst> <dstExt> <src> <srcExt> <flags> <fc> <keyIndex> <payload>
 *                          -> tx <frame> | txerr <reason>   (dst/src: short, -1 EUI-64, -2 none)
 *   counters               -> counters <10 drops> <sources> <capacity>
 *   clear                  -> ok
 * As modules/plc/mac-native.ts does, a MACRX_GROW answer doubles the state (copied, up to
 * maxSources) and the frame is received again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../macrx.h"

#define MAX 2048

static uint32_t *state;
static size_t state_len;
static unsigned max_sources, capacity;

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	if (!s || !strcmp(s, "-"))
		return 0;
	for (; s[0] && s[1] && n < cap; s += 2) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void puthex(const uint8_t *p, size_t n)
{
	putchar(' ');
	if (!n)
		putchar('-');
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void grow(void)
{
	unsigned next = capacity * 2 > max_sources ? max_sources : capacity * 2;
	size_t len = macrx_state_size(max_sources, next);
	uint32_t *s = calloc(1, len);
	if (!s)
		abort();
	memcpy(s, state, state_len);
	free(state);
	state = s;
	state_len = len;
	capacity = next;
}

static long num(const char *t)
{
	return t ? strtol(t, NULL, 10) : 0;
}

int main(void)
{
	static char line[2 * MAX + 256];
	static uint8_t frame[MAX], payload[MAX], out[MAX];
	macrx_pib_t pib;
	memset(&pib, 0, sizeof pib);
	while (fgets(line, sizeof line, stdin)) {
		char *cmd = strtok(line, " \r\n");
		if (!cmd)
			continue;
		if (!strcmp(cmd, "init")) {
			max_sources = (unsigned)num(strtok(NULL, " \r\n"));
			unsigned ml = (unsigned)num(strtok(NULL, " \r\n"));
			capacity = (unsigned)num(strtok(NULL, " \r\n"));
			free(state);
			state_len = macrx_state_size(max_sources ? max_sources : 1, capacity);
			state = calloc(1, state_len);
			puts(macrx_init(state, state_len, max_sources, ml) == MACFRAME_OK ? "ok" : "err");
		} else if (!strcmp(cmd, "key")) {
			unsigned i = (unsigned)num(strtok(NULL, " \r\n"));
			uint8_t k[16];
			char *h = strtok(NULL, " \r\n");
			size_t n = unhex(h, k, sizeof k);
			puts(macrx_set_key(state, state_len, i, n == 16 ? k : NULL) == MACFRAME_OK ? "ok" : "err");
		} else if (!strcmp(cmd, "pib")) {
			pib.pan = (uint16_t)num(strtok(NULL, " \r\n"));
			pib.short_addr = (uint16_t)num(strtok(NULL, " \r\n"));
			unhex(strtok(NULL, " \r\n"), pib.ext, 8);
			pib.promiscuous = (uint8_t)num(strtok(NULL, " \r\n"));
			pib.dup_ttl_ms = (uint32_t)strtoul(strtok(NULL, " \r\n"), NULL, 10);
			puts("ok");
		} else if (!strcmp(cmd, "rx")) {
			uint64_t now = strtoull(strtok(NULL, " \r\n"), NULL, 10);
			size_t n = unhex(strtok(NULL, " \r\n"), frame, sizeof frame);
			/* an exact-size copy: ASan catches a read past the frame */
			uint8_t *f = malloc(n ? n : 1);
			memcpy(f, frame, n);
			uint32_t r[MACRX_R_COUNT];
			uint8_t ext[16];
			int st;
			while ((st = macrx_receive(state, state_len, &pib, now, f, n, r, ext)) == MACRX_GROW)
				grow();
			printf("rx %d", st);
			for (int i = 0; i < MACRX_R_COUNT; i++)
				printf(" %u", (unsigned)r[i]);
			puthex(ext, 16);
			if (st == MACRX_DATA || st == MACRX_BEACON)
				puthex(f + r[MACRX_R_PAYLOAD_OFFSET], r[MACRX_R_PAYLOAD_LENGTH]);
			else
				puthex(f, 0);
			putchar('\n');
			free(f);
		} else if (!strcmp(cmd, "tx")) {
			macrx_tx_t tx;
			memset(&tx, 0, sizeof tx);
			tx.seq = (uint8_t)num(strtok(NULL, " \r\n"));
			tx.dst_pan = (uint16_t)num(strtok(NULL, " \r\n"));
			long dst = num(strtok(NULL, " \r\n"));
			unhex(strtok(NULL, " \r\n"), tx.dst_ext, 8);
			long src = num(strtok(NULL, " \r\n"));
			unhex(strtok(NULL, " \r\n"), tx.src_ext, 8);
			tx.dst_mode = dst >= 0 ? MACFRAME_ADDR_SHORT : dst == -1 ? MACFRAME_ADDR_EXT : MACFRAME_ADDR_NONE;
			tx.dst_short = (uint16_t)(dst >= 0 ? dst : 0);
			tx.src_mode = src >= 0 ? MACFRAME_ADDR_SHORT : src == -1 ? MACFRAME_ADDR_EXT : MACFRAME_ADDR_NONE;
			tx.src_short = (uint16_t)(src >= 0 ? src : 0);
			long flags = num(strtok(NULL, " \r\n"));
			tx.ack_request = (flags & 1) != 0;
			tx.secure = (flags & 2) != 0;
			tx.frame_counter = (uint32_t)strtoul(strtok(NULL, " \r\n"), NULL, 10);
			tx.key_index = (uint8_t)num(strtok(NULL, " \r\n"));
			size_t pl = unhex(strtok(NULL, " \r\n"), payload, sizeof payload), len = 0;
			size_t want = macrx_tx_length(&tx, pl);
			int e = macrx_transmit(state, state_len, &tx, payload, pl, out, want, &len);
			if (e == MACFRAME_OK && len == want) {
				printf("tx");
				puthex(out, len);
				putchar('\n');
			} else
				printf("txerr %s\n", macframe_reason_name(e));
		} else if (!strcmp(cmd, "counters")) {
			const uint32_t *d = macrx_drops(state, state_len);
			printf("counters");
			for (int i = 0; i < MACRX_D_COUNT; i++)
				printf(" %u", d ? (unsigned)d[i] : 0u);
			printf(" %u %u\n", macrx_sources(state, state_len), capacity);
		} else if (!strcmp(cmd, "clear")) {
			puts(macrx_clear_sources(state, state_len) == MACFRAME_OK ? "ok" : "err");
		} else {
			printf("unknown %s\n", cmd);
		}
		fflush(stdout);
	}
	free(state);
	return 0;
}
