/*
 * A serial NOR chip model with the semantics of a Micron MT25QL128 (16 MB, JEDEC id 20 BA 18),
 * for hosts whose emulator has no NOR on its SPI (lin, QEMU mps2-an386, QEMU netduinoplus2):
 *   - bytes erase to 0xFF (4 KB SUBSECTOR ERASE 0x20); PAGE PROGRAM 0x02 only clears bits
 *     (new = old & data) and wraps inside its 256-byte page, the last 256 bytes sent win;
 *   - PAGE PROGRAM and ERASE need WEL (WREN 0x06), which each of them clears (as does WRDI 0x04);
 *   - WIP stays set for the program and erase times (NOR_T_PP_US, NOR_T_SSE_US: datasheet
 *     typical values) and every command but RDSR is ignored meanwhile;
 *   - an erase count per 4 KB sector.
 * Contents and erase counts live in the host's backing store (board.h: board_spinor_store_*),
 * a file of NOR_STORE_SIZE bytes: the array, then one little-endian uint32 erase count per
 * sector. Without a store the chip is absent (RDID reads FF FF FF, as a bus with no chip).
 *
 * Time: the model's clock is the host's (board_cycles: the simulated clock on lin) plus
 * NOR_POLL_US for every status byte read while busy, the bus time of a poll, so that a chip
 * polled on a clock that stands still (lin between two TIMEs of a simulated medium) still ends
 * its operation.
 *
 * Power-cut injector (board_spinor_cut: lin --spinor-cut, boards spinor-cut= on the semihosting
 * command line): "N" cuts at the N-th program or erase the model executes, "random:SEED" at one
 * drawn from the seed in 1..NOR_CUT_RANDOM_SPAN. The operation is left torn (a prefix of its
 * bytes done), one line `POWER CUT spinor op=<n> <program|erase> addr=0x<hex>` goes to the
 * console and the node exits at once (status NOR_CUT_EXIT), writing nothing more.
 */
#ifndef NOR_MODEL_H
#define NOR_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define NOR_SIZE        (16u * 1024u * 1024u)
#define NOR_SECTORS     (NOR_SIZE / 4096u)
#define NOR_STORE_SIZE  (NOR_SIZE + NOR_SECTORS * 4u)
#define NOR_T_PP_US     120u          /* page program, typical (MT25QL128 tPP 0.12 ms) */
#define NOR_T_SSE_US    50000u        /* 4 KB subsector erase, typical (tSSE 50 ms) */
#ifndef NOR_POLL_US
#define NOR_POLL_US     10u
#endif
#ifndef NOR_CUT_RANDOM_SPAN
#define NOR_CUT_RANDOM_SPAN 64u
#endif
#define NOR_CUT_EXIT    3

typedef struct {
	uint8_t attached;              /* a backing store is there */
	uint32_t ops;                  /* programs and erases executed */
	uint32_t cut_at;               /* 0: no cut armed */
	uint32_t ignored;              /* commands ignored (busy, no WEL, incomplete) */
} nor_model_info_t;

/* Attaches the store once; -1 (chip absent) without one or with one of the wrong size. */
int nor_model_init(void);
const nor_model_info_t *nor_model_info(void);
/* The chip's side of the bus. */
void nor_model_select(int on);
void nor_model_transfer(const uint8_t *tx, uint8_t *rx, size_t n);
/* Erase count of a 4 KB sector (0 without a store). */
uint32_t nor_model_erase_count(uint32_t sector);

#endif
