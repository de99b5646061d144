/* Board support for QEMU mps2-an386 (Cortex-M4F, ARM AN386 FPGA image).
 * Peripherals: SysTick; the CMSDK APB UARTs are drivers/uart/mps2-an386/uart.c.
 * Clocks (QEMU `info qtree`): cpuclk 25 MHz, SysTick refclk 1 MHz; SysTick runs on cpuclk. */
#include <stdint.h>
#include "board.h"
#include "cm4.h"
#include "uart.h"

#include <string.h>

#define CPU_HZ      25000000u

const char *board_name(void)
{
	return "mps2-an386";
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
	uart_init();   /* drivers/uart/mps2-an386/uart.c */

	cm4_systick_start(CPU_HZ);
	__asm volatile("cpsie i" ::: "memory");
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
