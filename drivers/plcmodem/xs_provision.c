/* PLC provisioning record: the node's EUI-64 and PSK, a secret seed, and on the concentrator
 * its bounded device table (EUI-64, PSK, flags). It lives in its own flash region on boards
 * (board_provision(), programmed like the part images) and in a file given with --provision on
 * lin. Layout (big-endian), checked here before script sees a byte:
 *   0  "G3PV"   magic
 *   4  u8       version (1)
 *   5  u8       flags: bit 0 = admit only devices in the table (concentrator)
 *   6  u16      n, device entries
 *   8  8        EUI-64
 *   16 16       PSK
 *   32 16       seed: key of the node's deterministic random generator (GMKs, nonces)
 *   48 n x 25   EUI-64 (8), PSK (16), flags (1): bit 0 = denied (blacklisted)
 *   .. u32      CRC-32 (IEEE) of every byte before it
 * An erased (all 0xFF) region reads as "none"; anything else that fails a check is "corrupt". */
#include "xs.h"
#include "xsruntime.h"
#include "board.h"
#include "provision.h"

/* () -> ArrayBuffer (the record without its CRC) | string (why there is none) */
void xs_plcprov_read(xsMachine *the)
{
	size_t size = 0, len = 0;
	const uint8_t *p = board_provision(&size);
	const char *why = plcprov_check(p, size, &len);
	if (why)
		xsResult = xsString(why);
	else
		xsResult = xsArrayBuffer((void *)p, (xsIntegerValue)len);
}
