/* Linux host: the firmware as a native process. Its UARTs (stdin/stdout, sockets) and the wait
 * for their input (board_idle) are drivers/uart/lin/uart.c. */
#define _GNU_SOURCE
#include "board.h"
#include "simclock.h"
#include "uart.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static struct timespec start;
static uint32_t last_ms;
static int entropy_seeded;
static uint64_t entropy_state;
static char **saved_argv;
static char *stack_base;
static size_t stack_size = 8 * 1024 * 1024;

const char *board_name(void)
{
	return "lin";
}

void lin_board_args(int argc, char **argv)
{
	(void)argc;
	saved_argv = argv;
}

/* Stack high-water on Linux: paint the stack below board_init's frame once, then find the
 * lowest byte that changed, as the boards do with their painted main stack. */
#define LIN_STACK_PAINT (256 * 1024)
#define LIN_STACK_PATTERN 0xC5
static const volatile char *paint_low;

static void __attribute__((noinline)) paint_stack(void)
{
	volatile char area[LIN_STACK_PAINT];
	for (size_t i = 0; i < sizeof(area); i++)
		area[i] = (char)LIN_STACK_PATTERN;
	paint_low = area;
}

void board_init(void)
{
	char here;
	struct rlimit rl;
	stack_base = &here;
	paint_stack();
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		stack_size = rl.rlim_cur;
	clock_gettime(CLOCK_MONOTONIC, &start);
	sim_clock_init();
	signal(SIGPIPE, SIG_IGN);
	uart_init();   /* drivers/uart/lin/uart.c */
}

uint32_t board_millis(void)
{
	/* real time, or the medium's simulated clock (simclock.c) */
	uint32_t ms = (uint32_t)(sim_clock_us() / 1000u);
	if ((int32_t)(ms - last_ms) < 0)
		ms = last_ms;
	last_ms = ms;
	return ms;
}

uint64_t board_cycles(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - start.tv_sec) * 1000000000u + (uint64_t)now.tv_nsec - (uint64_t)start.tv_nsec;
}

uint32_t board_cycle_hz(void)
{
	return 1000000000u;   /* nanoseconds */
}

/* A Linux process has no interrupts to mask: the call only takes the time, as on a board. */
void board_mask_irq_ms(uint32_t ms)
{
	uint64_t end = board_cycles() + (uint64_t)ms * 1000000u;
	while (board_cycles() < end)
		;
}

void board_exit(int code)
{
	fflush(stdout);
	exit(code);
}

void board_fatal(int code)
{
	board_exit(code);
}

void board_reset(void)
{
	/* Same process image, fresh state: what a reset does to a device. */
	fflush(stdout);
	execv("/proc/self/exe", saved_argv);
	exit(99);
}

size_t board_stack_size(void)
{
	return stack_size;
}

void *board_stack_limit(void)
{
	/* Leave room for C below the last JS frame, as XS's own Linux default does. */
	return stack_base - stack_size + 128 * 1024;
}

size_t board_stack_high_water(void)
{
	const volatile char *p = paint_low;
	if (!p)
		return 0;
	while (p < (const volatile char *)stack_base && *p == (char)LIN_STACK_PATTERN)
		p++;
	return (size_t)((const volatile char *)stack_base - p);
}

size_t board_heap_size(void)
{
	return 0;   /* unbounded: the process heap */
}

/* No second data RAM: XS slots come from the process heap. */
void *board_data_alloc(size_t size)
{
	(void)size;
	return NULL;
}

int board_data_free(void *block)
{
	(void)block;
	return 0;
}

void board_data_usage(size_t *used, size_t *size, const char **name)
{
	*used = 0;
	*size = 0;
	*name = "none";
}

void board_settled(int armed, uint32_t deadline_ms)
{
	sim_clock_settled(armed, deadline_ms);
}

/* --seed N: a reproducible entropy stream (the emulated node's noise source), so that a run on
 * the simulated clock is the same for the same seed. */
void lin_entropy_seed(uint64_t seed)
{
	entropy_state = seed ^ 0x9E3779B97F4A7C15ull;
	entropy_seeded = 1;
}

uint32_t board_entropy(void)
{
	if (entropy_seeded) {
		/* splitmix64 */
		uint64_t z = (entropy_state += 0x9E3779B97F4A7C15ull);
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		return (uint32_t)(z ^ (z >> 31));
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint32_t)now.tv_nsec ^ ((uint32_t)getpid() << 16);
}
