/*
 * Metrology DSP: per phase, over each 1-second window of exactly fs samples,
 * Vrms, Irms, P, Q, S, PF, frequency, per-cycle rms extremes, four-quadrant
 * energy registers and LED pulse outputs. C99, no malloc, no OS.
 *
 * Numbers:
 *  - Per sample (dsp_process_block, the hot path) is integer only: 24-bit
 *    samples, 32x32->64 products summed in int64 (SMLAL on Cortex-M4). Sums
 *    over one second stay below 2^59, so the window integrals are exact: no
 *    rounding drift, no Kahan needed, and the cost is a few cycles per product.
 *  - Once per sub-window / second the sums become single-precision floats
 *    (Cortex-M4F FPU; relative error ~6e-8, far below the 0.1 % budget).
 *    No double anywhere: doubles are software-emulated on the M4.
 *  - Energy registers are uint64 in micro-units (uWh, uvarh, uVAh) with the
 *    sub-micro remainder carried, so nothing is lost from second to second.
 *
 * Definitions:
 *  - Vrms, Irms, P: over every sample of the window after removing the
 *    window's DC mean; all harmonics included. Every sample has weight 1, so
 *    active energy is the exact sampled integral of v*i.
 *  - Q: FUNDAMENTAL reactive power Q1 = V1 I1 sin(phi1), positive when the
 *    current lags (inductive). V1, I1 are phasors from a DFT correlation
 *    against a numerically controlled oscillator tuned to the frequency
 *    measured in the previous second, over 10 sub-windows of fs/10 samples.
 *    The sub-windows keep the weighting nearly uniform through load steps;
 *    the negative-frequency image (non-zero when the window is not an integer
 *    number of cycles) is removed exactly, so off-nominal frequency does not
 *    bias Q; harmonics do not leak at nominal frequency (whole cycles per
 *    sub-window) and barely off it (Q error < 0.02 % at 49.5/50.5 Hz with a
 *    20 % 3rd harmonic, test/metrology). Why not a Hilbert FIR: at 50 Hz / 4 kHz a FIR needs
 *    hundreds of taps for 0.1 % gain flatness; why not an integrator: its gain
 *    depends on frequency and it weights harmonics by 1/h.
 *  - S = Vrms * Irms (arithmetic, per phase); total S = sum of phase S.
 *  - Frequency: positive-going zero crossings of V with hysteresis and linear
 *    interpolation; the mean of the whole periods (0.5..1.5 nominal) that end
 *    in the second. The first phase with a frequency tunes the NCO.
 *  - Quadrants (IEC 62053-23): Q1 P>=0,Q>=0; Q2 P<0,Q>=0; Q3 P<0,Q<0; Q4 P>=0,Q<0.
 *    Totals classify the signed sum over phases each second.
 */
#ifndef METRO_DSP_H
#define METRO_DSP_H

#include "frontend.h"

#define DSP_SUBWINDOWS 10    /* per second: 5 cycles at 50 Hz, 6 at 60 Hz */
#define DSP_TAB_BITS 10      /* NCO table: 1024 x Q15 */

/* dsp_result_t.flags / dsp_total_t.flags */
#define DSP_FLAG_SAG          0x0001u  /* a cycle rms < sag_pct of Vnom */
#define DSP_FLAG_SWELL        0x0002u  /* a cycle rms > swell_pct of Vnom */
#define DSP_FLAG_INTERRUPTION 0x0004u  /* a cycle rms < interruption_pct of Vnom */
#define DSP_FLAG_REVERSE      0x0008u  /* P < 0 above the no-load threshold */
#define DSP_FLAG_NO_LOAD      0x0010u  /* S below no-load threshold: not registered */
#define DSP_FLAG_NO_FREQ      0x0020u  /* no whole period of voltage seen */
#define DSP_FLAG_CLIP         0x0040u  /* ADC saturated */
#define DSP_FLAG_RESIDUAL     0x0080u  /* total: i1+i2+i3+in too large (bypass) */
#define DSP_FLAG_TAMPER       0x0100u  /* front-end tamper status bits set */

typedef struct {
    uint32_t sample_rate_hz;   /* 0 = FE_SAMPLE_RATE_DEFAULT; multiple of 10 */
    uint8_t phases;            /* 0 = METRO_PHASES */
    uint8_t ch0;               /* block channel of phase 0: 1 for a device measuring L2, L3 */
    float vnom;                /* V, e.g. 230 */
    float inom;                /* basic current Ib, A, e.g. 5 */
    float fnom;                /* Hz, 50 or 60 */
    float no_load_va;          /* below: no energy registered (creep) */
    float sag_pct, swell_pct, interruption_pct;  /* of vnom */
    float residual_a;          /* residual current limit, A rms; 0 = no check (the block does
                                  not carry every phase, e.g. L2/L3 on a second device) */
    uint32_t led_imp_per_kwh;  /* meter constant, active LED */
    uint32_t led_imp_per_kvarh;
} dsp_config_t;

typedef struct {
    uint32_t second;      /* window index since dsp_init */
    uint16_t flags;       /* DSP_FLAG_* */
    uint16_t fe_status;   /* OR of FE_STATUS_* over the window */
    float vrms, irms;     /* V, A (all harmonics, DC removed) */
    float v1rms, i1rms;   /* fundamental, V, A */
    float p;              /* W, all harmonics, + import */
    float q;              /* var, fundamental, + inductive */
    float s;              /* VA = vrms * irms */
    float pf;             /* p / s, 0 when no load */
    float freq;           /* Hz, 0 when not measurable */
    float vrms_cyc_min, vrms_cyc_max;  /* extremes of per-cycle rms, V */
} dsp_result_t;

typedef struct {
    uint32_t second;
    uint16_t flags;
    float p, q, s;        /* sums over phases */
    float in_rms;         /* neutral current, A */
    float residual_rms;   /* rms of i1+i2+i3+in, A */
} dsp_total_t;

/* Registers, micro-units: uWh, uvarh, uVAh. */
enum { DSP_E_A_IMP, DSP_E_A_EXP, DSP_E_R_Q1, DSP_E_R_Q2, DSP_E_R_Q3, DSP_E_R_Q4,
       DSP_E_APP, DSP_E_COUNT };

typedef struct {
    uint64_t reg[DSP_E_COUNT];
    float frac[DSP_E_COUNT];   /* carried remainder, < 1 micro-unit */
} dsp_energy_t;

/* LED model: one pulse per 1/constant kWh (or kvarh) of |energy|. */
typedef struct {
    uint64_t per_pulse;    /* micro-units per pulse */
    uint64_t acc;          /* micro-units not yet pulsed */
    uint32_t count;        /* pulses since init */
} dsp_pulse_t;

typedef struct {
    int64_t sv, si, svv, sii, svi;   /* window sums */
    int64_t vc, vs, ic, is;          /* sub-window DFT sums (x*cos, x*sin) */
    float v1sq, i1sq, q1;            /* sums of sub-window results */
    int32_t v_prev;                  /* previous sample minus offset */
    int32_t offset, hyst, jump;      /* zero-crossing comparator */
    uint8_t armed, cyc_from_crossing;
    uint16_t per_n;                  /* whole periods seen this second */
    float per_sum;                   /* their total length, samples */
    float t_prev;                    /* last crossing, samples from window start */
    int64_t cyc_vv, cyc_x;           /* current cycle's sums of x^2 and x */
    float dc_acc;                    /* sum of whole-cycle means this second */
    uint16_t dc_n;
    uint32_t cyc_n;
    float cyc_frac;                  /* crossing position that began the cycle */
    float cyc_min, cyc_max;          /* mean squares, LSB^2 */
} dsp_phase_t;

typedef struct {
    dsp_config_t cfg;
    uint32_t fs, n_win, n_sub, cyc_limit;
    float per_lo, per_hi;            /* accepted period range, samples */
    uint32_t k, k_sub;               /* position in window / sub-window */
    uint32_t second;
    uint32_t nco, nco_step;
    int64_t kc, ks;                  /* image sums of cos/sin(2 theta) */
    uint8_t phases;
    uint16_t fe_status;
    int64_t sn, snn, sr, srr;        /* neutral and residual sums */
    dsp_phase_t ph[METRO_PHASES];
    dsp_result_t res[METRO_PHASES];  /* last completed second */
    dsp_total_t tot;
    dsp_energy_t e[METRO_PHASES];
    dsp_energy_t e_tot;
    dsp_pulse_t led_p, led_q;
} dsp_t;

void dsp_config_default(dsp_config_t *cfg);
int dsp_init(dsp_t *d, const dsp_config_t *cfg);   /* 0 or -1 on bad config */

/* Hot path. Returns the number of 1-second windows completed inside this
 * block (0 or 1); results are then in d->res[], d->tot, d->e[], d->e_tot. */
int dsp_process_block(dsp_t *d, const fe_block_t *blk);

/* Book energies of one interval into e (signed: + import active, + inductive reactive;
 * micro-units), carrying fractions; *da, *dr = whole |active|, |reactive| units added.
 * dsp_process_block() books each second this way; a driver merging phases measured elsewhere
 * (a second front-end device) books its totals with it too. */
void dsp_book_energy(dsp_energy_t *e, float a, float r, float s, uint64_t *da, uint64_t *dr);

/* Pulses added by the last completed second (for an LED/GPIO driver). */
uint32_t dsp_pulse_add(dsp_pulse_t *led, uint64_t micro_units);

#endif
