/*
 * Model of the STPM34-like second device (register map and frames: stpm3x.h). It measures L2
 * and L3 with its own DSP (dsp.c on its two channels, as the chip's hardware DSP would), keeps
 * its own energy accumulators, and answers frames on its serial link. Fault injection (per
 * mille of frames, seeded): a frame corrupted on its way in (the device discards it), a reply
 * corrupted on its way out, or no reply at all (the host times out).
 */
#ifndef METRO_STPM_MODEL_H
#define METRO_STPM_MODEL_H

#include "dsp.h"
#include "stpm3x.h"

typedef struct {
    dsp_t dsp;                 /* channels 1, 2 = block channels L2, L3 */
    uint32_t live[2][STPM_CH_REGS], latched[2][STPM_CH_REGS];
    uint32_t window_live, window_latched;
    uint32_t cr1, cr3;
    uint8_t ptr;               /* read pointer: row of the register the next reply carries */
    uint8_t crc_err, discarded, good;
    uint16_t in_pm, out_pm, lost_pm;   /* fault injection, per mille of frames */
    uint32_t rng;
} stpm_dev_t;

/* 0, or -1 on a bad DSP configuration. */
int stpm_dev_init(stpm_dev_t *d, const dsp_config_t *cfg);

/* Feeds the device's ADC channels (block channels 1 and 2); a completed second updates the
 * live registers. */
void stpm_dev_feed(stpm_dev_t *d, const fe_block_t *blk);

/* One frame: tx 5 bytes in; returns the reply length (5, or 0 when no reply comes). */
int stpm_dev_xfer(void *dev, const uint8_t *tx, uint8_t *rx);

void stpm_dev_faults(stpm_dev_t *d, unsigned in_pm, unsigned out_pm, unsigned lost_pm, uint32_t seed);

#endif
