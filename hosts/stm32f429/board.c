/* Board support for the STM32F429ZI on the 32F429I-DISCOVERY kit (Renode:
 * renode/platforms/stm32f429-concentrator.repl; QEMU has no F429 board). The STM32F405's board
 * and clock files (hosts/stm32f405/board.c, clocks.c, startup.c) are compiled for this chip
 * (-DSTM32_CHIP_F429=1: 180 MHz with over-drive; -DSTM32_IRQ_COUNT=91); this file holds what
 * differs: the name, the MPU map of 2 MB of flash and the SDRAM, the CCM as the XS slots' data
 * RAM, the PLC provisioning area, and at the end of board_init the FMC SDRAM (sdram.c), which
 * holds the C heap (link.ld), and UART4/UART5.
 * UARTs: USART1 shell, USART2 optical port (unused by the concentrator), USART3 PLC modem
 * (drivers/uart/stm32/uart.c's ports 0-2); UART5 the head-end link, serial port 3 where the manifest gives the
 * concentrator its backhaul (BOARD_UART_MAX 4, drivers/uart/stm32/uart.c); UART4 the Host Unit link, set up at
 * the chip's baud rate from PCLK1 but not carrying traffic yet. */
#include <stdint.h>
#include "board.h"
#include "clocks.h"
#include "cm4.h"
#include "sdram.h"

#define LINK_BAUD 115200u
#define MPU_RASR_AP_RW (3u << 24)            /* read/write, privileged and unprivileged */

#define RCC_AHB1ENR REG32(0x40023830u)
#define RCC_APB1ENR REG32(0x40023840u)

const char *board_name(void)
{
	return "stm32f429";
}

/* MPU guard, as on the STM32F405 (hosts/stm32f405/board.c), for 2 MB of flash; and the SDRAM
 * as normal memory: the default map makes 0xD0000000 device memory, where an unaligned access
 * (which XS and memcpy make) faults.
 *   region 0: flash 0x08000000-0x081FFFFF read-only + executable
 *   region 1: 0x00000000-0x001FFFFF, the boot alias of flash: no access, XN
 *   region 2: the 4 KB below SRAM, under the main stack: no access
 *   region 3: SDRAM 0xD0000000-0xD07FFFFF read/write, normal, XN */
void board_early_init(void)
{
	SCB_VTOR = 0x08000000u;
	cm4_mpu_region(0, 0x08000000u, MPU_RASR_AP_RO | MPU_RASR_NORMAL | MPU_RASR_SIZE(21));
	cm4_mpu_region(1, 0x00000000u, MPU_RASR_AP_NONE | MPU_RASR_XN | MPU_RASR_SIZE(21));
	cm4_mpu_region(2, (uint32_t)__stack_guard, MPU_RASR_AP_NONE | MPU_RASR_XN |
		MPU_RASR_SIZE(12));
	cm4_mpu_region(3, SDRAM_BASE, MPU_RASR_AP_RW | MPU_RASR_NORMAL | MPU_RASR_XN |
		MPU_RASR_SIZE(23));
	cm4_mpu_enable();
}

/* The CCM (RM0090 section 2.3.1: 64 KB at 0x10000000, CPU data bus only) for XS slots. */
const board_data_region_t *board_data_regions(void)
{
	static const board_data_region_t regions[] = {
		{ "ccm", 0x10000000u, 64u * 1024u },
		{ 0, 0, 0 },
	};
	return regions;
}

/* The PLC provisioning area (flash sector 12, link.ld) as the factory leaves it: erased. */
__attribute__((section(".provision"), used))
static const uint8_t provision_erased[16384] = { [0 ... 16383] = 0xFF };
extern const uint8_t __provision_start[], __provision_size[];

const uint8_t *board_provision(size_t *size)
{
	*size = (size_t)__provision_size;
	return __provision_start;
}

/* UART4 (PC10 TX, PC11 RX) and UART5 (PC12 TX, PD2 RX), alternate function 8, on APB1. */
static void link_uart_init(void)
{
	static const struct { uint32_t base, apb1; uint8_t tx_port, tx, rx_port, rx; } links[] = {
		{ 0x40004C00u, 1u << 19, 2, 10, 2, 11 },
#if BOARD_UART_MAX <= 3
		{ 0x40005000u, 1u << 20, 2, 12, 3, 2 },   /* else serial port 3 (drivers/uart/stm32/uart.c) */
#endif
	};
	for (unsigned i = 0; i < sizeof links / sizeof links[0]; i++) {
		RCC_APB1ENR |= links[i].apb1;
		for (unsigned k = 0; k < 2; k++) {
			unsigned port = k ? links[i].rx_port : links[i].tx_port;
			unsigned pin = k ? links[i].rx : links[i].tx;
			uint32_t gpio = 0x40020000u + 0x400u * port;
			RCC_AHB1ENR |= 1u << port;
			volatile uint32_t *afr = &REG32(gpio + 0x20 + 4 * (pin / 8));
			*afr = (*afr & ~(15u << (4 * (pin % 8)))) | (8u << (4 * (pin % 8)));
			REG32(gpio) = (REG32(gpio) & ~(3u << (2 * pin))) | (2u << (2 * pin));
		}
		REG32(links[i].base + 0x08) = (stm32_clocks.pclk1_hz + LINK_BAUD / 2) / LINK_BAUD;   /* BRR */
		REG32(links[i].base + 0x0C) = (1u << 13) | (1u << 3) | (1u << 2);                    /* UE TE RE */
	}
}

static char *put(char *p, const char *end, const char *s)
{
	while (*s && p + 1 < end)
		*p++ = *s++;
	*p = 0;
	return p;
}

static char *put_u(char *p, const char *end, uint32_t v, unsigned base)
{
	char d[10];
	unsigned k = 0;
	do {
		d[k++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (k && p + 1 < end)
		*p++ = d[--k];
	*p = 0;
	return p;
}

/* Runs at the end of board_init, before main() starts the runtime (the first malloc): the
 * SDRAM holds the whole C heap, so without it the firmware stops here with a FATAL line. */
void stm32_board_late_init(void)
{
	link_uart_init();
	int ok = sdram_init(stm32_clocks.hclk_hz);
	const sdram_status_t *s = sdram_status();
	char line[160];
	const char *end = line + sizeof line;
	char *p = put(line, end, "sdram chip=is42s16400j bank=2 base=0x");
	p = put_u(p, end, SDRAM_BASE, 16);
	p = put(p, end, " size=");
	p = put_u(p, end, SDRAM_SIZE, 10);
	p = put(p, end, " sdclk=");
	p = put_u(p, end, s->sdclk_hz, 10);
	p = put(p, end, " sdtr=0x");
	p = put_u(p, end, s->sdtr, 16);
	p = put(p, end, " refresh=");
	p = put_u(p, end, s->refresh, 10);
	p = put(p, end, " test=");
	p = put(p, end, s->state);
	p = put(p, end, " words=");
	p = put_u(p, end, s->words, 10);
	if (s->fail_at) {
		p = put(p, end, " at=0x");
		p = put_u(p, end, s->fail_at, 16);
	}
	put(p, end, "\r\n");
	board_fault_puts(line);
	if (!ok) {
		board_fault_puts("FATAL sdram: no C heap without it\r\n");
		board_fatal(1);
	}
}
