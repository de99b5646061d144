/* Cortex-M4 runtime shared by the boards: reset, fault reporting, semihosting exit, stack and
 * heap accounting. Board-independent: identical on every Cortex-M4 host. */
#include <stddef.h>
#include <stdint.h>
#include "board.h"
#include "cm4.h"
#include <string.h>

#ifndef BOARD_STACK_SIZE
#define BOARD_STACK_SIZE 8192
#endif
#define CM4_STR_(x) #x
#define CM4_STR(x) CM4_STR_(x)

/* The stack size is published as an absolute symbol so that link.ld places the stack at the
 * top of RAM with exactly this size: -DBOARD_STACK_SIZE is then the single setting. */
_Static_assert(BOARD_STACK_SIZE % 32 == 0 && BOARD_STACK_SIZE >= 1024,
	"BOARD_STACK_SIZE must be a multiple of 32, at least 1024");
__asm__(".global __stack_size\n.set __stack_size, " CM4_STR(BOARD_STACK_SIZE));

#define BOARD_FAULT_EXIT 70               /* EX_SOFTWARE (sysexits.h) */

int main(void);

/* ---- semihosting ---- */

#define SYS_EXIT_EXTENDED            0x20
#define ADP_Stopped_ApplicationExit  0x20026

int cm4_semihost(int op, void *arg)
{
	register int r0 __asm("r0") = op;
	register void *r1 __asm("r1") = arg;
	__asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

#define SYS_GET_CMDLINE              0x15

int cm4_cmdline_value(const char *key, char *out, size_t size)
{
	char line[200];
	size_t k = strlen(key);
	uint32_t block[2] = { (uint32_t)(uintptr_t)line, sizeof(line) - 1 };
	if (cm4_semihost(SYS_GET_CMDLINE, block) != 0)
		return -1;
	line[block[1] < sizeof(line) ? block[1] : sizeof(line) - 1] = 0;
	for (char *w = line; *w;) {
		while (*w == ' ')
			w++;
		char *end = w;
		while (*end && *end != ' ')
			end++;
		if ((size_t)(end - w) > k + 1 && !strncmp(w, key, k) && w[k] == '=' && (size_t)(end - w - k - 1) < size) {
			memcpy(out, w + k + 1, (size_t)(end - w - k - 1));
			out[end - w - k - 1] = 0;
			return 0;
		}
		w = end;
	}
	return -1;
}

void board_exit(int code)
{
	uint32_t block[2] = { ADP_Stopped_ApplicationExit, (uint32_t)code };
	board_flush();
	cm4_semihost(SYS_EXIT_EXTENDED, block);
	/* Only reached under a debugger that ignores the call. */
	__asm volatile("cpsid i");
	for (;;)
		__asm volatile("wfi");
}

void board_reset(void)
{
	board_flush();
	__asm volatile("dsb" ::: "memory");
	SCB_AIRCR = AIRCR_VECTKEY | AIRCR_SYSRESETREQ;
	__asm volatile("dsb" ::: "memory");
	for (;;)
		;
}

/* Emulated boards stop with the code so a test sees it; -DBOARD_FATAL_RESET=1 restarts
 * instead, as a deployed device should. */
void board_fatal(int code)
{
#if defined(BOARD_FATAL_RESET) && BOARD_FATAL_RESET
	(void)code;
	board_reset();
#else
	board_exit(code);
#endif
}

/* SysTick phase and the tick count at the moment of the call, mixed (murmur3 finaliser).
 * Deterministic under -icount, which keeps emulated runs reproducible. Not for cryptography. */
uint32_t board_entropy(void)
{
	static uint32_t calls;
	uint32_t x = SYST_CVR ^ (board_millis() << 8) ^ (++calls * 0x9E3779B9u);
	x ^= x >> 16;
	x *= 0x85EBCA6Bu;
	x ^= x >> 13;
	x *= 0xC2B2AE35u;
	x ^= x >> 16;
	return x;
}

/* ---- reset ---- */

static void reset_c(void) __attribute__((noreturn, used));

/* Naked so that no compiler-generated code runs before the FPU is on: with the hard-float ABI
 * gcc may use s-registers anywhere, and they fault (NOCP) while CPACR denies access. */
__attribute__((naked, noreturn)) void Reset_Handler(void)
{
	__asm volatile(
		"ldr r0, =0xE000ED88\n"   /* CPACR: full access to CP10 and CP11 */
		"ldr r1, [r0]\n"
		"orr r1, r1, #(0xF << 20)\n"
		"str r1, [r0]\n"
		"dsb\n"
		"isb\n"
		"ldr r0, =__stack_top\n"  /* also after a debugger reset that skipped the vector */
		"mov sp, r0\n"
		"b reset_c\n");
}

static void reset_c(void)
{
	uint32_t *src = __data_load, *dst = __data_start;
	while (dst < __data_end)
		*dst++ = *src++;
	for (dst = __bss_start; dst < __bss_end; dst++)
		*dst = 0;

	/* Paint the unused part of the stack (everything below our own frame). */
	uint32_t *sp;
	__asm volatile("mov %0, sp" : "=r"(sp));
	for (dst = __stack_bottom; dst < sp - 16; dst++)
		*dst = STACK_PAINT;

	board_early_init();

	extern void (*__init_array_start[])(void), (*__init_array_end[])(void);
	for (void (**f)(void) = __init_array_start; f < __init_array_end; f++)
		(*f)();

	board_exit(main());
}

/* ---- stack and heap ---- */

size_t board_stack_size(void)
{
	return (size_t)((uint8_t *)__stack_top - (uint8_t *)__stack_bottom);
}

/* XS checks its C stack use against this at each call: a quarter of the stack (at least
 * 1 KB) stays below it for C code that runs between two checks (XS's own high-water is ~3.7 KB). */
void *board_stack_limit(void)
{
	size_t margin = board_stack_size() / 4;
	if (margin < 1024)
		margin = 1024;
	return (uint8_t *)__stack_bottom + margin;
}

size_t board_stack_high_water(void)
{
	uint32_t *p = __stack_bottom;
	while (p < __stack_top && *p == STACK_PAINT)
		p++;
	return (size_t)((uint8_t *)__stack_top - (uint8_t *)p);
}

size_t board_heap_size(void)
{
	return (size_t)(__heap_end - __heap_start);
}

/* ---- faults ---- */

static void put_hex(const char *label, uint32_t v)
{
	char s[20];
	char *p = s;
	while (*label)
		*p++ = *label++;
	for (int i = 28; i >= 0; i -= 4)
		*p++ = "0123456789ABCDEF"[(v >> i) & 15];
	*p = 0;
	board_fault_puts(s);
}

static const char *fault_reason(uint32_t ipsr, uint32_t cfsr, uint32_t hfsr, uint32_t mmfar,
	uint32_t bfar, const uint32_t *frame)
{
	static const struct { uint32_t bit; const char *text; } causes[] = {
		{ 1u << 0,  "instruction access violation (MPU / XN)" },
		{ 1u << 1,  "data access violation (MPU)" },
		{ 1u << 3,  "MPU fault on exception return" },
		{ 1u << 4,  "MPU fault on exception entry (stack overflow into guard?)" },
		{ 1u << 5,  "MPU fault during FP lazy stacking" },
		{ 1u << 8,  "bus error on instruction fetch" },
		{ 1u << 9,  "precise bus error" },
		{ 1u << 10, "imprecise bus error" },
		{ 1u << 11, "bus error on exception return" },
		{ 1u << 12, "bus error on exception entry" },
		{ 1u << 13, "bus error during FP lazy stacking" },
		{ 1u << 16, "undefined instruction" },
		{ 1u << 17, "invalid state (Thumb bit clear: call through NULL/bad pointer?)" },
		{ 1u << 18, "invalid EXC_RETURN" },
		{ 1u << 19, "coprocessor access (FPU disabled?)" },
		{ 1u << 24, "unaligned access" },
		{ 1u << 25, "divide by zero" },
	};
	if (ipsr == 2)
		return "NMI";
	if (ipsr >= 16)
		return "unexpected interrupt (no handler installed)";
	if (ipsr < 3 || ipsr > 6)
		return "unexpected exception (SVC/DebugMon/PendSV without a handler)";
	/* QEMU escalates a BKPT with no debugger to HardFault without setting DEBUGEVT. */
	if (frame && cfsr == 0 && *(const uint16_t *)(frame[6] & ~1u) == 0xBEAB)
		return "semihosting call (BKPT 0xAB) but QEMU runs without -semihosting";
	if (hfsr & HFSR_DEBUGEVT)
		return "breakpoint (BKPT) with no debugger attached";
	if (hfsr & HFSR_VECTTBL)
		return "bus error reading the vector table";
	if ((cfsr & CFSR_MMARVALID) && mmfar < 0x400)
		return "NULL pointer access (MPU guard)";
	uint32_t addr = (cfsr & CFSR_MMARVALID) ? mmfar : (cfsr & CFSR_BFARVALID) ? bfar : 0;
	if ((cfsr & (CFSR_MSTKERR | CFSR_STKERR)) ||
	    (addr >= (uint32_t)__stack_guard && addr < (uint32_t)__stack_bottom))
		return "main stack overflow (stack guard)";
	for (unsigned i = 0; i < sizeof causes / sizeof causes[0]; i++)
		if (cfsr & causes[i].bit)
			return causes[i].text;
	return "fault";
}

/* Called on its own stack, so a fault caused by stack overflow can still be reported. */
static void __attribute__((noreturn, used)) fault_report(uint32_t *frame, uint32_t exc_return)
{
	uint32_t ipsr, cfsr = SCB_CFSR, hfsr = SCB_HFSR, mmfar = SCB_MMFAR, bfar = SCB_BFAR;
	__asm volatile("mrs %0, ipsr" : "=r"(ipsr));
	ipsr &= 0x1FF;

	/* With a stacking error the frame is not there; HardFault runs with the MPU off, so
	 * reading an otherwise valid frame cannot fault again. */
	if (cfsr & (CFSR_MSTKERR | CFSR_STKERR))
		frame = NULL;

	board_fault_puts("\r\n*** FAULT: ");
	board_fault_puts(fault_reason(ipsr, cfsr, hfsr, mmfar, bfar, frame));
	if (frame) {
		put_hex(" PC=", frame[6]);
		put_hex(" LR=", frame[5]);
	}
	put_hex(" CFSR=", cfsr);
	put_hex(" HFSR=", hfsr);
	if (cfsr & CFSR_MMARVALID)
		put_hex(" MMFAR=", mmfar);
	if (cfsr & CFSR_BFARVALID)
		put_hex(" BFAR=", bfar);
	put_hex(" EXC=", ipsr);
	put_hex(" EXC_RETURN=", exc_return);
	board_fault_puts("\r\n");

	/* Without -semihosting this BKPT locks the core up; QEMU then stops with "Lockup" and exit
	 * status 134 rather than hanging, and the line above has already named the cause. */
	board_exit(BOARD_FAULT_EXIT);
}

/* ---- fault-safe RAM probe ---- */

/* While a probe runs, a fault skips the faulting instruction (16 or 32 bits wide: ARMv7-M ARM
 * A5.1) and is noted instead of reported. The probe reads first: a read bus fault is precise,
 * so the stacked PC is the load's own. */
static volatile uint32_t probe_active __attribute__((used));
static volatile uint32_t probe_faulted;

void __attribute__((used)) cm4_probe_skip(uint32_t *frame)
{
	uint16_t hw = *(const uint16_t *)(frame[6] & ~1u);
	frame[6] += (hw & 0xF800u) >= 0xE800u ? 4u : 2u;
	probe_faulted = 1;
	SCB_CFSR = SCB_CFSR;                  /* write-one-to-clear */
	SCB_HFSR = SCB_HFSR;
}

static int probe_word(volatile uint32_t *p)
{
	probe_faulted = 0;
	probe_active = 1;
	__asm volatile("dsb" ::: "memory");
	uint32_t old = *p;
	__asm volatile("dsb" ::: "memory");
	int ok = !probe_faulted;
	if (ok) {
		*p = ~old;
		__asm volatile("dsb" ::: "memory");
		ok = !probe_faulted && *p == ~old;
		*p = old;
		__asm volatile("dsb" ::: "memory");
	}
	probe_active = 0;
	return ok;
}

int cm4_probe_ram(uint32_t base, uint32_t size)
{
	return size >= 4 && probe_word((volatile uint32_t *)base) &&
		probe_word((volatile uint32_t *)(base + size - 4));
}

#define FAULT_STACK_WORDS 256
uint32_t cm4_fault_stack[FAULT_STACK_WORDS] __attribute__((aligned(8), used));

/* Every fault and unused vector lands here. MemManage, BusFault and UsageFault are left
 * disabled in SHCSR, so they escalate to HardFault (CFSR still names the cause) and the report
 * runs with the MPU off. */
__attribute__((naked, noreturn)) void Fault_Handler(void)
{
	__asm volatile(
		"ldr r0, =probe_active\n"        /* a RAM probe: skip the access and return */
		"ldr r0, [r0]\n"
		"cbz r0, 1f\n"
		"mrs r0, ipsr\n"                 /* and a HardFault, not some stray interrupt */
		"cmp r0, #3\n"
		"bne 1f\n"
		"tst lr, #4\n"
		"ite eq\n"
		"mrseq r0, msp\n"
		"mrsne r0, psp\n"
		"push {r4, lr}\n"
		"bl cm4_probe_skip\n"
		"pop {r4, pc}\n"
		"1:\n"
		"tst lr, #4\n"
		"ite eq\n"
		"mrseq r0, msp\n"
		"mrsne r0, psp\n"
		"mov r1, lr\n"
		"ldr r2, =cm4_fault_stack + %c0\n"
		"mov sp, r2\n"
		"b fault_report\n"
		:: "i"(FAULT_STACK_WORDS * 4));
}
