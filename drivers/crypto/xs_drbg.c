/* XS binding of the DRBG (drbg.h) for GENERIC's driver object "crypto" (crypto-driver.ts). */
#include <stdio.h>
#include <string.h>

#include "xs.h"
#include "xsruntime.h"
#include "board.h"
#include "drbg.h"

/* The board's entropy source, 32 bits at a time. */
static int board_source(void *unused, unsigned char *out, size_t len)
{
	(void)unused;
	while (len > 0) {
		uint32_t w = board_entropy();
		size_t n = len < 4 ? len : 4;
		memcpy(out, &w, n);
		out += n;
		len -= n;
	}
	return 0;
}

/* seed(personalisation) */
void xs_drbg_seed(xsMachine *the)
{
	void *p;
	size_t n;
	runtime_buffer(the, &xsArg(0), &p, &n);
	if (n > 128)
		xsRangeError("drbg: personalisation over 128 bytes");
	uint8_t pers[128];
	memcpy(pers, p, n);
	int ret = drbg_seed(board_source, pers, n);
	if (ret != 0)
		xsUnknownError("drbg: seed failed %d", ret);
}

/* random(n) -> ArrayBuffer of n bytes */
void xs_drbg_random(xsMachine *the)
{
	xsIntegerValue n = xsToInteger(xsArg(0));
	if (n < 0 || n > DRBG_MAX_REQUEST)
		xsRangeError("drbg: 0..%d bytes", DRBG_MAX_REQUEST);
	if (!drbg_seeded())
		xsUnknownError("drbg: not seeded");
	xsResult = xsArrayBuffer(NULL, n);
	if (drbg_random(xsToArrayBuffer(xsResult), (size_t)n) != 0)
		xsUnknownError("drbg: generate failed");
}

/* info() -> "seeded=<0|1> requests=<n>" */
void xs_drbg_info(xsMachine *the)
{
	char text[40];
	snprintf(text, sizeof(text), "seeded=%d requests=%lu", drbg_seeded(), (unsigned long)drbg_requests());
	xsResult = xsString(text);
}
