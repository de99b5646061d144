/* Host driver of the STPM34-like second device: see stpm_link.h for the read and its checks. */
#include "stpm_link.h"

#include <string.h>

/* Conversions in single precision (M4F FPU, as dsp.c): relative error < 1.2e-7 per register,
 * far below the 0.1 % budget. */

void stpm_link_init(stpm_link_t *l, stpm_xfer_fn xfer, void *ctx)
{
    memset(l, 0, sizeof(*l));
    l->xfer = xfer;
    l->ctx = ctx;
}

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* One attempt; fills reg[] (20 channel registers, WINDOW) and returns 1, or 0 on a link error
 * (counted). */
static int attempt(stpm_link_t *l, uint32_t *reg, uint32_t *start, uint32_t *end)
{
    enum { N = 2 * STPM_CH_REGS };
    for (unsigned f = 1; f <= STPM_READ_FRAMES; f++) {
        uint8_t tx[STPM_FRAME], rx[STPM_FRAME];
        unsigned k = f - 2;   /* register index asked by frame f (f2..f21) */
        tx[0] = f == 1 || f == STPM_READ_FRAMES - 1 ? STPM_US_SR
              : f == STPM_READ_FRAMES - 2 ? STPM_WINDOW
              : f == STPM_READ_FRAMES ? STPM_NO_ADDR
              : (uint8_t)(STPM_CH_BASE(1u + k / STPM_CH_REGS) + 2u * (k % STPM_CH_REGS));
        tx[1] = f == 1 ? STPM_DSP_CR3 + 1u : STPM_NO_ADDR;
        tx[2] = f == 1 ? (uint8_t)((STPM_CR3_SW_LATCH1 | STPM_CR3_SW_LATCH2) >> 16) : 0xFF;
        tx[3] = f == 1 ? (uint8_t)((STPM_CR3_SW_LATCH1 | STPM_CR3_SW_LATCH2) >> 24) : 0xFF;
        tx[4] = stpm_crc8(tx);
        l->frames++;
        if (l->xfer(l->ctx, tx, rx) != STPM_FRAME) {
            l->timeouts++;
            return 0;
        }
        if (stpm_crc8(rx) != rx[4]) {
            l->crc++;
            return 0;
        }
        uint32_t v = get32(rx);
        if (f == 2) *start = v;
        else if (f == STPM_READ_FRAMES) *end = v;
        else if (f > 2) reg[f - 3] = v;   /* f3..f23: 20 registers, then WINDOW at reg[N] */
    }
    (void)N;
    return 1;
}

int stpm_link_read(stpm_link_t *l, stpm_reading_t *out)
{
    uint32_t reg[2 * STPM_CH_REGS + 1], start = 0, end = 0;
    for (unsigned a = 0; a < STPM_ATTEMPTS; a++) {
        if (a)
            l->retries++;
        if (!attempt(l, reg, &start, &end))
            continue;
        if ((end & STPM_US_CRC_ERR) || (uint8_t)((end >> 16) - (start >> 16)) != STPM_READ_FRAMES - 2) {
            l->device++;   /* a frame was discarded or lost on its way in: replies may be shifted */
            continue;
        }
        uint32_t window = reg[2 * STPM_CH_REGS];
        if (window == 0 || window == l->last_window) {
            l->stale++;   /* the latch did not happen, or no new second yet */
            continue;
        }
        out->windows = window - l->last_window;
        l->last_window = window;
        for (unsigned c = 0; c < 2; c++) {
            const uint32_t *r = reg + c * STPM_CH_REGS;
            stpm_channel_t *ch = &out->ch[c];
            ch->vrms = (float)r[STPM_V_RMS] * (float)STPM_V_LSB;
            ch->irms = (float)r[STPM_I_RMS] * (float)STPM_I_LSB;
            ch->p = (float)(int32_t)r[STPM_P] * (float)STPM_PWR_LSB;
            ch->q = (float)(int32_t)r[STPM_Q] * (float)STPM_PWR_LSB;
            ch->s = (float)r[STPM_S] * (float)STPM_PWR_LSB;
            ch->freq = r[STPM_PERIOD] ? 1e9f / (float)r[STPM_PERIOD] : 0.0f;
            ch->flags = (uint16_t)r[STPM_STATUS];
            out->d_act[c] = (int32_t)(r[STPM_E_ACT] - l->acc[c][0]);
            out->d_react[c] = (int32_t)(r[STPM_E_REACT] - l->acc[c][1]);
            out->d_app[c] = r[STPM_E_APP] - l->acc[c][2];
            l->acc[c][0] = r[STPM_E_ACT];
            l->acc[c][1] = r[STPM_E_REACT];
            l->acc[c][2] = r[STPM_E_APP];
        }
        l->reads++;
        return 1;
    }
    l->failed++;
    return 0;
}
