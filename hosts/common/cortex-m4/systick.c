/* SysTick time shared by the Cortex-M4 boards: a 1 ms tick, cycles within the tick, and the
 * idle loop. */
#include "board.h"
#include "cm4.h"

static volatile uint32_t ticks;
static uint32_t cpu_hz;

void cm4_systick_start(uint32_t hz)
{
	cpu_hz = hz;
	SYST_RVR = hz / 1000u - 1u;
	SYST_CVR = 0;
	/* SysTick above the UARTs: a flood of input must not stop the clock. */
	SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | (0x40u << 24);
	SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

void SysTick_Handler(void)
{
	ticks++;
}

uint32_t board_millis(void)
{
	/* ticks only ever increments, so it cannot go backwards (trap 5 concerns reading the
	 * SysTick counter itself); the guard keeps that promise if sub-ms interpolation is added. */
	static uint32_t last;
	uint32_t now = ticks;
	if ((int32_t)(now - last) < 0)
		now = last;
	last = now;
	return now;
}

/* CPU clock cycles since SysTick started: whole milliseconds plus the counter's progress in the
 * current one. Under `qemu -icount shift=0` a cycle count converts to guest instructions
 * (1 instruction per virtual nanosecond). */
uint64_t board_cycles(void)
{
	uint32_t t1, t2, cvr, pending;
	do {
		t1 = ticks;
		cvr = SYST_CVR;
		pending = SCB_ICSR & (1u << 26);   /* PENDSTSET: wrapped, handler not run yet */
		t2 = ticks;
	} while (t1 != t2);
	uint32_t reload = SYST_RVR;
	if (pending && cvr > reload / 2)
		t1++;
	return (uint64_t)t1 * (reload + 1u) + (reload - cvr);
}

uint32_t board_cycle_hz(void)
{
	return cpu_hz;
}

void board_idle(uint32_t max_ms)
{
	uint32_t start = ticks;
	for (;;) {
		/* Check and sleep with interrupts masked: an IRQ arriving between the check and WFI
		 * still wakes WFI (it only needs to be pending), so no wake-up is lost. */
		__asm volatile("cpsid i" ::: "memory");
		if (board_rx_pending() || ticks - start >= max_ms) {
			__asm volatile("cpsie i" ::: "memory");
			return;
		}
		__asm volatile("dsb\n wfi" ::: "memory");
		__asm volatile("cpsie i" ::: "memory");  /* the pending handler runs here */
	}
}
