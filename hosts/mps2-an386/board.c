/* Board support for QEMU mps2-an386 (Cortex-M4F, ARM AN386 FPGA image).
 * Peripherals: CMSDK APB UART (ARM DDI 0479, "Cortex-M System Design Kit TRM") x3, SysTick.
 * Clocks (QEMU `info qtree`): cpuclk 25 MHz, SysTick refclk 1 MHz; SysTick runs on cpuclk. */
#include <stdint.h>
#include "board.h"
#include "cm4.h"

#include <string.h>

#define CPU_HZ      25000000u
#define UART_BAUD   115200u

/* CMSDK APB UART */
typedef struct {
	volatile uint32_t DATA;
	volatile uint32_t STATE;
	volatile uint32_t CTRL;
	volatile uint32_t INTSTATUS;          /* write 1 to clear (INTCLEAR) */
	volatile uint32_t BAUDDIV;
} cmsdk_uart_t;

#define UART_STATE_TXFULL  (1u << 0)
#define UART_STATE_RXFULL  (1u << 1)
#define UART_STATE_RXOVR   (1u << 3)
#define UART_CTRL_TXEN     (1u << 0)
#define UART_CTRL_RXEN     (1u << 1)
#define UART_CTRL_RXINTEN  (1u << 3)
#define UART_INT_RX        (1u << 1)
#define UART_INT_RXOVR     (1u << 3)

/* UARTn RX interrupt is IRQ 2n (TX is 2n+1); QEMU hw/arm/mps2.c, AN386 TRM table 4-2. */
static cmsdk_uart_t *const uarts[BOARD_UART_MAX] = {
	(cmsdk_uart_t *)0x40004000u,          /* UART0: serial0, console */
	(cmsdk_uart_t *)0x40005000u,          /* UART1: serial1 */
	(cmsdk_uart_t *)0x40006000u,          /* UART2: serial2 */
#if BOARD_UART_MAX > 3
	(cmsdk_uart_t *)0x40007000u,          /* UART3: serial3, the concentrator's backhaul */
#endif
};
#if BOARD_UART_MAX > 3
static const uint8_t uart_rx_irq[BOARD_UART_MAX] = { 0, 2, 4, 18 };   /* UART3 RX: IRQ 18 (QEMU hw/arm/mps2.c) */
#else
static const uint8_t uart_rx_irq[BOARD_UART_MAX] = { 0, 2, 4 };
#endif


const char *board_name(void)
{
	return "mps2-an386";
}

static void uart_tx_enable(cmsdk_uart_t *u)
{
	/* QEMU ignores a UART whose BAUDDIV is below 16 (the CMSDK minimum). */
	u->BAUDDIV = CPU_HZ / UART_BAUD;
	u->CTRL |= UART_CTRL_TXEN;
}

/* MPU guard (trap 2 of XS-ON-CORTEX-M.md: the code memory at 0 is writable RAM).
 *   region 0: 0x000000-0x27FFFF, the generic image (vectors, code, rodata, .data image):
 *             read-only + executable. A 4 MB region with subregions 5..7 (the part slots)
 *             disabled, so the slots keep the default read-write map.
 *   region 1: 0x000000-0x0000FF: no access, XN. NULL reads, writes and calls fault. Exception
 *             vector fetches always use the default map, so the table itself keeps working.
 *   region 2: the 4 KB below RAM, under the main stack (link.ld): no access. A stack overflow
 *             faults at once instead of running into data. */
void board_early_init(void)
{
	SCB_VTOR = 0x00000000u;
	cm4_mpu_region(0, 0x00000000u, MPU_RASR_AP_RO | MPU_RASR_NORMAL | MPU_RASR_SRD(0xE0) |
		MPU_RASR_SIZE(22));
	cm4_mpu_region(1, 0x00000000u, MPU_RASR_AP_NONE | MPU_RASR_XN | MPU_RASR_SIZE(8));
	cm4_mpu_region(2, (uint32_t)__stack_guard, MPU_RASR_AP_NONE | MPU_RASR_XN |
		MPU_RASR_SIZE(12));
	cm4_mpu_enable();
}

/* The provisioning area as the factory leaves it: erased (0xFF) until programmed. */
__attribute__((section(".provision"), used))
static const uint8_t provision_erased[8192] = { [0 ... 8191] = 0xFF };
extern const uint8_t __provision_start[], __provision_size[];

const uint8_t *board_provision(size_t *size)
{
	*size = (size_t)__provision_size;
	return __provision_start;
}

void board_init(void)
{
	for (unsigned i = 0; i < BOARD_UART_MAX; i++) {
		cmsdk_uart_t *u = uarts[i];
		uart_tx_enable(u);
		u->INTSTATUS = UART_INT_RX | UART_INT_RXOVR;
		u->CTRL |= UART_CTRL_RXEN | UART_CTRL_RXINTEN;
		cm4_rx_init(i, uart_rx_irq[i]);
	}

	cm4_systick_start(CPU_HZ);
	__asm volatile("cpsie i" ::: "memory");
}

/* ---- UARTs ---- */

/* One byte per interrupt: QEMU's UARTs have no baud-rate timing and refill DATA as soon as it
 * is read, so a draining loop would never end during a paste. Returning after each byte lets
 * SysTick in between; the still-pending RX interrupt tail-chains straight back. */
static void uart_rx_isr(unsigned port)
{
	cmsdk_uart_t *u = uarts[port];
	/* Clear before reading: a byte that lands after the read raises the interrupt again. */
	u->INTSTATUS = UART_INT_RX | UART_INT_RXOVR;
	if (u->STATE & UART_STATE_RXOVR) {        /* hardware overrun: a byte was lost */
		u->STATE = UART_STATE_RXOVR;
		cm4_rx_overrun(port);
	}
	/* ring full: the byte stays in the UART until the main loop makes room (flow control) */
	if ((u->STATE & UART_STATE_RXFULL) && !cm4_rx_hold_if_full(port))
		cm4_rx_put(port, (uint8_t)u->DATA);
}

void UART0RX_Handler(void) { uart_rx_isr(0); }
void UART1RX_Handler(void) { uart_rx_isr(1); }
void UART2RX_Handler(void) { uart_rx_isr(2); }
#if BOARD_UART_MAX > 3
void UART3RX_Handler(void) { uart_rx_isr(3); }
#else
void UART3RX_Handler(void) { }
#endif

void board_uart_write(unsigned port, const void *data, size_t len)
{
	if (port >= BOARD_UART_MAX)
		return;
	cmsdk_uart_t *u = uarts[port];
	const uint8_t *p = data;
	while (len--) {
		while (u->STATE & UART_STATE_TXFULL)
			;
		u->DATA = *p++;
	}
}

void board_flush(void)
{
	for (unsigned i = 0; i < BOARD_UART_MAX; i++)
		if (uarts[i]->CTRL & UART_CTRL_TXEN)
			while (uarts[i]->STATE & UART_STATE_TXFULL)
				;
}

void board_fault_puts(const char *s)
{
	cmsdk_uart_t *u = uarts[BOARD_UART_CONSOLE];
	if (!(u->CTRL & UART_CTRL_TXEN))      /* fault before board_init() */
		uart_tx_enable(u);
	while (*s) {
		while (u->STATE & UART_STATE_TXFULL)
			;
		u->DATA = (uint8_t)*s++;
	}
}

/* No second data RAM: XS slots come from the heap (hosts/common/cortex-m4/dataram.c). */
const board_data_region_t *board_data_regions(void)
{
	static const board_data_region_t none[] = { { 0, 0, 0 } };
	return none;
}

/* The part regions are RAM on this board (the slots keep the default read-write map above): the
 * runtime swap (docs/firmware-update.md) writes them as the board's flash programming would.
 * QEMU loads them from the ELF again at each start, so a swap lasts until the next boot. */
int board_region_writable(void)
{
	return 1;
}

int board_region_write(unsigned part, uint32_t offset, const void *data, size_t length)
{
	/* IMAGE_PART_* order (hosts/common/image.h); declared in xsruntime.h, which needs XS */
	static const char *const names[] = { NULL, "legal", "plc", "nonlegal" };
	const board_region_t *r = part < sizeof names / sizeof names[0] && names[part] ? board_region(names[part]) : NULL;
	if (!r || offset > r->size || length > r->size - offset)
		return -1;
	memcpy((uint8_t *)r->address + offset, data, length);
	return 0;
}
