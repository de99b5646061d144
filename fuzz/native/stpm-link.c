/* libFuzzer harness: the metrology link driver (drivers/metrology/stpm_link.c), which reads the
 * STPM34-like device's replies over a serial link. Each reply the driver asks for takes 5 bytes
 * of the input; a control byte before it says whether the reply times out and whether its
 * CRC-8 is made right (so that most replies pass the CRC and reach the driver's checks). Runs
 * reads until the input is used up. Checks: a read either fails (counted) or gives finite
 * values and a window count that moved on. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stpm_link.h"

typedef struct { const uint8_t *p; size_t n, at; } src_t;

static int xfer(void *ctx, const uint8_t *tx, uint8_t *rx)
{
	src_t *s = ctx;
	(void)tx;
	if (s->n - s->at < 1 + STPM_FRAME)
		return 0;
	uint8_t ctl = s->p[s->at++];
	memcpy(rx, s->p + s->at, STPM_FRAME);
	s->at += STPM_FRAME;
	if ((ctl & 0x0F) == 0)
		return 0;                    /* a time-out */
	if (ctl & 0x10)
		rx[4] = stpm_crc8(rx);
	return STPM_FRAME;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	src_t s = { data, size, 0 };
	stpm_link_t l;
	stpm_link_init(&l, xfer, &s);
	for (int i = 0; i < 8 && s.at < s.n; i++) {
		uint32_t failed = l.failed;
		stpm_reading_t r;
		memset(&r, 0, sizeof r);
		int ok = stpm_link_read(&l, &r);
		if (ok != 0 && ok != 1)
			abort();
		if (!ok && l.failed != failed + 1)
			abort();
		if (ok) {
			if (r.windows == 0)
				abort();
			for (int c = 0; c < 2; c++) {
				const stpm_channel_t *ch = &r.ch[c];
				if (!isfinite(ch->vrms) || !isfinite(ch->irms) || !isfinite(ch->p) || !isfinite(ch->q) ||
				    !isfinite(ch->s) || !isfinite(ch->freq))
					abort();
			}
		}
	}
	return 0;
}
