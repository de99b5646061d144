/* Model of the STPM34-like second device: see stpm_model.h and stpm3x.h. */
#include "stpm_model.h"

#include <math.h>
#include <string.h>

int stpm_dev_init(stpm_dev_t *d, const dsp_config_t *cfg)
{
    dsp_config_t c = *cfg;
    memset(d, 0, sizeof(*d));
    c.phases = 2;
    c.ch0 = 1;
    c.residual_a = 0.0f;   /* the device sees two of the three phase currents */
    d->cr1 = STPM_DSP_CR1_RESET;
    d->rng = 0x2545F491u;
    return dsp_init(&d->dsp, &c);
}

static uint32_t to_u32(float x, float lsb)
{
    float v = x / lsb + 0.5f;
    return v <= 0.0f ? 0u : v >= 4294967040.0f ? 0xFFFFFF00u : (uint32_t)v;
}

static uint32_t to_i32(float x, float lsb)
{
    float v = x / lsb;
    v = v >= 0.0f ? v + 0.5f : v - 0.5f;
    if (v > 2147483520.0f) v = 2147483520.0f;
    if (v < -2147483520.0f) v = -2147483520.0f;
    return (uint32_t)(int32_t)v;
}

/* End of a device window: results and accumulators into the live registers. */
static void update_live(stpm_dev_t *d)
{
    for (unsigned c = 0; c < 2; c++) {
        const dsp_result_t *r = &d->dsp.res[c];
        const uint64_t *e = d->dsp.e[c].reg;
        uint32_t *x = d->live[c];
        x[STPM_V_RMS] = to_u32(r->vrms, (float)STPM_V_LSB);
        x[STPM_I_RMS] = to_u32(r->irms, (float)STPM_I_LSB);
        x[STPM_P] = to_i32(r->p, (float)STPM_PWR_LSB);
        x[STPM_Q] = to_i32(r->q, (float)STPM_PWR_LSB);
        x[STPM_S] = to_u32(r->s, (float)STPM_PWR_LSB);
        x[STPM_E_ACT] = (uint32_t)(e[DSP_E_A_IMP] - e[DSP_E_A_EXP]);
        x[STPM_E_REACT] = (uint32_t)(e[DSP_E_R_Q1] + e[DSP_E_R_Q2] - e[DSP_E_R_Q3] - e[DSP_E_R_Q4]);
        x[STPM_E_APP] = (uint32_t)e[DSP_E_APP];
        x[STPM_PERIOD] = r->freq > 0.0f ? to_u32(1e9f / r->freq, 1.0f) : 0u;
        x[STPM_STATUS] = r->flags;
    }
    d->window_live = d->dsp.second;   /* windows completed so far */
}

void stpm_dev_feed(stpm_dev_t *d, const fe_block_t *blk)
{
    if (dsp_process_block(&d->dsp, blk))
        update_live(d);
}

/* 32-bit register at an even row (0 for rows nothing answers on). */
static uint32_t read_reg(stpm_dev_t *d, unsigned row)
{
    row &= ~1u;
    if (row == STPM_DSP_CR1) return d->cr1;
    if (row == STPM_DSP_CR3) return d->cr3;
    if (row == STPM_US_SR) {
        uint32_t v = (uint32_t)d->crc_err | (uint32_t)d->discarded << 8 | (uint32_t)d->good << 16;
        d->crc_err = 0;   /* read clears */
        d->discarded = 0;
        return v;
    }
    if (row == STPM_WINDOW) return d->window_latched;
    for (unsigned c = 1; c <= 2; c++)
        if (row >= STPM_CH_BASE(c) && row < STPM_CH_BASE(c) + 2u * STPM_CH_REGS)
            return d->latched[c - 1][(row - STPM_CH_BASE(c)) / 2u];
    return 0;
}

static void write_row(stpm_dev_t *d, unsigned row, uint16_t v)
{
    uint32_t *r = (row & ~1u) == STPM_DSP_CR1 ? &d->cr1 : (row & ~1u) == STPM_DSP_CR3 ? &d->cr3 : NULL;
    if (!r)
        return;   /* read-only or unmapped */
    *r = row & 1u ? (*r & 0xFFFFu) | (uint32_t)v << 16 : (*r & 0xFFFF0000u) | v;
    if (r == &d->cr3 && (d->cr3 & (STPM_CR3_SW_LATCH1 | STPM_CR3_SW_LATCH2))) {
        if (d->cr3 & STPM_CR3_SW_LATCH1) memcpy(d->latched[0], d->live[0], sizeof(d->live[0]));
        if (d->cr3 & STPM_CR3_SW_LATCH2) memcpy(d->latched[1], d->live[1], sizeof(d->live[1]));
        d->window_latched = d->window_live;
        d->cr3 &= ~(STPM_CR3_SW_LATCH1 | STPM_CR3_SW_LATCH2);   /* self-clearing */
    }
}

static uint32_t rng_next(stpm_dev_t *d)
{
    uint32_t x = d->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return d->rng = x;
}

static int fault(stpm_dev_t *d, uint16_t pm)
{
    return pm && rng_next(d) % 1000u < pm;
}

int stpm_dev_xfer(void *dev, const uint8_t *tx, uint8_t *rx)
{
    stpm_dev_t *d = dev;
    uint8_t in[STPM_FRAME];
    /* the reply shifts out while the frame shifts in: the register the pointer names */
    uint32_t v = read_reg(d, d->ptr);
    for (unsigned k = 0; k < 4; k++)
        rx[k] = (uint8_t)(v >> (8 * k));
    rx[4] = stpm_crc8(rx);

    memcpy(in, tx, sizeof(in));
    if (fault(d, d->in_pm))   /* one bit flipped on the way in: CRC-8 always sees it */
        in[rng_next(d) % STPM_FRAME] ^= (uint8_t)(1u << (rng_next(d) % 8u));
    if (stpm_crc8(in) != in[4]) {
        d->crc_err = 1;
        if (d->discarded < 0xFF) d->discarded++;
    } else {
        d->good++;
        if (in[1] != STPM_NO_ADDR)
            write_row(d, in[1], (uint16_t)(in[2] | in[3] << 8));
        if (in[0] != STPM_NO_ADDR)
            d->ptr = in[0];
    }
    if (fault(d, d->out_pm))
        rx[rng_next(d) % STPM_FRAME] ^= (uint8_t)(1u << (rng_next(d) % 8u));
    return fault(d, d->lost_pm) ? 0 : STPM_FRAME;
}

void stpm_dev_faults(stpm_dev_t *d, unsigned in_pm, unsigned out_pm, unsigned lost_pm, uint32_t seed)
{
    d->in_pm = (uint16_t)in_pm;
    d->out_pm = (uint16_t)out_pm;
    d->lost_pm = (uint16_t)lost_pm;
    if (seed)
        d->rng = seed;
}
