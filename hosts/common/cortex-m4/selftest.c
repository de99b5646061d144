/* Board self-test: console line commands that exercise the board interface. Board-independent.
 * Port 0: commands (stack, ms, exit N, null, code, overflow, drops, heap, fpu, idle N, regions,
 * reset), anything else is echoed as "echo: <line>".
 * Ports 1 and 2: every line is echoed back on the same port as "echo<port>: <line>". */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "board.h"

#define LINE_MAX 256

typedef struct {
	char text[LINE_MAX + 1];
	size_t len;          /* bytes kept in text */
	size_t total;        /* bytes in the whole line, kept or not */
} line_t;

static line_t lines[BOARD_UART_MAX];

static void say(unsigned port, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(unsigned port, const char *fmt, ...)
{
	char buf[LINE_MAX + 96];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	board_uart_write(port, buf, (size_t)n);
}

static void heap_probe(void)
{
	/* Allocate 64 KB, then 1 KB blocks until malloc fails, then free them: proves _sbrk stops
	 * at the stack guard and reports ENOMEM instead of running into the stack. */
	static void *blocks[256];
	static const size_t sizes[] = { 65536, 1024 };
	unsigned n = 0;
	size_t total = 0;
	for (unsigned k = 0; k < 2; k++)
		while (n < 256 && (blocks[n] = malloc(sizes[k])) != NULL)
			total += sizes[k], n++;
	say(0, "heap arena %u, malloc got %u bytes in %u blocks before NULL\n",
		(unsigned)board_heap_size(), (unsigned)total, n);
	while (n)
		free(blocks[--n]);
}

static volatile float fpu_arg = 2.0f;

/* Recurses until the stack guard stops it (each level keeps 256 bytes live). */
static volatile unsigned recurse_limit = ~0u;
static unsigned recurse(unsigned depth)
{
	volatile uint8_t pad[256];
	pad[0] = (uint8_t)depth;
	if (depth == recurse_limit)
		return 0;
	return recurse(depth + 1) + pad[0];
}

void selftest_ready(void);

static void command(const line_t *l)
{
	const char *s = l->text;
	if (!strcmp(s, "stack")) {
		say(0, "stack high-water %u of %u bytes\n", (unsigned)board_stack_high_water(),
			(unsigned)board_stack_size());
	} else if (!strcmp(s, "ms")) {
		say(0, "ms %lu\n", (unsigned long)board_millis());
	} else if (!strncmp(s, "exit ", 5)) {
		board_exit(atoi(s + 5));
	} else if (!strcmp(s, "null")) {
		volatile uint32_t *volatile p = NULL;   /* volatile: the compiler must not elide it */
		say(0, "writing through NULL...\n");
		*p = 0xDEADBEEF;
		say(0, "NULL write did not fault (value at 0 now %08lx)\n", (unsigned long)*p);
	} else if (!strcmp(s, "code")) {
		volatile uint32_t *p = (volatile uint32_t *)((uintptr_t)selftest_ready & ~3u);
		say(0, "writing to code at %p...\n", (void *)p);
		*p = *p;
		say(0, "code write did not fault\n");
	} else if (!strcmp(s, "overflow")) {
		say(0, "recursing...\n");
		say(0, "%u\n", recurse(0));
	} else if (!strcmp(s, "drops")) {
		say(0, "dropped %lu %lu %lu\n", (unsigned long)board_uart_dropped(0),
			(unsigned long)board_uart_dropped(1), (unsigned long)board_uart_dropped(2));
	} else if (!strcmp(s, "heap")) {
		heap_probe();
	} else if (!strcmp(s, "fpu")) {
		say(0, "sqrtf(2)*1e6 = %ld\n", (long)(sqrtf(fpu_arg) * 1e6f));
	} else if (!strncmp(s, "idle ", 5)) {
		uint32_t t0 = board_millis();
		board_idle((uint32_t)atoi(s + 5));
		say(0, "idle returned after %lu ms\n", (unsigned long)(board_millis() - t0));
	} else if (!strcmp(s, "regions")) {
		static const char *const names[] = { "legal", "plc", "nonlegal" };
		for (unsigned i = 0; i < 3; i++) {
			const board_region_t *r = board_region(names[i]);
			say(0, "region %s %p %u\n", r->name, (const void *)r->address, (unsigned)r->size);
		}
	} else if (!strcmp(s, "reset")) {
		board_reset();
	} else {
		say(0, "echo: %s", l->text);
		if (l->total > l->len)
			say(0, " ...(line of %u bytes, %u kept)", (unsigned)l->total, (unsigned)l->len);
		say(0, "\n");
	}
}

static void take(unsigned port, uint8_t c)
{
	line_t *l = &lines[port];
	if (c == '\r' || c == '\n') {
		if (l->total == 0)
			return;                       /* second half of CR LF, or an empty line */
		l->text[l->len] = 0;
		if (port == BOARD_UART_CONSOLE)
			command(l);
		else
			say(port, "echo%u: %s (%u bytes)\n", port, l->text, (unsigned)l->total);
		l->len = l->total = 0;
		return;
	}
	if (l->len < LINE_MAX)
		l->text[l->len++] = (char)c;
	l->total++;
}

/* A named point for counting instructions from reset (see Makefile.selftest, `icount`). */
__attribute__((noinline)) void selftest_ready(void)
{
	say(0, "board %s ready\n", board_name());
}

int main(void)
{
	board_init();
	selftest_ready();
	for (;;) {
		board_loop_alive();               /* the watchdog, where the board arms one */
		uint8_t buf[64];
		for (unsigned port = 0; port < BOARD_UART_MAX; port++) {
			size_t n = board_uart_read(port, buf, sizeof buf);
			for (size_t i = 0; i < n; i++)
				take(port, buf[i]);
		}
		board_idle(100);
	}
}
