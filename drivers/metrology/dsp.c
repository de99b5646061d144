/* Metrology DSP: see dsp.h for definitions, number formats and why. */
#include "dsp.h"

#include <math.h>
#include <string.h>

#define TAB_N (1u << DSP_TAB_BITS)
#define TAB_SHIFT (32 - DSP_TAB_BITS)
#define Q15 32767.0f
#define V_LSB (FE_V_LSB_UV * 1e-6f)   /* V per LSB */
#define I_LSB (FE_I_LSB_UA * 1e-6f)   /* A per LSB */
#define UWH_PER_WS (1e6f / 3600.0f)   /* micro-Wh per watt-second */

/* cos(2 pi k / N) in Q15, folded by the compiler into flash (2 KB of RAM saved on the board). */
#if DSP_TAB_BITS != 10
#error "costab below is written out for DSP_TAB_BITS 10"
#endif
#define COSQ(k) (int16_t)(__builtin_cos(2.0 * 3.14159265358979323846 * (double)(k) / 1024.0) >= 0.0 \
    ? __builtin_cos(2.0 * 3.14159265358979323846 * (double)(k) / 1024.0) * 32767.0 + 0.5 \
    : __builtin_cos(2.0 * 3.14159265358979323846 * (double)(k) / 1024.0) * 32767.0 - 0.5),
#define COSQ4(k) COSQ(k) COSQ((k) + 1) COSQ((k) + 2) COSQ((k) + 3)
#define COSQ16(k) COSQ4(k) COSQ4((k) + 4) COSQ4((k) + 8) COSQ4((k) + 12)
#define COSQ64(k) COSQ16(k) COSQ16((k) + 16) COSQ16((k) + 32) COSQ16((k) + 48)
#define COSQ256(k) COSQ64(k) COSQ64((k) + 64) COSQ64((k) + 128) COSQ64((k) + 192)
static const int16_t costab[TAB_N] = { COSQ256(0) COSQ256(256) COSQ256(512) COSQ256(768) };

void dsp_config_default(dsp_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->sample_rate_hz = FE_SAMPLE_RATE_DEFAULT;
    cfg->phases = METRO_PHASES;
    cfg->vnom = 230.0f;
    cfg->inom = 5.0f;
    cfg->fnom = 50.0f;
    /* IEC 62053-21 class 1 starts at 0.4 % Ib; stay well below that. */
    cfg->no_load_va = 0.001f * 230.0f * 5.0f;
    /* IEC 61000-4-30 style thresholds */
    cfg->sag_pct = 90.0f;
    cfg->swell_pct = 110.0f;
    cfg->interruption_pct = 10.0f;
    cfg->residual_a = 0.25f;
    cfg->led_imp_per_kwh = 1000;
    cfg->led_imp_per_kvarh = 1000;
}

static void set_nco(dsp_t *d, float f)
{
    if (!(f > 0.9f * d->cfg.fnom && f < 1.1f * d->cfg.fnom))
        f = d->cfg.fnom;
    d->nco_step = (uint32_t)(f * (4294967296.0f / (float)d->fs));
}

int dsp_init(dsp_t *d, const dsp_config_t *cfg)
{
    unsigned p;
    memset(d, 0, sizeof(*d));
    d->cfg = *cfg;
    d->fs = cfg->sample_rate_hz ? cfg->sample_rate_hz : FE_SAMPLE_RATE_DEFAULT;
    d->phases = cfg->phases ? cfg->phases : METRO_PHASES;
    if (d->fs < FE_SAMPLE_RATE_MIN || d->fs > FE_SAMPLE_RATE_MAX || d->fs % DSP_SUBWINDOWS ||
        d->phases + cfg->ch0 > METRO_PHASES || !(cfg->fnom > 0.0f) || !(cfg->vnom > 0.0f))
        return -1;
    d->n_win = d->fs;
    d->n_sub = d->fs / DSP_SUBWINDOWS;
    d->cyc_limit = (uint32_t)(2.0f * (float)d->fs / cfg->fnom);  /* 2 nominal periods */
    d->per_lo = 0.5f * (float)d->fs / cfg->fnom;
    d->per_hi = 1.5f * (float)d->fs / cfg->fnom;
    set_nco(d, cfg->fnom);
    for (p = 0; p < d->phases; p++) {
        d->ph[p].hyst = (int32_t)(1.0f / V_LSB);  /* 1 V until Vrms is known */
        d->ph[p].jump = FE_ADC_FULL_SCALE;
        d->ph[p].cyc_min = 3.4e38f;
        d->ph[p].t_prev = -1e9f;
    }
    d->led_p.per_pulse = cfg->led_imp_per_kwh ? 1000000000ull / cfg->led_imp_per_kwh : 0;
    d->led_q.per_pulse = cfg->led_imp_per_kvarh ? 1000000000ull / cfg->led_imp_per_kvarh : 0;
    return 0;
}

uint32_t dsp_pulse_add(dsp_pulse_t *led, uint64_t micro_units)
{
    uint32_t n = 0;
    if (!led->per_pulse)
        return 0;
    led->acc += micro_units;
    while (led->acc >= led->per_pulse) {  /* at most a few per second */
        led->acc -= led->per_pulse;
        n++;
    }
    led->count += n;
    return n;
}

/* Add x micro-units (x >= 0), carrying the fraction. Returns whole units added. */
static uint64_t reg_add(dsp_energy_t *e, int r, float x)
{
    uint64_t whole;
    x += e->frac[r];
    whole = (uint64_t)x;
    e->frac[r] = x - (float)whole;
    e->reg[r] += whole;
    return whole;
}

void dsp_book_energy(dsp_energy_t *e, float a, float r, float s, uint64_t *da, uint64_t *dr)
{
    int rq = a >= 0.0f ? (r >= 0.0f ? DSP_E_R_Q1 : DSP_E_R_Q4)
                       : (r >= 0.0f ? DSP_E_R_Q2 : DSP_E_R_Q3);
    *da = reg_add(e, a >= 0.0f ? DSP_E_A_IMP : DSP_E_A_EXP, fabsf(a));
    *dr = reg_add(e, rq, fabsf(r));
    reg_add(e, DSP_E_APP, s);
}

/* Book one second of P (W), Q (var), S (VA); returns |active|, |reactive| added. */
static void book(dsp_energy_t *e, float p, float q, float s, uint64_t *da, uint64_t *dr)
{
    float dt = UWH_PER_WS;  /* window is exactly one second */
    dsp_book_energy(e, p * dt, q * dt, s * dt, da, dr);
}

/* Fundamental phasor of one sub-window with the -f image removed:
 * X = Z + conj(Z) K  =>  Z = (X - K conj(X)) / (1 - |K|^2). Returns 2Z (peak). */
static void phasor(int64_t sc, int64_t ss, float inv_n, float kre, float kim, float den,
                   float *re, float *im)
{
    float xr = (float)sc * inv_n, xi = -(float)ss * inv_n;
    float zr = xr - (kre * xr + kim * xi);  /* K * conj(X) */
    float zi = xi - (kim * xr - kre * xi);
    *re = 2.0f * zr / den;
    *im = 2.0f * zi / den;
}

static void end_subwindow(dsp_t *d)
{
    float inv_n = 1.0f / ((float)d->n_sub * Q15);
    float kre = (float)d->kc * inv_n, kim = -(float)d->ks * inv_n;
    float den = 1.0f - (kre * kre + kim * kim);
    unsigned p;
    for (p = 0; p < d->phases; p++) {
        dsp_phase_t *ph = &d->ph[p];
        float vr, vi, ir, ii;
        phasor(ph->vc, ph->vs, inv_n, kre, kim, den, &vr, &vi);
        phasor(ph->ic, ph->is, inv_n, kre, kim, den, &ir, &ii);
        /* Q1 = Im(V conj(I)) / 2 with peak phasors (LSB^2) */
        ph->q1 += 0.5f * (vi * ir - vr * ii);
        ph->v1sq += 0.5f * (vr * vr + vi * vi);
        ph->i1sq += 0.5f * (ir * ir + ii * ii);
        ph->vc = ph->vs = ph->ic = ph->is = 0;
    }
    d->kc = d->ks = 0;
    d->k_sub = 0;
    /* retune on the periods seen so far this second: after power-up or a
     * frequency step only the first sub-window runs off-frequency */
    for (p = 0; p < d->phases; p++)
        if (d->ph[p].per_n >= 2) {
            set_nco(d, (float)d->ph[p].per_n * (float)d->fs / d->ph[p].per_sum);
            break;
        }
}

static float mean_rms(int64_t sum, int64_t sumsq, float inv_n)
{
    float m = (float)sum * inv_n;
    float ms = (float)sumsq * inv_n - m * m;
    return ms > 0.0f ? sqrtf(ms) : 0.0f;
}

static void end_second(dsp_t *d)
{
    const dsp_config_t *c = &d->cfg;
    float inv_n = 1.0f / (float)d->n_win;
    float f_track = 0.0f;
    float ptot = 0.0f, qtot = 0.0f, stot = 0.0f;
    uint16_t tflags = 0;
    uint64_t da, dr;
    unsigned p;

    for (p = 0; p < d->phases; p++) {
        dsp_phase_t *ph = &d->ph[p];
        dsp_result_t *r = &d->res[p];
        float mv = (float)ph->sv * inv_n, mi = (float)ph->si * inv_n;
        float vrms_lsb = mean_rms(ph->sv, ph->svv, inv_n);

        memset(r, 0, sizeof(*r));
        r->second = d->second;
        r->fe_status = d->fe_status;
        r->vrms = vrms_lsb * V_LSB;
        r->irms = mean_rms(ph->si, ph->sii, inv_n) * I_LSB;
        r->p = ((float)ph->svi * inv_n - mv * mi) * (V_LSB * I_LSB);
        r->s = r->vrms * r->irms;
        r->v1rms = sqrtf(ph->v1sq / DSP_SUBWINDOWS) * V_LSB;
        r->i1rms = sqrtf(ph->i1sq / DSP_SUBWINDOWS) * I_LSB;
        r->q = ph->q1 / DSP_SUBWINDOWS * (V_LSB * I_LSB);
        if (ph->per_n > 0)
            r->freq = (float)ph->per_n * (float)d->fs / ph->per_sum;
        else
            r->flags |= DSP_FLAG_NO_FREQ;
        if (f_track == 0.0f)
            f_track = r->freq;
        if (ph->cyc_max > 0.0f || ph->cyc_min < 3.4e38f) {
            r->vrms_cyc_min = sqrtf(ph->cyc_min) * V_LSB;
            r->vrms_cyc_max = sqrtf(ph->cyc_max) * V_LSB;
            if (r->vrms_cyc_min < c->interruption_pct * 0.01f * c->vnom)
                r->flags |= DSP_FLAG_INTERRUPTION;
            else if (r->vrms_cyc_min < c->sag_pct * 0.01f * c->vnom)
                r->flags |= DSP_FLAG_SAG;
            if (r->vrms_cyc_max > c->swell_pct * 0.01f * c->vnom)
                r->flags |= DSP_FLAG_SWELL;
        }
        if (d->fe_status & FE_STATUS_CLIP)
            r->flags |= DSP_FLAG_CLIP;
        if (d->fe_status & FE_STATUS_TAMPER_MASK)
            r->flags |= DSP_FLAG_TAMPER;
        if (r->s < c->no_load_va) {
            r->flags |= DSP_FLAG_NO_LOAD;
        } else {
            r->pf = r->p / r->s;
            if (r->p < 0.0f)
                r->flags |= DSP_FLAG_REVERSE;
            book(&d->e[p], r->p, r->q, r->s, &da, &dr);
            ptot += r->p;
            qtot += r->q;
            stot += r->s;
        }
        tflags |= r->flags & (DSP_FLAG_SAG | DSP_FLAG_SWELL | DSP_FLAG_INTERRUPTION |
                              DSP_FLAG_CLIP | DSP_FLAG_TAMPER);

        /* comparator for next second: the mean over a non-integer number of
         * cycles is biased (up to 1e-3 of peak), so the offset follows the
         * whole-cycle means; hysteresis = 20 % of rms */
        if (ph->dc_n)
            ph->offset += (int32_t)(ph->dc_acc / (float)ph->dc_n);
        ph->dc_acc = 0.0f;
        ph->dc_n = 0;
        ph->hyst = vrms_lsb * 0.2f > 1.0f / V_LSB ? (int32_t)(vrms_lsb * 0.2f)
                                                  : (int32_t)(1.0f / V_LSB);
        /* a sine moves at most sqrt2 * 2 pi f / fs * rms per sample; allow 3x
         * for harmonics before calling a jump a step rather than a crossing */
        ph->jump = (int32_t)(3.0f * 1.41421356f * 6.2831853f * c->fnom / (float)d->fs *
                             (float)ph->hyst * 5.0f);  /* hyst * 5 = rms, >= 1 V */
        ph->sv = ph->si = ph->svv = ph->sii = ph->svi = 0;
        ph->v1sq = ph->i1sq = ph->q1 = 0.0f;
        ph->per_n = 0;
        ph->per_sum = 0.0f;
        ph->t_prev -= (float)d->n_win;  /* times are relative to the window start */
        ph->cyc_min = 3.4e38f;
        ph->cyc_max = 0.0f;
    }

    memset(&d->tot, 0, sizeof(d->tot));
    d->tot.second = d->second;
    d->tot.p = ptot;
    d->tot.q = qtot;
    d->tot.s = stot;
    d->tot.in_rms = mean_rms(d->sn, d->snn, inv_n) * I_LSB;
    d->tot.residual_rms = mean_rms(d->sr, d->srr, inv_n) * I_LSB;
    if (c->residual_a > 0.0f && d->tot.residual_rms > c->residual_a)
        tflags |= DSP_FLAG_RESIDUAL;
    if (stot < c->no_load_va) {
        tflags |= DSP_FLAG_NO_LOAD;
    } else {
        if (ptot < 0.0f)
            tflags |= DSP_FLAG_REVERSE;
        book(&d->e_tot, ptot, qtot, stot, &da, &dr);
        dsp_pulse_add(&d->led_p, da);
        dsp_pulse_add(&d->led_q, dr);
    }
    d->tot.flags = tflags;

    d->sn = d->snn = d->sr = d->srr = 0;
    d->fe_status = 0;
    d->k = 0;
    d->second++;
    set_nco(d, f_track);
}

/* Per-cycle rms for sag/swell. A cycle ends at a zero crossing (at = its
 * interpolated position after the previous sample) or, with no voltage, after
 * 2 nominal periods (at_crossing 0). Recorded: crossing-to-crossing cycles,
 * divided by the interpolated period rather than the sample count (removes a
 * +/-1 sample jitter, 0.6 % of rms at 80 samples per cycle), and timed-out
 * cycles (they show the interruption); not the partial one that ends the gap. */
static void end_cycle(dsp_phase_t *ph, float at, int at_crossing)
{
    if (ph->cyc_n && (ph->cyc_from_crossing || !at_crossing)) {
        float period = (float)ph->cyc_n + at - ph->cyc_frac;
        float ms = (float)ph->cyc_vv / period;
        if (at_crossing) {  /* DC over whole cycles: unbiased at any frequency */
            ph->dc_acc += (float)ph->cyc_x / period;
            ph->dc_n++;
        }
        if (ms < ph->cyc_min) ph->cyc_min = ms;
        if (ms > ph->cyc_max) ph->cyc_max = ms;
    }
    ph->cyc_from_crossing = (uint8_t)at_crossing;
    ph->cyc_frac = at;
    ph->cyc_vv = 0;
    ph->cyc_x = 0;
    ph->cyc_n = 0;
}

int dsp_process_block(dsp_t *d, const fe_block_t *blk)
{
    const unsigned np = d->phases, c0 = d->cfg.ch0;
    int done = 0;
    unsigned j, p;

    d->fe_status |= blk->status;
    for (j = 0; j < blk->count; j++) {
        /* NCO shared by all phases (one grid frequency); rounded table index */
        uint32_t idx = ((d->nco + (1u << (TAB_SHIFT - 1))) >> TAB_SHIFT) & (TAB_N - 1);
        int32_t co = costab[idx];
        int32_t si = costab[(idx - TAB_N / 4) & (TAB_N - 1)];  /* sin = cos(x - pi/2) */
        int32_t res = blk->in[j];

        d->kc += costab[(2 * idx) & (TAB_N - 1)];
        d->ks += costab[(2 * idx - TAB_N / 4) & (TAB_N - 1)];
        d->nco += d->nco_step;
        d->sn += blk->in[j];
        d->snn += (int64_t)blk->in[j] * blk->in[j];

        for (p = 0; p < np; p++) {
            dsp_phase_t *ph = &d->ph[p];
            int32_t v = blk->v[p + c0][j], i = blk->i[p + c0][j];
            int32_t x = v - ph->offset;

            ph->sv += v;
            ph->si += i;
            ph->svv += (int64_t)v * v;
            ph->sii += (int64_t)i * i;
            ph->svi += (int64_t)v * i;
            ph->vc += (int64_t)v * co;
            ph->vs += (int64_t)v * si;
            ph->ic += (int64_t)i * co;
            ph->is += (int64_t)i * si;
            res += i;

            /* positive-going zero crossing, interpolated between samples */
            if (x < -ph->hyst) {
                ph->armed = 1;
            } else if (ph->armed && x >= 0 && ph->v_prev < 0 && x - ph->v_prev > ph->jump) {
                ph->armed = 0;  /* a step to ~0 (interruption), not a crossing */
            } else if (ph->armed && x >= 0 && ph->v_prev < 0) {
                float frac = (float)(-ph->v_prev) / (float)(x - ph->v_prev);
                float t = (float)d->k - 1.0f + frac, dt = t - ph->t_prev;
                /* only whole periods count: a gap (interruption) is not one */
                if (dt > d->per_lo && dt < d->per_hi) {
                    ph->per_sum += dt;
                    ph->per_n++;
                }
                ph->t_prev = t;
                ph->armed = 0;
                end_cycle(ph, frac, 1);
            }
            ph->v_prev = x;
            ph->cyc_vv += (int64_t)x * x;
            ph->cyc_x += x;
            if (++ph->cyc_n >= d->cyc_limit)
                end_cycle(ph, 0.0f, 0);
        }
        d->sr += res;
        d->srr += (int64_t)res * res;

        if (++d->k_sub == d->n_sub)
            end_subwindow(d);
        if (++d->k == d->n_win) {
            end_second(d);
            done++;
        }
    }
    return done;
}
