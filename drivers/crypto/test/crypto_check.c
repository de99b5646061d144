/*
 * Test harness for drivers/crypto: one command per line on stdin (or one in argv), hex
 * arguments ("-" = empty), one result line per command on stdout: hex fields separated by
 * spaces, "AUTH" for a rejected tag, "ERR <code>" for any other failure.
 *
 *   aes    KEY IN                        -> OUT
 *   cmac   KEY MSG                       -> MAC          cmacv KEY MSG MAC -> OK|AUTH
 *   eaxe   KEY NONCE HDR PT TAGLEN       -> CT TAG       eaxd  KEY NONCE HDR CT TAG -> PT|AUTH
 *   nonce  EUI64 COUNTER LEVEL           -> NONCE (COUNTER and LEVEL decimal)
 *   ccms   KEY NONCE LEVEL HDR PAYLOAD   -> FRAME MIC    (FRAME = header || secured payload)
 *   ccmo   KEY NONCE LEVEL HDR PAYLOAD MIC -> PAYLOAD|AUTH
 *   gcme   KEY IV AAD PT TAGLEN          -> CT TAG       gcmd KEY IV AAD CT TAG -> PT|AUTH
 *   gmac   KEY IV AAD TAGLEN             -> TAG          gmacv KEY IV AAD TAG -> OK|AUTH
 *   sha    MSG                           -> DIGEST       shai MSG CHUNK -> DIGEST (CHUNK decimal)
 *   pool                                 -> in_use peak heap_fallbacks exhausted
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../crypto.h"

#define MAX 4096

typedef struct { uint8_t b[MAX]; size_t n; } buf_t;

static int hex(const char *s, buf_t *o)
{
	size_t len, i;
	o->n = 0;
	if (s == NULL)
		return -1;
	if (!strcmp(s, "-"))
		return 0;
	len = strlen(s);
	if (len % 2 || len / 2 > MAX)
		return -1;
	for (i = 0; i < len / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		o->b[i] = (uint8_t)v;
	}
	o->n = len / 2;
	return 0;
}

static void put(const uint8_t *b, size_t n, const char *end)
{
	size_t i;
	if (n == 0)
		fputs("-", stdout);
	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
	fputs(end, stdout);
}

static int fail(int ret)
{
	if (ret == CRYPTO_E_AUTH)
		printf("AUTH\n");
	else
		printf("ERR %d\n", ret);
	return ret;
}

static buf_t a, b, c, d, e;
static uint8_t out[MAX], tag[16];

static int need16(const buf_t *k)
{
	return k->n == 16 ? 0 : CRYPTO_E_PARAM;
}

static int run(int argc, char **v)
{
	const char *op = v[0];
	int ret;
#define ARGS(n) do { if (argc != (n) + 1) return fail(CRYPTO_E_PARAM); } while (0)
#define HEX(i, x) do { if (hex(v[i], &(x))) return fail(CRYPTO_E_PARAM); } while (0)
	if (!strcmp(op, "aes")) {
		ARGS(2); HEX(1, a); HEX(2, b);
		if (need16(&a) || b.n != 16) return fail(CRYPTO_E_PARAM);
		if ((ret = crypto_aes128_encrypt_block(a.b, b.b, out))) return fail(ret);
		put(out, 16, "\n");
	} else if (!strcmp(op, "cmac") || !strcmp(op, "cmacv")) {
		int verify = op[4] == 'v';
		ARGS(verify ? 3 : 2); HEX(1, a); HEX(2, b);
		if (need16(&a)) return fail(CRYPTO_E_PARAM);
		if (verify) {
			HEX(3, c);
			if ((ret = crypto_cmac_verify(a.b, b.b, b.n, c.b, c.n))) return fail(ret);
			printf("OK\n");
		} else {
			if ((ret = crypto_cmac(a.b, b.b, b.n, tag))) return fail(ret);
			put(tag, 16, "\n");
		}
	} else if (!strcmp(op, "eaxe")) {
		size_t tl;
		ARGS(5); HEX(1, a); HEX(2, b); HEX(3, c); HEX(4, d);
		tl = (size_t)atoi(v[5]);
		if (need16(&a)) return fail(CRYPTO_E_PARAM);
		if ((ret = crypto_eax_encrypt(a.b, b.b, b.n, c.b, c.n, d.b, d.n, out, tag, tl))) return fail(ret);
		put(out, d.n, " "); put(tag, tl, "\n");
	} else if (!strcmp(op, "eaxd")) {
		ARGS(5); HEX(1, a); HEX(2, b); HEX(3, c); HEX(4, d); HEX(5, e);
		if (need16(&a)) return fail(CRYPTO_E_PARAM);
		/* in place, as the EAP-PSK channel does */
		if ((ret = crypto_eax_decrypt(a.b, b.b, b.n, c.b, c.n, d.b, d.n, d.b, e.b, e.n))) return fail(ret);
		put(d.b, d.n, "\n");
	} else if (!strcmp(op, "nonce")) {
		uint8_t n[13];
		ARGS(3); HEX(1, a);
		if (a.n != 8) return fail(CRYPTO_E_PARAM);
		crypto_ccm_nonce(n, a.b, (uint32_t)strtoul(v[2], NULL, 10), (unsigned)atoi(v[3]));
		put(n, 13, "\n");
	} else if (!strcmp(op, "ccms") || !strcmp(op, "ccmo")) {
		int open = op[3] == 'o';
		unsigned level;
		ARGS(open ? 6 : 5); HEX(1, a); HEX(2, b); HEX(4, c); HEX(5, d);
		level = (unsigned)atoi(v[3]);
		if (need16(&a) || b.n != 13 || c.n + d.n > MAX) return fail(CRYPTO_E_PARAM);
		memcpy(out, c.b, c.n);
		memcpy(out + c.n, d.b, d.n);
		if (open) {
			HEX(6, e);
			if (e.n != crypto_ccm_mic_len(level)) return fail(CRYPTO_E_PARAM);
			if ((ret = crypto_ccm_star_open(a.b, b.b, level, out, c.n, d.n, e.b))) return fail(ret);
			put(out + c.n, d.n, "\n");
		} else {
			if ((ret = crypto_ccm_star_seal(a.b, b.b, level, out, c.n, d.n, tag))) return fail(ret);
			put(out, c.n + d.n, " "); put(tag, crypto_ccm_mic_len(level), "\n");
		}
	} else if (!strcmp(op, "gcme")) {
		size_t tl;
		ARGS(5); HEX(1, a); HEX(2, b); HEX(3, c); HEX(4, d);
		tl = (size_t)atoi(v[5]);
		if (need16(&a)) return fail(CRYPTO_E_PARAM);
		if ((ret = crypto_gcm_encrypt(a.b, b.b, b.n, c.b, c.n, d.b, d.n, out, tag, tl))) return fail(ret);
		put(out, d.n, " "); put(tag, tl, "\n");
	} else if (!strcmp(op, "gcmd")) {
		ARGS(5); HEX(1, a); HEX(2, b); HEX(3, c); HEX(4, d); HEX(5, e);
		if (need16(&a)) return fail(CRYPTO_E_PARAM);
		if ((ret = crypto_gcm_decrypt(a.b, b.b, b.n, c.b, c.n, d.b, d.n, out, e.b, e.n))) return fail(ret);
		put(out, d.n, "\n");
	} else if (!strcmp(op, "gmac")) {
		size_t tl;
		ARGS(4); HEX(1, a); HEX(2, b); HEX(3, c);
		tl = (size_t)atoi(v[4]);
		if (need16(&a)) return fail(CRYPTO_E_PARAM);
		if ((ret = crypto_gmac(a.b, b.b, b.n, c.b, c.n, tag, tl))) return fail(ret);
		put(tag, tl, "\n");
	} else if (!strcmp(op, "gmacv")) {
		ARGS(4); HEX(1, a); HEX(2, b); HEX(3, c); HEX(4, d);
		if (need16(&a)) return fail(CRYPTO_E_PARAM);
		if ((ret = crypto_gmac_verify(a.b, b.b, b.n, c.b, c.n, d.b, d.n))) return fail(ret);
		printf("OK\n");
	} else if (!strcmp(op, "sha")) {
		ARGS(1); HEX(1, a);
		if ((ret = crypto_sha256(a.b, a.n, out))) return fail(ret);
		put(out, 32, "\n");
	} else if (!strcmp(op, "shai")) {
		crypto_sha256_t h;
		size_t chunk, off;
		ARGS(2); HEX(1, a);
		chunk = (size_t)atoi(v[2]);
		if (chunk == 0) return fail(CRYPTO_E_PARAM);
		crypto_sha256_start(&h);
		for (off = 0; off < a.n; off += chunk)
			crypto_sha256_update(&h, a.b + off, a.n - off < chunk ? a.n - off : chunk);
		if ((ret = crypto_sha256_finish(&h, out))) return fail(ret);
		put(out, 32, "\n");
	} else if (!strcmp(op, "pool")) {
		crypto_pool_stats_t s;
		crypto_pool_stats(&s);
		printf("%u %u %u %u\n", s.in_use, s.peak, s.heap_fallbacks, s.exhausted);
	} else {
		return fail(CRYPTO_E_PARAM);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char line[4 * MAX + 256];
	if (argc > 1) {
		run(argc - 1, argv + 1);
		return 0;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char *v[8];
		int n = 0;
		char *tok = strtok(line, " \t\r\n");
		while (tok && n < 8) {
			v[n++] = tok;
			tok = strtok(NULL, " \t\r\n");
		}
		if (n == 0 || v[0][0] == '#')
			continue;
		run(n, v);
		fflush(stdout);
	}
	return 0;
}
