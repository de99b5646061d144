/* mps2-an386 vector table: 16 system exceptions + the 48 interrupts QEMU's NVIC has for this
 * board (`info qtree`: num-irq = 48). Unused entries go to Fault_Handler, which names them. */
#include <stdint.h>

#define IRQ_COUNT 48

extern uint32_t __stack_top[];
void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);
void UART0RX_Handler(void);
void UART1RX_Handler(void);
void UART2RX_Handler(void);
void UART3RX_Handler(void);

/* Ranges give defaults, later entries override them on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

__attribute__((section(".vectors"), used))
void (*const vector_table[16 + IRQ_COUNT])(void) = {
	[0] = (void (*)(void))__stack_top,
	[1] = Reset_Handler,
	[2 ... 15] = Fault_Handler,           /* NMI, HardFault, MemManage, BusFault, UsageFault... */
	[15] = SysTick_Handler,
	[16 ... 16 + IRQ_COUNT - 1] = Fault_Handler,
	[16 + 0] = UART0RX_Handler,
	[16 + 2] = UART1RX_Handler,
	[16 + 4] = UART2RX_Handler,
	[16 + 18] = UART3RX_Handler,         /* QEMU hw/arm/mps2.c: UART3 RX is IRQ 18 */
};
