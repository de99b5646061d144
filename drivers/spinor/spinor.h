/*
 * SPI NOR flash driver: the JEDEC serial NOR command set (Micron MT25Q datasheet, "Command
 * Definitions") over the board's SPI (board.h: board_spi_*), in 3-byte addressing:
 *   RDID 0x9F (manufacturer, memory type, capacity), RDSR 0x05 (bit 0 WIP, bit 1 WEL),
 *   WREN 0x06, READ 0x03, PAGE PROGRAM 0x02 (never across a 256-byte page: the driver splits),
 *   SUBSECTOR ERASE 0x20 (4 KB).
 * Every program and erase is preceded by WREN (checked through WEL) and followed by WIP polling
 * with a time-out. A chip that does not answer RDID, or answers with an id not in the table,
 * is refused: every later call fails and info() says why.
 */
#ifndef SPINOR_H
#define SPINOR_H

#include <stddef.h>
#include <stdint.h>

#define SPINOR_PAGE       256u
#define SPINOR_SECTOR     4096u
#define SPINOR_MAX_3BYTE  (16u * 1024u * 1024u)   /* 3-byte addressing reaches 16 MB */

#define SPINOR_CMD_PP     0x02
#define SPINOR_CMD_READ   0x03
#define SPINOR_CMD_WRDI   0x04
#define SPINOR_CMD_RDSR   0x05
#define SPINOR_CMD_WREN   0x06
#define SPINOR_CMD_SSE    0x20
#define SPINOR_CMD_RDID   0x9F
#define SPINOR_SR_WIP     0x01
#define SPINOR_SR_WEL     0x02

/* WIP polling gives up after this many milliseconds of the board's clock or this many polls,
 * whichever comes first (the poll bound holds where the clock stands still: lin on a simulated
 * clock). 4 KB erase: 400 ms maximum on an MT25QL128. */
#ifndef SPINOR_TIMEOUT_MS
#define SPINOR_TIMEOUT_MS 1000u
#endif
#ifndef SPINOR_TIMEOUT_POLLS
#define SPINOR_TIMEOUT_POLLS 200000u
#endif

typedef struct {
	uint8_t present;               /* 1: a known chip answered RDID */
	uint8_t id[3];                 /* RDID bytes */
	uint32_t size;                 /* bytes addressable (3-byte addressing) */
	const char *bus;               /* board_spi_init's answer: "spi1", "model", ... */
	const char *why;               /* refusal reason when !present */
	uint32_t reads, programs, erases;   /* operations (a program is one page) */
	uint32_t errors;               /* refused (WEL not set), timed out, or out of range */
	uint32_t busy_polls;           /* RDSR reads that found WIP set */
	uint32_t timeouts;
} spinor_info_t;

/* Probes the chip once (idempotent). 0 when present. */
int spinor_init(void);
const spinor_info_t *spinor_info(void);
/* 0, or -1 (chip absent, out of range, time-out, WEL refused). */
int spinor_read(uint32_t addr, void *buf, size_t len);
int spinor_program(uint32_t addr, const void *buf, size_t len);
int spinor_erase_4k(uint32_t addr);       /* addr aligned to SPINOR_SECTOR */

#endif
