/* Cortex-M4 core registers (ARMv7-M ARM, "System Control Space") and the glue shared between
 * cm4.c and the board file. Board-independent: identical on every Cortex-M4 host. */
#ifndef CM4_H
#define CM4_H

#include <stddef.h>
#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(addr))
#define REG8(addr)  (*(volatile uint8_t *)(addr))

/* System control block */
#define SCB_ICSR    REG32(0xE000ED04u)
#define SCB_VTOR    REG32(0xE000ED08u)
#define SCB_AIRCR   REG32(0xE000ED0Cu)
#define SCB_SHPR3   REG32(0xE000ED20u)   /* PRI_15 (SysTick) in bits 31:24 */
#define SCB_CFSR    REG32(0xE000ED28u)
#define SCB_HFSR    REG32(0xE000ED2Cu)
#define SCB_MMFAR   REG32(0xE000ED34u)
#define SCB_BFAR    REG32(0xE000ED38u)
#define SCB_CPACR   REG32(0xE000ED88u)

#define AIRCR_VECTKEY      (0x05FAu << 16)
#define AIRCR_SYSRESETREQ  (1u << 2)
#define HFSR_VECTTBL       (1u << 1)
#define HFSR_FORCED        (1u << 30)
#define HFSR_DEBUGEVT      (1u << 31)
#define CFSR_MMARVALID     (1u << 7)
#define CFSR_MSTKERR       (1u << 4)
#define CFSR_BFARVALID     (1u << 15)
#define CFSR_STKERR        (1u << 12)

/* SysTick */
#define SYST_CSR    REG32(0xE000E010u)
#define SYST_RVR    REG32(0xE000E014u)
#define SYST_CVR    REG32(0xE000E018u)
#define SYST_CSR_ENABLE    (1u << 0)
#define SYST_CSR_TICKINT   (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)      /* 1 = processor clock */

/* NVIC */
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_ISPR(n) REG32(0xE000E200u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))
#define NVIC_IPR(n)  REG8(0xE000E400u + (n))

/* MPU (PMSAv7) */
#define MPU_TYPE    REG32(0xE000ED90u)
#define MPU_CTRL    REG32(0xE000ED94u)
#define MPU_RNR     REG32(0xE000ED98u)
#define MPU_RBAR    REG32(0xE000ED9Cu)
#define MPU_RASR    REG32(0xE000EDA0u)
#define MPU_CTRL_ENABLE     (1u << 0)
#define MPU_CTRL_PRIVDEFENA (1u << 2)     /* default map for everything not covered */
#define MPU_RASR_ENABLE     (1u << 0)
#define MPU_RASR_SIZE(log2) ((uint32_t)((log2) - 1) << 1)
#define MPU_RASR_SRD(mask)  ((uint32_t)(mask) << 8)
#define MPU_RASR_AP_NONE    (0u << 24)
#define MPU_RASR_AP_RO      (6u << 24)    /* read-only, privileged and unprivileged */
#define MPU_RASR_XN         (1u << 28)
#define MPU_RASR_NORMAL     ((0u << 19) | (1u << 17))   /* TEX=0 C=1 B=0: normal, write-through */

static inline void cm4_irq_enable(unsigned irq)
{
	NVIC_ICPR(irq >> 5) = 1u << (irq & 31);
	NVIC_ISER(irq >> 5) = 1u << (irq & 31);
}

static inline void cm4_irq_mask(unsigned irq)
{
	NVIC_ICER(irq >> 5) = 1u << (irq & 31);
	__asm volatile("dsb\n isb" ::: "memory");
}

/* Re-enables an interrupt and pends it, so that a condition that is still there (a byte waiting
 * in a UART) is served even if the peripheral raises its line only on edges. */
static inline void cm4_irq_unmask_pend(unsigned irq)
{
	NVIC_ISER(irq >> 5) = 1u << (irq & 31);
	NVIC_ISPR(irq >> 5) = 1u << (irq & 31);
}

static inline void cm4_mpu_region(unsigned n, uint32_t base, uint32_t rasr)
{
	MPU_RNR = n;
	MPU_RBAR = base;
	MPU_RASR = rasr | MPU_RASR_ENABLE;
}

static inline void cm4_mpu_enable(void)
{
	/* HFNMIENA stays 0: the HardFault handler runs with the MPU off, so it can always read
	 * the faulting frame and print. */
	MPU_CTRL = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
	__asm volatile("dsb\n isb" ::: "memory");
}

/* Linker-script symbols (see link.ld). */
extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_guard[], __stack_bottom[], __stack_top[];
extern uint8_t __heap_start[], __heap_end[];

#define STACK_PAINT      0xC5C5C5C5u

/* Whether RAM answers over [base, base + size): its first and last words read without a bus
 * fault and keep a written pattern (cm4.c: a fault taken during the probe is skipped). */
int cm4_probe_ram(uint32_t base, uint32_t size);

/* Candidate second data RAMs of a board, in order of preference, ended by size 0
 * (dataram.c probes them). */
typedef struct {
	const char *name;
	uint32_t base;
	uint32_t size;
} board_data_region_t;
const board_data_region_t *board_data_regions(void);

/* uart_rx.c: the receive rings shared by the boards' UART interrupts. */
void cm4_rx_init(unsigned port, unsigned irq);
int cm4_rx_hold_if_full(unsigned port);    /* ISR: ring full -> IRQ masked, byte left in the UART */
void cm4_rx_put(unsigned port, uint8_t byte);
void cm4_rx_overrun(unsigned port);

/* systick.c: the 1 ms tick and cycle counter, started by board_init(). */
void cm4_systick_start(uint32_t cpu_hz);
/* A seconds reference (an RTC: seconds, or -1 when absent) the millisecond clock follows; NULL
 * or a reference that reads -1 leaves SysTick alone. started_now: its current second began at
 * this call (a calendar just set), else the clock anchors at the reference's first edge. */
void cm4_systick_reference(int32_t (*seconds)(void), int started_now);
/* The reference's counters, " ref.edges=N ... ticks=N", for SYS CLOCK. */
void cm4_systick_text(char *buf, unsigned size);
uint32_t cm4_systick_ticks(void);          /* SysTick interrupts counted (1 ms each) */
void board_systick_hook(uint32_t ticks);   /* weak: called from SysTick every 16th tick */

/* Provided by board.c, used by cm4.c and systick.c. */
int board_rx_pending(void);                /* some UART ring holds bytes */
void board_early_init(void);              /* from Reset_Handler, before main: MPU guard */
void board_fault_puts(const char *s);     /* polled console output that works from any state */
void board_flush(void);                   /* wait until every UART has sent its last byte */
int cm4_semihost(int op, void *arg);      /* ARM semihosting call (BKPT 0xAB): r0 result */
/* Copies VALUE of the word key=VALUE of the semihosting command line into out (size bytes with
 * its NUL); 0 when present, -1 when absent, too long or without semihosting. */
int cm4_cmdline_value(const char *key, char *out, size_t size);

#endif
