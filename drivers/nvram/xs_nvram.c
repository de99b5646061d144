/* XS binding of the NVRAM driver (nvram.h) for GENERIC's driver object "nvram"
 * (drivers/nvram/nvram.ts), granted to LEGAL only. */
#include "xsruntime.h"
#include "nvram.h"

#include <stdio.h>

/* read(offset, view): fills the view from the NVRAM. */
void xs_nvram_read(xsMachine *the)
{
	void *data;
	size_t length;
	nvram_init();
	int offset = xsToInteger(xsArg(0));
	runtime_buffer(the, &xsArg(1), &data, &length);
	if (offset < 0 || nvram_read((uint32_t)offset, data, length) < 0)
		xsRangeError("nvram read %d+%d", offset, (int)length);
}

/* write(offset, view): writes the view's bytes, burst by burst. */
void xs_nvram_write(xsMachine *the)
{
	void *data;
	size_t length;
	nvram_init();
	int offset = xsToInteger(xsArg(0));
	runtime_buffer(the, &xsArg(1), &data, &length);
	if (offset < 0 || nvram_write((uint32_t)offset, data, length) < 0)
		xsRangeError("nvram write %d+%d", offset, (int)length);
}

/* capacity() -> bytes of the NVRAM (0: absent) */
void xs_nvram_capacity(xsMachine *the)
{
	nvram_init();
	xsResult = xsInteger((xsIntegerValue)nvram_info()->size);
}

/* info() -> "kind=<none|volatile|file> size=<n> reads=<n> writes=<n> bytes=<n> errors=<n>" */
void xs_nvram_info(xsMachine *the)
{
	static const char *const kinds[] = { "none", "volatile", "file" };
	char text[112];
	nvram_init();
	const nvram_info_t *i = nvram_info();
	snprintf(text, sizeof(text), "kind=%s size=%lu reads=%lu writes=%lu bytes=%lu errors=%lu",
		kinds[i->kind], (unsigned long)i->size, (unsigned long)i->reads, (unsigned long)i->writes,
		(unsigned long)i->bytes_written, (unsigned long)i->errors);
	xsResult = xsString(text);
}
