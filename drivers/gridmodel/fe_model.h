/*
 * Front-end model: synthesises the samples a calibrated STPM3x pair would
 * deliver for a grid/load scenario, and gives the exact analytical truth the
 * meter should measure. Implements fe_driver_t (frontend.h).
 *
 * Waveforms of phase p (t in seconds from sample 0, w = 2*pi*f):
 *   v(t) = sqrt2 * V * kv(t) * sum_h a_h cos(h (w t + thv) + alpha_h)
 *   i(t) = sqrt2 * I * ki(t) * sum_h b_h cos(h (w t + thv) + beta_h)
 * with a_1 = b_1 = 1, alpha_1 = 0, beta_1 = -angle (angle > 0: current lags,
 * inductive), and a_h, b_h, alpha_h, beta_h from the harmonic tables (h = 2..15).
 * thv is the phase's voltage angle (0, -120, +120 degrees). Harmonic phases are
 * given in the harmonic's own frame, so the h-th harmonic shifts current from
 * voltage by (alpha_h - beta_h).
 *
 * Truth definitions (fe_model_truth):
 *   active energy   = integral of v(t) i(t) dt  (all harmonics; in steady state
 *                     P = V I sum_h a_h b_h cos(alpha_h - beta_h))
 *   reactive energy = integral of Q1 dt, Q1 = V1 I1 sin(angle): FUNDAMENTAL
 *                     reactive power, as most meters register it
 *                     (IEC 62053-24 style); harmonics carry no reactive energy.
 */
#ifndef METRO_FE_MODEL_H
#define METRO_FE_MODEL_H

#include "frontend.h"

/* A build that never sets harmonics or events (the firmware's model) may shrink them. */
#ifndef FE_HARM_MAX
#define FE_HARM_MAX 15    /* 1..15 */
#endif
#ifndef FE_EVENTS_MAX
#define FE_EVENTS_MAX 16  /* >= 1 */
#endif
#define FE_SINTAB_BITS 10

typedef struct {
    float ratio;      /* rms relative to the fundamental (0 = absent) */
    float phase_deg;  /* alpha_h or beta_h, harmonic frame */
} fe_harmonic_t;

typedef struct {
    float vrms;         /* fundamental voltage, V rms */
    float irms;         /* fundamental current, A rms */
    float angle_deg;    /* current lag behind voltage; + inductive, - capacitive */
    float v_angle_deg;  /* voltage phase origin */
    fe_harmonic_t vh[FE_HARM_MAX + 1];  /* index = harmonic order; [0],[1] unused */
    fe_harmonic_t ih[FE_HARM_MAX + 1];
} fe_phase_scn_t;

typedef enum {
    FE_EV_LOAD_STEP = 1,  /* phase current x factor */
    FE_EV_SAG,            /* phase voltage x factor (< 1); current unchanged */
    FE_EV_SWELL,          /* phase voltage x factor (> 1); current unchanged */
    FE_EV_INTERRUPTION,   /* voltage and current 0 */
    FE_EV_REVERSE,        /* current reversed: power is exported */
    FE_EV_TAMPER,         /* raises input status bits 'flags' (FE_STATUS_*: tamper, buttons) */
    FE_EV_BYPASS          /* meter sees factor x phase current; neutral sees all */
} fe_event_kind_t;

typedef struct {
    uint8_t kind;        /* fe_event_kind_t */
    uint8_t phase_mask;  /* bit p = phase p+1 */
    uint16_t flags;      /* FE_EV_TAMPER only */
    float start_s;       /* active for start_s <= t < start_s + duration_s */
    float duration_s;
    float factor;
} fe_event_t;

typedef struct {
    float freq_hz;
    uint8_t phases;           /* 1..METRO_PHASES */
    uint8_t n_events;
    uint32_t seed;            /* PRNG seed for noise (0 is replaced) */
    float noise_v_lsb;        /* rms ADC noise per voltage channel, LSB */
    float noise_i_lsb;        /* rms ADC noise per current channel, LSB */
    int32_t offset_v_lsb;     /* ADC DC offsets */
    int32_t offset_i_lsb;
    fe_phase_scn_t ph[METRO_PHASES];
    fe_event_t ev[FE_EVENTS_MAX];
} fe_scenario_t;

typedef struct {
    uint8_t h;
    float amp;      /* peak, LSB */
    uint32_t ph0;   /* h*thv + alpha, 2^32 = one turn */
} fe_tone_t;

typedef struct {
    fe_scenario_t scn;
    uint32_t fs;
    uint8_t phases;
    uint32_t n;          /* index of the next sample */
    uint32_t acc;        /* fundamental phase of sample n, 2^32 = one turn */
    uint32_t step;       /* phase increment per sample */
    uint32_t rng;
    uint8_t nv[METRO_PHASES], ni[METRO_PHASES];
    fe_tone_t vt[METRO_PHASES][FE_HARM_MAX];
    fe_tone_t it[METRO_PHASES][FE_HARM_MAX];
    uint32_t ev_start[FE_EVENTS_MAX], ev_end[FE_EVENTS_MAX];  /* sample indices */
} fe_model_t;

/* Exact integrals of the scenario over [t0, t1) for one phase. */
typedef struct {
    double active_ws;     /* integral of v*i dt, J */
    double reactive_vars; /* integral of Q1 dt, var*s */
    double v2_s;          /* integral of v^2 dt, V^2*s */
    double i2_s;          /* integral of i^2 dt, A^2*s */
} fe_truth_t;

/* Zero the scenario, set 230 V / 0 A / 50 Hz, phases 120 degrees apart. */
void fe_scenario_default(fe_scenario_t *scn, uint8_t phases);

/* Copy the scenario into the model; then call fe_model_driver.init(). */
void fe_model_load(fe_model_t *m, const fe_scenario_t *scn);

void fe_model_truth(const fe_scenario_t *scn, unsigned phase, double t0, double t1,
                    fe_truth_t *out);

extern const fe_driver_t fe_model_driver;

#endif
