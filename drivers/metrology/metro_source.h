/*
 * What the metering driver (xs_metro.c) reads: the board's metering silicon. The main chip's
 * samples arrive in the front-end driver shape (frontend.h); in the three-phase layout the
 * STPM34-like second device answers on its serial link (stpm_link.h). On lin and the emulated
 * boards both are the grid model (drivers/gridmodel/xs_gridmodel.c); a board with a real
 * STCOMET / STPM3x provides these four functions from its own drivers.
 */
#ifndef METRO_SOURCE_H
#define METRO_SOURCE_H

#include "dsp.h"
#include "frontend.h"
#include "stpm_link.h"

/* Starts the front-end for the layout (1 or 3 phases) with the DSP configuration the second
 * device measures with. 0, or -1 on failure. */
int metro_source_start(uint8_t phases, const dsp_config_t *cfg);

/* The main chip's sample source and its context. */
const fe_driver_t *metro_source(void **ctx);

/* Three-phase layout: the second device's link (transfer function and its context). */
stpm_xfer_fn metro_source_device(void **ctx);

/* Called after each block the main chip delivered, with it: an emulated second device samples
 * the same instants; silicon samples by itself (nothing to do). */
void metro_source_block(const fe_block_t *blk);

#endif
