/* Board support interface: what every platform host (mps2-an386, stm32f405, lin) provides to
 * the runtime. Interrupt handlers only fill C buffers; script runs from the main loop. */
#ifndef BOARD_H
#define BOARD_H

#include <stddef.h>
#include <stdint.h>

#define BOARD_UART_CONSOLE 0   /* shell (MNSH) */
#define BOARD_UART_AUX     1   /* optical port (meter) / host link */
#define BOARD_UART_MODEM   2   /* PLC modem port */
#define BOARD_UART_BACKHAUL 3  /* concentrator's head-end link (backhaul modem), where the board has it */
#ifndef BOARD_UART_MAX
#define BOARD_UART_MAX     3   /* 4 where the manifest gives the board a backhaul UART */
#endif

void board_init(void);
const char *board_name(void);

/* Monotonic milliseconds since reset; never goes backwards (guarded). */
uint32_t board_millis(void);

/* Clock cycles since reset (SysTick on boards, nanoseconds on lin) and their rate. */
uint64_t board_cycles(void);
uint32_t board_cycle_hz(void);

/* UARTs (drivers/uart, per board): blocking transmit; receive drains a ring buffer that the RX interrupt fills.
 * Bytes that arrive while the ring is full are dropped and counted. */
void board_uart_write(unsigned port, const void *data, size_t len);
size_t board_uart_read(unsigned port, void *buf, size_t max);
size_t board_uart_available(unsigned port);
uint32_t board_uart_dropped(unsigned port);

/* Sleep until an interrupt or until max_ms elapse (WFI on boards). */
void board_idle(uint32_t max_ms);
/* The event loop has run everything due and is about to idle; its next timer deadline in board
 * milliseconds (when armed). A host on a simulated clock reports it (lin on a sim-clock medium:
 * IDLE to the medium); real-time hosts need not define it (weak default in xsruntime.c). */
void board_settled(int armed, uint32_t deadline_ms);
/* SYS CLOCK: the time source's mode and counters, one line ("mode=real" where time is the
 * board's own; lin adds the simulated clock's counters). */
const char *board_clock_text(void);
/* The wall clock that Date reads (SYS TIME sets it): board_set_time_ms makes it read now_ms from
 * this moment on; board_time_offset_ms is what the host adds to its own clock (a board's time
 * since reset from the epoch; lin's system or simulated clock). */
void board_set_time_ms(int64_t now_ms);
int64_t board_time_offset_ms(void);

/* Bench (BENCH MASK): interrupts masked for ms milliseconds of real time, as a driver that
 * masks them too long would; the boards lose SysTick interrupts meanwhile. */
void board_mask_irq_ms(uint32_t ms);
/* The event loop went round once (healthy): boards with a watchdog feed it here (weak default
 * in xsruntime.c does nothing). */
void board_loop_alive(void);

/* Stop the emulator with an exit code (semihosting on boards, exit() on lin). */
void board_exit(int code) __attribute__((noreturn));
/* System reset (SCB AIRCR.SYSRESETREQ on boards, re-exec on lin). */
void board_reset(void) __attribute__((noreturn));

/* Main stack: size and high-water mark (painted at reset, measured on demand). */
size_t board_stack_size(void);
size_t board_stack_high_water(void);
/* Lowest address the C stack may reach before XS reports a stack overflow. */
void *board_stack_limit(void);
/* Heap (newlib _sbrk arena): size of the arena. */
size_t board_heap_size(void);
/* Second data RAM for XS slots (CPU data only: the STM32F405's CCM), see
 * hosts/common/cortex-m4/dataram.c. alloc returns NULL when the region is absent or full (the
 * caller then uses malloc); free returns 1 if the block came from the region (it is not
 * reused: the XS machine lives until reset). usage reports
 * bytes used, the region's size and its name ("ccm", "none", ...). */
void *board_data_alloc(size_t size);
int board_data_free(void *block);
void board_data_usage(size_t *used, size_t *size, const char **name);

/* Unrecoverable error already reported on the console: restart (device) or exit (emulated). */
void board_fatal(int code) __attribute__((noreturn));
/* Some entropy for seeding non-cryptographic generators (timer jitter, unique ids). */
uint32_t board_entropy(void);

/* NVRAM backing store (drivers/nvram): a host file named at start (lin: --nvram FILE; boards:
 * nvram=FILE on the semihosting command line). attach returns 0 when one of exactly size bytes
 * is attached (an empty or new file is filled with 0xFF first), -1 without one (the NVRAM is then
 * volatile); read and write return 0 or -1. Writes reach the host file before they return. */
int board_nvram_attach(size_t size);
int board_nvram_read(uint32_t offset, void *buf, size_t len);
int board_nvram_write(uint32_t offset, const void *buf, size_t len);

/* SPI bus to the serial NOR (drivers/spinor). init picks the bus once and names it: "spi1" where
 * a chip answers on the board's SPI (stm32f405 on Renode), else "model" (drivers/spinor/nor_model.c,
 * the chip model). select drives chip select (1: asserted); transfer clocks n bytes out of tx
 * (0xFF when NULL) and into rx (when not NULL). */
const char *board_spi_init(void);
void board_spi_select(int on);
void board_spi_transfer(const uint8_t *tx, uint8_t *rx, size_t n);
/* The NOR model's backing store (lin: --spinor FILE; boards: spinor=FILE on the semihosting
 * command line): attach returns the file's length (0 for a new one), -1 without one; read and
 * write return 0 or -1 and reach the file before they return. cut returns the power-cut spec
 * (lin --spinor-cut; boards spinor-cut=) or NULL. */
long board_spinor_store_attach(void);
int board_spinor_store_read(uint32_t offset, void *buf, size_t len);
int board_spinor_store_write(uint32_t offset, const void *buf, size_t len);
const char *board_spinor_cut(void);

/* Flash regions holding the part images (addresses and maximum sizes). */
typedef struct {
	const char *name;          /* "legal", "plc", "nonlegal" */
	const uint8_t *address;
	size_t size;
} board_region_t;
const board_region_t *board_region(const char *name);

/* PLC provisioning record (drivers/plcmodem/xs_provision.c): its own flash region on boards,
 * the --provision file on lin; NULL where the board has none. */
const uint8_t *board_provision(size_t *size);

#endif
