/* Front-end model: see fe_model.h for the waveform and truth definitions. */
#include "fe_model.h"

#include <math.h>
#include <string.h>

#define TAB_N (1u << FE_SINTAB_BITS)
#define TURN 4294967296.0  /* 2^32: phases are uint32 so wrap-around is exact */
#define PI_D 3.14159265358979323846

/* cos(2 pi k / 1024), k = 0..1024, folded by the compiler: the table sits in flash, not in
 * the 4 KB of RAM a run-time table would take (the STM32F405 meter has none to spare). */
#if FE_SINTAB_BITS != 10
#error "costab below is written out for FE_SINTAB_BITS 10"
#endif
#define COS1(k) (float)__builtin_cos(2.0 * PI_D * (double)(k) / 1024.0),
#define COS4(k) COS1(k) COS1((k) + 1) COS1((k) + 2) COS1((k) + 3)
#define COS16(k) COS4(k) COS4((k) + 4) COS4((k) + 8) COS4((k) + 12)
#define COS64(k) COS16(k) COS16((k) + 16) COS16((k) + 32) COS16((k) + 48)
#define COS256(k) COS64(k) COS64((k) + 64) COS64((k) + 128) COS64((k) + 192)
static const float costab[TAB_N + 1] = {
    COS256(0) COS256(256) COS256(512) COS256(768) COS1(1024)
};

static uint32_t deg_to_turn(double deg)
{
    double t = fmod(deg / 360.0, 1.0);
    if (t < 0.0)
        t += 1.0;
    return (uint32_t)(int64_t)(t * TURN);
}

void fe_scenario_default(fe_scenario_t *scn, uint8_t phases)
{
    unsigned p;
    memset(scn, 0, sizeof(*scn));
    scn->freq_hz = 50.0f;
    scn->phases = phases;
    scn->seed = 1;
    for (p = 0; p < METRO_PHASES; p++) {
        scn->ph[p].vrms = 230.0f;
        scn->ph[p].v_angle_deg = -120.0f * (float)p;
    }
}

void fe_model_load(fe_model_t *m, const fe_scenario_t *scn)
{
    memset(m, 0, sizeof(*m));
    m->scn = *scn;
}

/* xorshift32: deterministic, tiny, good enough for ADC noise. */
static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Irwin-Hall sum of 4 uniforms: unit variance, bell-shaped, cheap. */
static float rng_gauss(uint32_t *s)
{
    float acc = 0.0f;
    int k;
    for (k = 0; k < 4; k++)
        acc += (float)(rng_next(s) >> 8) * (1.0f / 16777216.0f) - 0.5f;
    return acc * 1.7320508f;
}

static int32_t quantise(float x, uint16_t *status)
{
    if (x >= (float)FE_ADC_FULL_SCALE) {
        *status |= FE_STATUS_CLIP;
        return FE_ADC_FULL_SCALE;
    }
    if (x <= -(float)FE_ADC_FULL_SCALE) {
        *status |= FE_STATUS_CLIP;
        return -FE_ADC_FULL_SCALE;
    }
    return (int32_t)(x >= 0.0f ? x + 0.5f : x - 0.5f);
}

/* Linear interpolation in a 1024-entry table: error < 5e-6 of amplitude. */
static float cos_turn(const fe_model_t *m, uint32_t ph)
{
    uint32_t k = ph >> (32 - FE_SINTAB_BITS);
    (void)m;
    float frac = (float)(ph & ((1u << (32 - FE_SINTAB_BITS)) - 1u)) *
                 (1.0f / (float)(1u << (32 - FE_SINTAB_BITS)));
    float a = costab[k];
    return a + (costab[k + 1] - a) * frac;
}

static int build_tones(fe_tone_t *t, uint32_t thv, double amp_peak,
                       const fe_harmonic_t *tab, double fund_phase_deg)
{
    int n = 0;
    unsigned h;
    if (amp_peak == 0.0)
        return 0;
    for (h = 1; h <= FE_HARM_MAX; h++) {
        double ratio = h == 1 ? 1.0 : tab[h].ratio;
        double ph = h == 1 ? fund_phase_deg : tab[h].phase_deg;
        if (ratio == 0.0)
            continue;
        t[n].h = (uint8_t)h;
        t[n].amp = (float)(amp_peak * ratio);
        t[n].ph0 = (uint32_t)h * thv + deg_to_turn(ph);
        n++;
    }
    return n;
}

static int model_init(void *ctx, const fe_config_t *cfg)
{
    fe_model_t *m = ctx;
    const fe_scenario_t *s = &m->scn;
    unsigned p, k;

    m->fs = cfg && cfg->sample_rate_hz ? cfg->sample_rate_hz : FE_SAMPLE_RATE_DEFAULT;
    m->phases = cfg && cfg->phases ? cfg->phases : (s->phases ? s->phases : METRO_PHASES);
    if (m->fs < FE_SAMPLE_RATE_MIN || m->fs > FE_SAMPLE_RATE_MAX || m->phases > METRO_PHASES)
        return -1;
    m->n = 0;
    m->acc = 0;
    m->step = (uint32_t)(int64_t)((double)s->freq_hz / m->fs * TURN + 0.5);
    m->rng = s->seed ? s->seed : 0x9E3779B9u;
    for (p = 0; p < m->phases; p++) {
        const fe_phase_scn_t *ph = &s->ph[p];
        uint32_t thv = deg_to_turn(ph->v_angle_deg);
        double vk = 1.41421356237 * 1e6 / FE_V_LSB_UV;
        double ik = 1.41421356237 * 1e6 / FE_I_LSB_UA;
        m->nv[p] = (uint8_t)build_tones(m->vt[p], thv, ph->vrms * vk, ph->vh, 0.0);
        m->ni[p] = (uint8_t)build_tones(m->it[p], thv, ph->irms * ik, ph->ih, -ph->angle_deg);
    }
    for (k = 0; k < s->n_events && k < FE_EVENTS_MAX; k++) {
        /* sample n is inside when start <= n/fs < end */
        m->ev_start[k] = (uint32_t)ceil((double)s->ev[k].start_s * m->fs);
        m->ev_end[k] = (uint32_t)ceil(((double)s->ev[k].start_s + s->ev[k].duration_s) * m->fs);
    }
    return 0;
}

/* Event factors for one phase at sample n: voltage, measured current,
 * current seen by the neutral. Returns tamper status bits. */
static uint16_t event_factors(const fe_model_t *m, unsigned p, uint32_t n,
                              float *kv, float *ki, float *kn)
{
    uint16_t st = 0;
    unsigned k;
    *kv = *ki = *kn = 1.0f;
    for (k = 0; k < m->scn.n_events; k++) {
        const fe_event_t *e = &m->scn.ev[k];
        if (n < m->ev_start[k] || n >= m->ev_end[k] || !(e->phase_mask & (1u << p)))
            continue;
        switch (e->kind) {
        case FE_EV_LOAD_STEP: *ki *= e->factor; *kn *= e->factor; break;
        case FE_EV_SAG:
        case FE_EV_SWELL: *kv *= e->factor; break;
        case FE_EV_INTERRUPTION: *kv = 0.0f; *ki = 0.0f; *kn = 0.0f; break;
        case FE_EV_REVERSE: *ki = -*ki; *kn = -*kn; break;
        case FE_EV_TAMPER: st |= e->flags & FE_STATUS_INPUT_MASK; break;
        case FE_EV_BYPASS: *ki *= e->factor; break;
        default: break;
        }
    }
    return st;
}

static float tones_at(const fe_model_t *m, const fe_tone_t *t, unsigned n, uint32_t acc)
{
    float x = 0.0f;
    unsigned k;
    for (k = 0; k < n; k++)
        x += t[k].amp * cos_turn(m, (uint32_t)t[k].h * acc + t[k].ph0);
    return x;
}

static int model_read(void *ctx, fe_block_t *blk, uint16_t max)
{
    fe_model_t *m = ctx;
    const fe_scenario_t *s = &m->scn;
    uint16_t count = max > FE_BLOCK_MAX ? FE_BLOCK_MAX : max;
    uint16_t status = 0;
    unsigned j, p;

    blk->first_sample = m->n;
    for (j = 0; j < count; j++) {
        float neutral = 0.0f;
        for (p = 0; p < METRO_PHASES; p++) {
            float kv, ki, kn, v, i;
            if (p >= m->phases) {
                blk->v[p][j] = 0;
                blk->i[p][j] = 0;
                continue;
            }
            status |= event_factors(m, p, m->n, &kv, &ki, &kn);
            v = kv == 0.0f ? 0.0f : kv * tones_at(m, m->vt[p], m->nv[p], m->acc);
            i = tones_at(m, m->it[p], m->ni[p], m->acc);
            neutral -= kn * i;
            i *= ki;
            v += s->noise_v_lsb * rng_gauss(&m->rng) + (float)s->offset_v_lsb;
            i += s->noise_i_lsb * rng_gauss(&m->rng) + (float)s->offset_i_lsb;
            blk->v[p][j] = quantise(v, &status);
            blk->i[p][j] = quantise(i, &status);
        }
        neutral += s->noise_i_lsb * rng_gauss(&m->rng) + (float)s->offset_i_lsb;
        blk->in[j] = quantise(neutral, &status);
        m->n++;
        m->acc += m->step;
    }
    blk->count = count;
    blk->status = status;
    return count;
}

static uint32_t model_rate(const void *ctx) { return ((const fe_model_t *)ctx)->fs; }
static uint8_t model_phases(const void *ctx) { return ((const fe_model_t *)ctx)->phases; }

const fe_driver_t fe_model_driver = {
    "fe-model", model_init, model_read, model_rate, model_phases
};

/* ---- truth: exact integrals, double precision, test/host use ---- */

typedef struct { int h; double amp, ph; } tone_d;  /* peak amplitude, radians */

static int tones_d(tone_d *t, const fe_harmonic_t *tab, double rms, double thv,
                   double fund_ph)
{
    int n = 0, h;
    for (h = 1; h <= FE_HARM_MAX; h++) {
        double ratio = h == 1 ? 1.0 : tab[h].ratio;
        double ph = h == 1 ? fund_ph : tab[h].phase_deg * PI_D / 180.0;
        if (ratio == 0.0 || rms == 0.0)
            continue;
        t[n].h = h;
        t[n].amp = 1.41421356237309505 * rms * ratio;
        t[n].ph = h * thv + ph;
        n++;
    }
    return n;
}

/* integral over [a,b) of x(t) y(t), x and y sums of cosines at h*w */
static double integrate_product(const tone_d *x, int nx, const tone_d *y, int ny,
                                double w, double a, double b)
{
    double acc = 0.0;
    int j, k;
    for (j = 0; j < nx; j++)
        for (k = 0; k < ny; k++) {
            /* cos A cos B = (cos(A-B) + cos(A+B)) / 2 */
            double c = 0.5 * x[j].amp * y[k].amp;
            int dh = x[j].h - y[k].h, sh = x[j].h + y[k].h;
            double dp = x[j].ph - y[k].ph, sp = x[j].ph + y[k].ph;
            if (dh == 0)
                acc += c * cos(dp) * (b - a);
            else
                acc += c * (sin(dh * w * b + dp) - sin(dh * w * a + dp)) / (dh * w);
            acc += c * (sin(sh * w * b + sp) - sin(sh * w * a + sp)) / (sh * w);
        }
    return acc;
}

void fe_model_truth(const fe_scenario_t *scn, unsigned phase, double t0, double t1,
                    fe_truth_t *out)
{
    const fe_phase_scn_t *ph = &scn->ph[phase];
    double w = 2.0 * PI_D * scn->freq_hz;
    double thv = ph->v_angle_deg * PI_D / 180.0;
    double phi = ph->angle_deg * PI_D / 180.0;
    tone_d vt[FE_HARM_MAX], it[FE_HARM_MAX];
    int nv = tones_d(vt, ph->vh, ph->vrms, thv, 0.0);
    int ni = tones_d(it, ph->ih, ph->irms, thv, -phi);
    double cuts[2 * FE_EVENTS_MAX + 2];
    int nc = 0, k, j;

    memset(out, 0, sizeof(*out));
    /* split [t0,t1) where any event of this phase starts or ends */
    cuts[nc++] = t0;
    for (k = 0; k < scn->n_events; k++) {
        double e0 = scn->ev[k].start_s, e1 = e0 + scn->ev[k].duration_s;
        if (e0 > t0 && e0 < t1) cuts[nc++] = e0;
        if (e1 > t0 && e1 < t1) cuts[nc++] = e1;
    }
    cuts[nc++] = t1;
    for (k = 1; k < nc; k++)  /* insertion sort, few items */
        for (j = k; j > 0 && cuts[j] < cuts[j - 1]; j--) {
            double tmp = cuts[j]; cuts[j] = cuts[j - 1]; cuts[j - 1] = tmp;
        }
    for (k = 0; k + 1 < nc; k++) {
        double a = cuts[k], b = cuts[k + 1], mid = 0.5 * (a + b);
        double kv = 1.0, ki = 1.0;
        for (j = 0; j < scn->n_events; j++) {
            const fe_event_t *e = &scn->ev[j];
            if (mid < e->start_s || mid >= (double)e->start_s + e->duration_s ||
                !(e->phase_mask & (1u << phase)))
                continue;
            switch (e->kind) {
            case FE_EV_LOAD_STEP:
            case FE_EV_BYPASS: ki *= e->factor; break;
            case FE_EV_SAG:
            case FE_EV_SWELL: kv *= e->factor; break;
            case FE_EV_INTERRUPTION: kv = 0.0; ki = 0.0; break;
            case FE_EV_REVERSE: ki = -ki; break;
            default: break;
            }
        }
        if (b <= a)
            continue;
        out->active_ws += kv * ki * integrate_product(vt, nv, it, ni, w, a, b);
        out->v2_s += kv * kv * integrate_product(vt, nv, vt, nv, w, a, b);
        out->i2_s += ki * ki * integrate_product(it, ni, it, ni, w, a, b);
        out->reactive_vars += kv * ki * (double)ph->vrms * ph->irms * sin(phi) * (b - a);
    }
}
