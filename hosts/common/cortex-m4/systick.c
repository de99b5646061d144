/* SysTick time shared by the Cortex-M4 boards: a 1 ms tick, cycles within the tick, and the
 * idle loop.
 *
 * Ticks counted one interrupt at a time are lost whenever interrupts stay masked across a tick
 * (or an emulator is descheduled). Where the board has a seconds reference (the STM32's RTC),
 * the millisecond clock follows it: at each second edge the reference shows, the clock is
 * brought to the milliseconds the reference says have passed since its anchor (the moment a
 * freshly set calendar started, else the reference's first edge), forward by whatever was
 * lost, or held back (never backwards) when SysTick runs fast. */
#include "board.h"
#include "cm4.h"

static volatile uint32_t ticks;
static uint32_t cpu_hz;

/* Milliseconds = ticks + offset. */
static int32_t (*ref_seconds)(void);
static volatile uint32_t offset;
static int32_t ref_last, ref_edge0;
static uint32_t ref_ms0, ref_synced;
static uint32_t ref_edges, ref_forward, ref_forward_ms, ref_back, ref_back_ms;

/* The reference is read every REF_EVERY ticks (a peripheral read costs an emulator far more
 * than an instruction), so an edge is seen up to that many ticks late. */
#define REF_EVERY    8u
#define REF_SLACK_MS (REF_EVERY + 2u)

void cm4_systick_start(uint32_t hz)
{
	cpu_hz = hz;
	SYST_RVR = hz / 1000u - 1u;
	SYST_CVR = 0;
	/* SysTick above the UARTs: a flood of input must not stop the clock. */
	SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | (0x40u << 24);
	SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

void cm4_systick_reference(int32_t (*seconds)(void), int started_now)
{
	ref_last = seconds ? seconds() : -1;
	if (ref_last >= 0 && started_now) {
		/* the reference's second began just now: anchor here, not at its first edge (ticks
		 * lost before that edge would otherwise never be made good) */
		ref_synced = 1;
		ref_edge0 = ref_last;
		ref_ms0 = ticks + offset;
	}
	ref_seconds = ref_last >= 0 ? seconds : 0;
}

static void follow_reference(void)
{
	int32_t s = ref_seconds();
	if (s < 0 || s == ref_last)
		return;
	ref_last = s;
	uint32_t now = ticks + offset;
	if (!ref_synced) {
		ref_synced = 1;
		ref_edge0 = s;
		ref_ms0 = now;
		return;
	}
	ref_edges++;
	uint32_t expected = ref_ms0 + (uint32_t)(s - ref_edge0) * 1000u;
	int32_t diff = (int32_t)(expected - now);
	if (diff > 0) {
		offset += (uint32_t)diff;
		ref_forward++;
		ref_forward_ms += (uint32_t)diff;
	} else if (-diff > (int32_t)REF_SLACK_MS) {
		offset -= (uint32_t)-diff;            /* board_millis holds until it catches up */
		ref_back++;
		ref_back_ms += (uint32_t)-diff;
	}
}

/* Every 16th tick, with the tick count: the board's watchdog stall check (clocks.c on the
 * STM32); nothing elsewhere. */
__attribute__((weak)) void board_systick_hook(uint32_t now)
{
	(void)now;
}

uint32_t cm4_systick_ticks(void)
{
	return ticks;
}

void SysTick_Handler(void)
{
	ticks++;
	if (ref_seconds && ticks % REF_EVERY == 0)
		follow_reference();
	if ((ticks & 15u) == 0)
		board_systick_hook(ticks);
}

void cm4_systick_text(char *buf, unsigned size)
{
	static const char *const names[] = { " ref.edges=", " ref.forward=", " ref.forward.ms=",
		" ref.back=", " ref.back.ms=", " ticks=" };
	uint32_t values[] = { ref_edges, ref_forward, ref_forward_ms, ref_back, ref_back_ms, ticks };
	unsigned n = 0;
	for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
		for (const char *p = names[i]; *p && n + 1 < size; )
			buf[n++] = *p++;
		char digits[10];
		unsigned k = 0;
		uint32_t v = values[i];
		do {
			digits[k++] = (char)('0' + v % 10u);
			v /= 10u;
		} while (v);
		while (k && n + 1 < size)
			buf[n++] = digits[--k];
	}
	buf[n] = 0;
}

uint32_t board_millis(void)
{
	/* ticks only ever increments, but the reference may hold the clock back: the guard keeps
	 * it from going backwards. */
	static uint32_t last;
	uint32_t t, now;
	do {                                  /* ticks and offset of the same tick */
		t = ticks;
		now = t + offset;
	} while (t != ticks);
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

/* Bench: interrupts masked for ms milliseconds, counted by the SysTick counter's own wraps
 * (its current value jumps up at each reload), so the time really passes while the tick
 * interrupts are lost. (Renode's SysTick does not model COUNTFLAG.) */
void board_mask_irq_ms(uint32_t ms)
{
	__asm volatile("cpsid i" ::: "memory");
	uint32_t prev = SYST_CVR;
	for (uint32_t n = 0; n < ms; ) {
		/* a few hundred instructions between reads (well under a tick at any clock): on
		 * Renode each peripheral read costs far more host time than plain instructions */
		uint32_t k = 200;
		__asm volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(k));
		uint32_t v = SYST_CVR;
		if (v > prev)
			n++;
		prev = v;
	}
	__asm volatile("cpsie i" ::: "memory");
}

/* Boards without a watchdog: nothing to feed. */
__attribute__((weak)) void board_loop_alive(void)
{
}

void board_idle(uint32_t max_ms)
{
	uint32_t start = board_millis();
	for (;;) {
		/* Check and sleep with interrupts masked: an IRQ arriving between the check and WFI
		 * still wakes WFI (it only needs to be pending), so no wake-up is lost. */
		__asm volatile("cpsid i" ::: "memory");
		if (board_rx_pending() || board_millis() - start >= max_ms) {
			__asm volatile("cpsie i" ::: "memory");
			return;
		}
		__asm volatile("dsb\n wfi" ::: "memory");
		__asm volatile("cpsie i" ::: "memory");  /* the pending handler runs here */
	}
}
