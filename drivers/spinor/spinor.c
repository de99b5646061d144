/* SPI NOR driver core. See spinor.h. */
#include "spinor.h"
#include "board.h"

static spinor_info_t info;
static uint8_t probed;

/* One command with its 3-byte address (when has_addr), then n data bytes out (tx) or in (rx). */
static void command(uint8_t cmd, int has_addr, uint32_t addr, const uint8_t *tx, uint8_t *rx, size_t n)
{
	uint8_t head[4] = { cmd, (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr };
	board_spi_select(1);
	board_spi_transfer(head, NULL, has_addr ? 4 : 1);
	if (n)
		board_spi_transfer(tx, rx, n);
	board_spi_select(0);
}

static uint8_t status(void)
{
	uint8_t sr = 0;
	command(SPINOR_CMD_RDSR, 0, 0, NULL, &sr, 1);
	return sr;
}

/* Waits for WIP to clear. */
static int wait_ready(void)
{
	uint32_t start = board_millis();
	for (uint32_t polls = 0;; polls++) {
		if (!(status() & SPINOR_SR_WIP))
			return 0;
		info.busy_polls++;
		if (polls >= SPINOR_TIMEOUT_POLLS || board_millis() - start > SPINOR_TIMEOUT_MS) {
			info.timeouts++;
			info.errors++;
			return -1;
		}
	}
}

/* WREN, then WEL must read back set (a chip that ignores it would drop the program). */
static int write_enable(void)
{
	command(SPINOR_CMD_WREN, 0, 0, NULL, NULL, 0);
	if (status() & SPINOR_SR_WEL)
		return 0;
	info.errors++;
	return -1;
}

/* JEDEC ids known to this driver: manufacturer, capacity code -> bytes. */
static uint32_t capacity(const uint8_t id[3])
{
	switch (id[0]) {
	case 0x20:   /* Micron MT25Q/N25Q: 0x17 64 Mb, 0x18 128 Mb, 0x19 256 Mb, 0x20 512 Mb, 0x21 1 Gb, 0x22 2 Gb */
		if (id[2] >= 0x17 && id[2] <= 0x19)
			return 1u << id[2];
		if (id[2] >= 0x20 && id[2] <= 0x22)
			return 1u << (id[2] - 0x20 + 26);
		return 0;
	case 0xEF:   /* Winbond W25Q */
	case 0xC2:   /* Macronix MX25L */
		return id[2] >= 0x14 && id[2] <= 0x19 ? 1u << id[2] : 0;
	default:
		return 0;
	}
}

int spinor_init(void)
{
	if (probed)
		return info.present ? 0 : -1;
	probed = 1;
	info.bus = board_spi_init();
	command(SPINOR_CMD_RDID, 0, 0, NULL, info.id, 3);
	uint32_t size = capacity(info.id);
	if ((info.id[0] == 0xFF && info.id[1] == 0xFF && info.id[2] == 0xFF) || (!info.id[0] && !info.id[1] && !info.id[2]))
		info.why = "no chip answers RDID";
	else if (!size)
		info.why = "unknown JEDEC id";
	else {
		info.present = 1;
		info.size = size < SPINOR_MAX_3BYTE ? size : SPINOR_MAX_3BYTE;
	}
	return info.present ? 0 : -1;
}

const spinor_info_t *spinor_info(void)
{
	return &info;
}

static int usable(uint32_t addr, size_t len)
{
	if (spinor_init() == 0 && addr <= info.size && len <= info.size - addr)
		return 1;
	info.errors++;
	return 0;
}

int spinor_read(uint32_t addr, void *buf, size_t len)
{
	if (!usable(addr, len))
		return -1;
	info.reads++;
	if (len)
		command(SPINOR_CMD_READ, 1, addr, NULL, buf, len);
	return 0;
}

int spinor_program(uint32_t addr, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (!usable(addr, len))
		return -1;
	while (len) {
		/* PAGE PROGRAM wraps inside its page: never send past the page's end */
		size_t n = SPINOR_PAGE - (addr % SPINOR_PAGE);
		if (n > len)
			n = len;
		if (wait_ready() < 0 || write_enable() < 0)
			return -1;
		command(SPINOR_CMD_PP, 1, addr, p, NULL, n);
		info.programs++;
		if (wait_ready() < 0)
			return -1;
		addr += (uint32_t)n;
		p += n;
		len -= n;
	}
	return 0;
}

int spinor_erase_4k(uint32_t addr)
{
	if (addr % SPINOR_SECTOR) {
		info.errors++;
		return -1;
	}
	if (!usable(addr, SPINOR_SECTOR))
		return -1;
	if (wait_ready() < 0 || write_enable() < 0)
		return -1;
	command(SPINOR_CMD_SSE, 1, addr, NULL, NULL, 0);
	info.erases++;
	return wait_ready();
}
