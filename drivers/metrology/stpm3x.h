/*
 * STPM34-like second front-end device (L2, L3): frame shape and register map, the "datasheet"
 * that both the device model (stpm_model.c) and the host's link driver (stpm_link.c) follow.
 *
 * Frame (STPM3x SPI framing): the host sends 5 bytes
 *     [read address] [write address] [data LSB] [data MSB] [CRC-8]
 * and, in the same transfer, receives 5 bytes
 *     [data bits 7..0] [15..8] [23..16] [31..24] [CRC-8]
 * = the 32-bit register the PREVIOUS frame's read address pointed at (reads are pipelined).
 * Read address 0xFF = no read (the pointer is kept), write address 0xFF = no write.
 * Addresses count 16-bit rows: a 32-bit register sits at an even row, its upper half at row+1;
 * a write stores 16 bits into one row. CRC-8: polynomial x^8+x^2+x+1 (0x07), initial value 0,
 * no reflection, no final xor, over the first 4 bytes in transmit order (check vectors from a
 * real STPM32 exchange: 48 FF FF FF -> 0x24, A0 00 00 04 -> 0xE3). A frame whose CRC is wrong is
 * discarded by the device (no write, pointer unchanged) and flagged in US_SR.
 *
 * Register map. Control and status rows follow STPM3x (DSP_CR1 reset value, SW latch bits in
 * DSP_CR3's upper half); the measurement registers are this model's own, wider than the real
 * chip's packed 15/17-bit RMS fields so that 5 % of Ib keeps 1e-4 resolution:
 *   0x00 DSP_CR1   RW   reset 0x040000A0
 *   0x04 DSP_CR3   RW   bit 21 SW_LATCH1, bit 22 SW_LATCH2 (self-clearing): copy the channel's
 *                       live registers into the latched ones read below
 *   0x06 US_SR     R    bit 0 CRC error on a received frame since the last read, bits 8..15
 *                       frames discarded (saturating), bits 16..23 good frames received mod 256;
 *                       reading it clears bit 0 and the discarded count
 *   0x08 WINDOW    R    latched: index of the device's last completed 1-second window
 *   channel c (1, 2) at STPM_CH_BASE(c), latched:
 *     +0x00 V_RMS   uint32, 100 uV           +0x02 I_RMS  uint32, 10 uA
 *     +0x04 P       int32, mW                +0x06 Q      int32, mvar (fundamental)
 *     +0x08 S       uint32, mVA
 *     +0x0A E_ACT   uint32 wrapping, uWh net (import - export)
 *     +0x0C E_REACT uint32 wrapping, uvarh net (inductive - capacitive)
 *     +0x0E E_APP   uint32 wrapping, uVAh
 *     +0x10 PERIOD  uint32, ns (0: no whole period)
 *     +0x12 STATUS  DSP flags of the channel (dsp.h DSP_FLAG_*)
 * Energy registers wrap at 2^32 micro-units (>= 23 h at 50 W, 85 s at 50 kW): the host reads
 * every second and takes differences modulo 2^32, so nothing is lost between reads.
 */
#ifndef METRO_STPM3X_H
#define METRO_STPM3X_H

#include <stdint.h>

#define STPM_FRAME 5
#define STPM_NO_ADDR 0xFFu

#define STPM_DSP_CR1 0x00u
#define STPM_DSP_CR1_RESET 0x040000A0u
#define STPM_DSP_CR3 0x04u
#define STPM_CR3_SW_LATCH1 (1u << 21)
#define STPM_CR3_SW_LATCH2 (1u << 22)
#define STPM_US_SR 0x06u
#define STPM_US_CRC_ERR 0x1u
#define STPM_WINDOW 0x08u

#define STPM_CH_BASE(c) (0x20u + 0x20u * ((c) - 1u))   /* c = 1, 2 */
enum { STPM_V_RMS, STPM_I_RMS, STPM_P, STPM_Q, STPM_S, STPM_E_ACT, STPM_E_REACT, STPM_E_APP,
       STPM_PERIOD, STPM_STATUS, STPM_CH_REGS };   /* register k of a channel at base + 2k */

#define STPM_V_LSB 1e-4    /* V */
#define STPM_I_LSB 1e-5    /* A */
#define STPM_PWR_LSB 1e-3  /* W, var, VA */

/* CRC-8/0x07 of the frame's first 4 bytes. */
static inline uint8_t stpm_crc8(const uint8_t *b)
{
    uint8_t c = 0;
    for (int k = 0; k < 4; k++) {
        c ^= b[k];
        for (int j = 0; j < 8; j++)
            c = (uint8_t)(c & 0x80u ? ((unsigned)c << 1) ^ 0x07u : (unsigned)c << 1);
    }
    return c;
}

#endif
