/* stm32f405 vector table: 16 system exceptions + the 82 interrupts of the STM32F405
 * (RM0090 table 61). Unused entries go to Fault_Handler, which names them. */
#include <stdint.h>

#ifdef STM32_IRQ_COUNT
#define IRQ_COUNT STM32_IRQ_COUNT      /* the STM32F429's 91 (hosts/stm32f429) */
#else
#define IRQ_COUNT 82
#endif

extern uint32_t __stack_top[];
void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);
void USART1_IRQHandler(void);
void USART2_IRQHandler(void);
void USART3_IRQHandler(void);
#if defined(BOARD_UART_MAX) && BOARD_UART_MAX > 3
void UART5_IRQHandler(void);
#endif

/* Ranges give defaults, later entries override them on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

__attribute__((section(".vectors"), used))
void (*const vector_table[16 + IRQ_COUNT])(void) = {
	[0] = (void (*)(void))__stack_top,
	[1] = Reset_Handler,
	[2 ... 15] = Fault_Handler,           /* NMI, HardFault, MemManage, BusFault, UsageFault... */
	[15] = SysTick_Handler,
	[16 ... 16 + IRQ_COUNT - 1] = Fault_Handler,
	[16 + 37] = USART1_IRQHandler,
	[16 + 38] = USART2_IRQHandler,
	[16 + 39] = USART3_IRQHandler,
#if defined(BOARD_UART_MAX) && BOARD_UART_MAX > 3
	[16 + 53] = UART5_IRQHandler,         /* the STM32F429 board's backhaul */
#endif
};
