/*
 * Power-quality events of the voltage, IEC 61000-4-30 style, per phase, and front-end tamper
 * status, timed to the block of samples. Fed with every block the DSP gets (xs_metro.c).
 *
 * Rms: over the last PQ_RING blocks, one nominal cycle (80 samples at 4 kHz / 50 Hz with the
 * firmware's 20-sample blocks), refreshed every block (5 ms): finer than the standard's Urms(1/2)
 * (one cycle refreshed every half cycle). DC is not removed (the front-end's high-pass does).
 * Dip (sag): starts when the rms falls below sag_pct of the declared voltage, ends when it rises
 * above sag_pct + hyst_pct; if it fell below interruption_pct meanwhile it is an interruption.
 * Swell: above swell_pct, ends below swell_pct - hyst_pct.
 * Precision: a start or end is stamped at the end of the block in which the window rms crosses;
 * the one-cycle window lags a step by up to one cycle, as Urms(1/2) does, so starts are late by
 * up to 5 ms (a block) plus the part of the cycle it takes the rms to cross (a quarter cycle
 * for a step to zero), and durations are within one cycle plus one block (25 ms) of the truth.
 * Tamper (cover, magnet): from the block status bits, start and end to the block (5 ms).
 * Voltage and tamper events are also reported when they start (duration PQ_OPEN), so that
 * LEGAL can journal an event still in progress when the power fails.
 * Buttons P1, P2: a press is a level held for PQ_DEBOUNCE blocks (20 ms) in a row, reported
 * once when recognised; shorter pulses are contact bounce, counted and ignored.
 */
#ifndef METRO_PQ_H
#define METRO_PQ_H

#include "frontend.h"

#ifndef METRO_PQ
#define METRO_PQ 1             /* 0: no voltage-event state or LEGAL additions in xs_metro.c */
#endif
#define PQ_CYCLE_SAMPLES 80u   /* one 50 Hz cycle at 4 kHz */
#if PQ_CYCLE_SAMPLES % FE_BLOCK_MAX
#error "PQ needs FE_BLOCK_MAX to divide one cycle of samples"
#endif
#define PQ_RING (PQ_CYCLE_SAMPLES / FE_BLOCK_MAX)
#define PQ_QUEUE 12u           /* events waiting for script; more are dropped, counted */
#define PQ_OPEN 0xFFFFFFFFu    /* duration of a start notice: the event is still in progress */

#define PQ_DEBOUNCE 4u          /* blocks a button must be held: 20 ms at 4 kHz */

enum { PQ_NONE, PQ_SAG, PQ_SWELL, PQ_INTERRUPTION, PQ_COVER, PQ_MAGNET, PQ_KEY_P1, PQ_KEY_P2 };

typedef struct {
	uint8_t kind, phase;       /* PQ_*, phase 1..3 (0 for tamper) */
	float value;               /* sag/interruption: lowest rms V; swell: highest; tamper: 0 */
	uint64_t start;            /* sample index since start-up */
	uint32_t duration;         /* samples; PQ_OPEN: the event has just started (value: rms at
	                            * its start), its end follows as an event of its own */
} pq_event_t;

typedef struct {
	float sag2, sag_end2, swell2, swell_end2, intr2;   /* thresholds, mean square LSB^2 */
	uint64_t n;                                        /* samples seen */
	float ring[METRO_PHASES][PQ_RING];                 /* per-block sums of v^2 */
	uint8_t pos, filled, tamper;
	struct { uint8_t state, intr; float ext; uint64_t start; } ph[METRO_PHASES];
	uint64_t tamper_start[2];
	uint8_t key_run[2];        /* blocks P1, P2 held in a row (saturates) */
	pq_event_t q[PQ_QUEUE];
	uint8_t head, count;
	uint32_t dropped, bounces;
} pq_t;

/* Thresholds in % of the declared voltage vnom (V); all 0 disables detection. */
void pq_config(pq_t *pq, float vnom, float sag_pct, float swell_pct, float intr_pct, float hyst_pct);
void pq_block(pq_t *pq, const fe_block_t *blk, unsigned phases);
/* Oldest event (a start notice or a finished event) into *ev; 0 when there is none. */
int pq_pop(pq_t *pq, pq_event_t *ev);

#endif
