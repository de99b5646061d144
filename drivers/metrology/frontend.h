/*
 * Metering front-end interface: the shape an STPM3x / STCOMET driver and the
 * front-end model (fe_model.c) both implement, so the DSP cannot tell them apart.
 *
 * Channels: V1,I1 (main device), V2,I2,V3,I3 (STPM34-like second device) and
 * the neutral current In. Samples arrive block-wise, one array per channel,
 * as a DMA-fed driver would deliver them.
 *
 * Sample scale (ADC-like, calibrated): a sample is a 24-bit two's-complement
 * value sign-extended into int32, range [-FE_ADC_FULL_SCALE, +FE_ADC_FULL_SCALE].
 *   voltage: 1 LSB = FE_V_LSB_UV microvolts  (100 uV -> full scale +/-838.86 V peak)
 *   current: 1 LSB = FE_I_LSB_UA microamperes (20 uA -> full scale +/-167.77 A peak)
 * Sign convention: positive current flows from the grid into the load, so
 * imported active power is positive. In is measured with the opposite sign
 * (current returning to the grid): for a healthy installation
 * i1 + i2 + i3 + in = 0 at every instant.
 */
#ifndef METRO_FRONTEND_H
#define METRO_FRONTEND_H

#include <stdint.h>

/* Compile-time number of phases (1 or 3); runtime config may use fewer. */
#ifndef METRO_PHASES
#define METRO_PHASES 3
#endif
#if METRO_PHASES != 1 && METRO_PHASES != 3
#error "METRO_PHASES must be 1 or 3"
#endif

#ifndef FE_SAMPLE_RATE_DEFAULT
#define FE_SAMPLE_RATE_DEFAULT 4000u  /* per channel; the DSP needs >= 4 kHz */
#endif
#define FE_SAMPLE_RATE_MIN 4000u
#define FE_SAMPLE_RATE_MAX 16000u

/* Samples per channel per block: one 50 Hz cycle at 4 kHz keeps RAM small. */
#ifndef FE_BLOCK_MAX
#define FE_BLOCK_MAX 80u
#endif

#define FE_ADC_BITS 24
#define FE_ADC_FULL_SCALE 8388607   /* 2^23 - 1 */
#define FE_V_LSB_UV 100             /* microvolts per voltage LSB */
#define FE_I_LSB_UA 20              /* microamperes per current LSB */

/* Block status bits (a real device reports these in its status registers). */
#define FE_STATUS_CLIP        0x0001u  /* a sample saturated the ADC */
#define FE_STATUS_COVER_OPEN  0x0100u  /* terminal cover switch (tamper) */
#define FE_STATUS_MAGNET      0x0200u  /* strong magnetic field (tamper) */
#define FE_STATUS_TAMPER_MASK 0x0300u
/* The board's push buttons, sampled with the block (on a device: GPIO levels read by the
 * sampling ISR; in the model: held by a scenario event). Not tamper: the DSP ignores them. */
#define FE_STATUS_KEY_P1      0x0400u  /* P1 (scroll up) held */
#define FE_STATUS_KEY_P2      0x0800u  /* P2 (scroll down) held */
#define FE_STATUS_INPUT_MASK  0xFF00u  /* tamper switches and buttons */

typedef struct {
    uint32_t sample_rate_hz;  /* per channel, FE_SAMPLE_RATE_MIN..MAX, 0 = default */
    uint8_t phases;           /* 1 or 3 (<= METRO_PHASES), 0 = METRO_PHASES */
} fe_config_t;

typedef struct {
    uint32_t first_sample;    /* index of sample [0] since acquisition start */
    uint16_t count;           /* valid samples per channel, <= FE_BLOCK_MAX */
    uint16_t status;          /* FE_STATUS_* seen during this block */
    int32_t v[METRO_PHASES][FE_BLOCK_MAX];
    int32_t i[METRO_PHASES][FE_BLOCK_MAX];
    int32_t in[FE_BLOCK_MAX];
} fe_block_t;

/*
 * Driver shape (one instance per front-end). read() returns the number of
 * samples per channel written into blk (0 = none ready yet, < 0 = error);
 * it never returns more than max (<= FE_BLOCK_MAX).
 */
typedef struct fe_driver {
    const char *name;
    int (*init)(void *ctx, const fe_config_t *cfg);
    int (*read)(void *ctx, fe_block_t *blk, uint16_t max);
    uint32_t (*sample_rate)(const void *ctx);
    uint8_t (*phases)(const void *ctx);
} fe_driver_t;

#endif
