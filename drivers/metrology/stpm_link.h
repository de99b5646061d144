/*
 * Host driver of the STPM34-like second device (stpm3x.h): once a second, latch and read its
 * registers over the serial link and turn them into per-phase results and energy deltas.
 *
 * One read = one attempt of STPM_READ_FRAMES frames:
 *   f1        write DSP_CR3 SW_LATCH1|SW_LATCH2, read US_SR
 *   f2..f21   read the 10 registers of channel 1 then channel 2 (pipelined: the reply to frame
 *             k carries what frame k-1 asked for; the reply to f2 is US_SR = "start")
 *   f22       read WINDOW            f23  read US_SR            f24  no read ("end")
 * The attempt is accepted only when every reply came (no timeout) with a good CRC-8, the end
 * US_SR shows no discarded frame and exactly 22 good frames since the start one (so no frame
 * was lost or mis-addressed on its way in), and WINDOW names a device second not read before.
 * Otherwise it is counted by cause and the whole attempt is repeated (the latch again too, which
 * copies the same completed second), up to STPM_ATTEMPTS; if all fail, that second's L2/L3
 * values are unavailable, never guessed: the energy accumulators are wrapping counters, so the
 * next accepted read books everything since the last one.
 */
#ifndef METRO_STPM_LINK_H
#define METRO_STPM_LINK_H

#include "stpm3x.h"

#define STPM_ATTEMPTS 4
#define STPM_READ_FRAMES 24

/* Transport: one frame out (5 bytes), reply in; returns reply bytes (5) or 0 on timeout. */
typedef int (*stpm_xfer_fn)(void *ctx, const uint8_t *tx, uint8_t *rx);

typedef struct {
    float vrms, irms, p, q, s, freq;   /* V, A, W, var (fundamental), VA, Hz */
    uint16_t flags;                     /* DSP flags of the channel */
} stpm_channel_t;

typedef struct {
    stpm_channel_t ch[2];
    int32_t d_act[2], d_react[2];       /* uWh, uvarh since the previous accepted read */
    uint32_t d_app[2];                  /* uVAh */
    uint32_t windows;                   /* device seconds since the previous accepted read */
} stpm_reading_t;

typedef struct {
    stpm_xfer_fn xfer;
    void *ctx;
    uint32_t last_window;               /* 0: nothing accepted yet */
    uint32_t acc[2][3];                 /* accumulators at the last accepted read */
    /* counters since start (METRO STATS) */
    uint32_t frames, crc, timeouts, device, stale, retries, failed, reads;
} stpm_link_t;

void stpm_link_init(stpm_link_t *l, stpm_xfer_fn xfer, void *ctx);

/* 1 = out filled (fresh second), 0 = no valid reading this time (counted). Deltas count from
 * the device's reset, which the host does with its own start (accumulators at 0). */
int stpm_link_read(stpm_link_t *l, stpm_reading_t *out);

#endif
