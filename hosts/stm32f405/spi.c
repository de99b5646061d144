/* STM32F405: the SPI NOR on SPI1 (RM0090 section 28) with a GPIO chip select, or the chip model
 * where no chip answers. Pins: SCK PA5, MISO PA6, MOSI PA7 (alternate function 5), CS PA4 (a
 * GPIO output, active low; Renode's Micron_MT25Q ends a command when its CS input goes high,
 * renode/platforms/stm32f405-meter.repl). board_spi_init sends RDID on SPI1: an id that is
 * neither all 0x00 (QEMU's netduinoplus2: nothing on the bus) nor all 0xFF (MISO pulled up)
 * keeps the real bus; otherwise the model takes over (hosts/common/cortex-m4/spinor.c). */
#include "board.h"
#include "nor_model.h"

#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define RCC_AHB1ENR  REG(0x40023830u)
#define RCC_APB2ENR  REG(0x40023844u)
#define GPIOA        0x40020000u
#define GPIO_MODER   0x00u
#define GPIO_OSPEEDR 0x08u
#define GPIO_BSRR    0x18u
#define GPIO_AFRL    0x20u
#define SPI1         0x40013000u
#define SPI_CR1      REG(SPI1 + 0x00u)
#define SPI_SR       REG(SPI1 + 0x08u)
#define SPI_DR       REG(SPI1 + 0x0Cu)
#define CR1_MSTR     (1u << 2)
#define CR1_BR_DIV8  (2u << 3)        /* PCLK2 84 MHz / 8 = 10.5 MHz, under the MT25Q's 133 MHz */
#define CR1_SPE      (1u << 6)
#define CR1_SSI      (1u << 8)
#define CR1_SSM      (1u << 9)
#define SR_RXNE      (1u << 0)
#define SR_TXE       (1u << 1)
#define SR_BSY       (1u << 7)
#define CS_PIN       4u
#define SPIN_LIMIT   100000u           /* register polls before the bus is declared dead */

static uint8_t real;   /* 1: a chip answered on SPI1 */
static uint8_t dead;

static int wait_flag(uint32_t flag, uint32_t want)
{
	for (uint32_t n = 0; n < SPIN_LIMIT; n++)
		if ((SPI_SR & flag) == want)
			return 0;
	dead = 1;
	return -1;
}

static void hw_select(int on)
{
	if (on) {
		SPI_CR1 |= CR1_SPE;
		REG(GPIOA + GPIO_BSRR) = 1u << (CS_PIN + 16);   /* CS low */
	}
	else {
		wait_flag(SR_BSY, 0);
		REG(GPIOA + GPIO_BSRR) = 1u << CS_PIN;          /* CS high: the chip executes */
		SPI_CR1 &= ~CR1_SPE;
	}
}

static void hw_transfer(const uint8_t *tx, uint8_t *rx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t in = 0xFF;
		if (!dead && wait_flag(SR_TXE, SR_TXE) == 0) {
			SPI_DR = tx ? tx[i] : 0xFF;
			if (wait_flag(SR_RXNE, SR_RXNE) == 0)
				in = (uint8_t)SPI_DR;
		}
		if (rx)
			rx[i] = in;
	}
}

const char *board_spi_init(void)
{
	uint8_t cmd = 0x9F, id[3] = { 0 };
	RCC_AHB1ENR |= 1u << 0;            /* GPIOA */
	RCC_APB2ENR |= 1u << 12;           /* SPI1 */
	REG(GPIOA + GPIO_BSRR) = 1u << CS_PIN;
	uint32_t moder = REG(GPIOA + GPIO_MODER) & ~(0xFFu << 8);        /* PA4..PA7 */
	REG(GPIOA + GPIO_MODER) = moder | (1u << 8) | (2u << 10) | (2u << 12) | (2u << 14);
	REG(GPIOA + GPIO_OSPEEDR) |= 0xFFu << 8;
	REG(GPIOA + GPIO_AFRL) = (REG(GPIOA + GPIO_AFRL) & ~(0xFFFu << 20)) | (5u << 20) | (5u << 24) | (5u << 28);
	SPI_CR1 = CR1_MSTR | CR1_BR_DIV8 | CR1_SSM | CR1_SSI;   /* mode 0, 8 bits, MSB first */
	while (SPI_SR & SR_RXNE)
		(void)SPI_DR;
	hw_select(1);
	hw_transfer(&cmd, NULL, 1);
	hw_transfer(NULL, id, 3);
	hw_select(0);
	int none = (id[0] == 0 && id[1] == 0 && id[2] == 0) || (id[0] == 0xFF && id[1] == 0xFF && id[2] == 0xFF);
	if (!dead && !none) {
		real = 1;
		return "spi1";
	}
	nor_model_init();
	return "model";
}

void board_spi_select(int on)
{
	if (real)
		hw_select(on);
	else
		nor_model_select(on);
}

void board_spi_transfer(const uint8_t *tx, uint8_t *rx, size_t n)
{
	if (real)
		hw_transfer(tx, rx, n);
	else
		nor_model_transfer(tx, rx, n);
}
