/*
 * Test harness: reads a scenario (one directive per line) on stdin, runs the
 * front-end model through the DSP and prints one JSON object per line:
 * per-second results per phase ("sec"), totals ("tot"), final energy
 * registers ("energy") and the model's own truth over the run ("truth").
 *
 *   fs 4000 | phases 3 | freq 50 | seed 7 | seconds 10 | block 80
 *   noise <v_lsb> <i_lsb> | offset <v_lsb> <i_lsb>
 *   phase <p> <vrms> <irms> <angle_deg> <v_angle_deg>
 *   vh <p> <h> <ratio> <deg> | ih <p> <h> <ratio> <deg>
 *   event <load|sag|swell|int|rev|tamper|bypass> <mask> <start> <dur> <factor> <flags>
 *   nominal <vnom> <inom> <fnom> | led <imp_per_kwh> <imp_per_kvarh>
 */
#include <stdio.h>
#include <string.h>

#include "../dsp.h"
#include "../../gridmodel/fe_model.h"

static fe_model_t model;
static dsp_t dsp;
static fe_block_t blk;

static int kind_of(const char *s)
{
    static const char *names[] = { "load", "sag", "swell", "int", "rev", "tamper", "bypass" };
    int k;
    for (k = 0; k < 7; k++)
        if (!strcmp(s, names[k]))
            return k + FE_EV_LOAD_STEP;
    return -1;
}

static void print_energy(int ph, const dsp_energy_t *e)
{
    int r;
    printf("{\"t\":\"energy\",\"ph\":%d,\"reg\":[", ph);
    for (r = 0; r < DSP_E_COUNT; r++)
        printf("%s%.9g", r ? "," : "", (double)e->reg[r] + (double)e->frac[r]);
    printf("]}\n");
}

int main(void)
{
    fe_scenario_t scn;
    dsp_config_t cfg;
    fe_config_t fcfg = { 0, 0 };
    char line[256], word[32];
    unsigned seconds = 10, block = FE_BLOCK_MAX, p;
    uint32_t total, done = 0;

    fe_scenario_default(&scn, METRO_PHASES);
    dsp_config_default(&cfg);
    while (fgets(line, sizeof line, stdin)) {
        unsigned a, h;
        float x, y, z, w;
        if (sscanf(line, "%31s", word) != 1 || word[0] == '#')
            continue;
        if (!strcmp(word, "fs") && sscanf(line, "%*s %u", &a) == 1) {
            fcfg.sample_rate_hz = cfg.sample_rate_hz = a;
        } else if (!strcmp(word, "phases") && sscanf(line, "%*s %u", &a) == 1) {
            scn.phases = fcfg.phases = cfg.phases = (uint8_t)a;
        } else if (!strcmp(word, "freq") && sscanf(line, "%*s %f", &x) == 1) {
            scn.freq_hz = x;
        } else if (!strcmp(word, "seed") && sscanf(line, "%*s %u", &a) == 1) {
            scn.seed = a;
        } else if (!strcmp(word, "seconds") && sscanf(line, "%*s %u", &a) == 1) {
            seconds = a;
        } else if (!strcmp(word, "block") && sscanf(line, "%*s %u", &a) == 1) {
            block = a;
        } else if (!strcmp(word, "noise") && sscanf(line, "%*s %f %f", &x, &y) == 2) {
            scn.noise_v_lsb = x;
            scn.noise_i_lsb = y;
        } else if (!strcmp(word, "offset") && sscanf(line, "%*s %f %f", &x, &y) == 2) {
            scn.offset_v_lsb = (int32_t)x;
            scn.offset_i_lsb = (int32_t)y;
        } else if (!strcmp(word, "phase") &&
                   sscanf(line, "%*s %u %f %f %f %f", &a, &x, &y, &z, &w) == 5 && a < METRO_PHASES) {
            scn.ph[a].vrms = x;
            scn.ph[a].irms = y;
            scn.ph[a].angle_deg = z;
            scn.ph[a].v_angle_deg = w;
        } else if ((!strcmp(word, "vh") || !strcmp(word, "ih")) &&
                   sscanf(line, "%*s %u %u %f %f", &a, &h, &x, &y) == 4 && a < METRO_PHASES &&
                   h >= 2 && h <= FE_HARM_MAX) {
            fe_harmonic_t *t = word[0] == 'v' ? scn.ph[a].vh : scn.ph[a].ih;
            t[h].ratio = x;
            t[h].phase_deg = y;
        } else if (!strcmp(word, "event") && scn.n_events < FE_EVENTS_MAX) {
            char kind[16];
            fe_event_t *e = &scn.ev[scn.n_events];
            if (sscanf(line, "%*s %15s %u %f %f %f %u", kind, &a, &x, &y, &z, &h) != 6 ||
                kind_of(kind) < 0) {
                fprintf(stderr, "bad event: %s", line);
                return 2;
            }
            e->kind = (uint8_t)kind_of(kind);
            e->phase_mask = (uint8_t)a;
            e->start_s = x;
            e->duration_s = y;
            e->factor = z;
            e->flags = (uint16_t)h;
            scn.n_events++;
        } else if (!strcmp(word, "nominal") && sscanf(line, "%*s %f %f %f", &x, &y, &z) == 3) {
            cfg.vnom = x;
            cfg.inom = y;
            cfg.fnom = z;
            cfg.no_load_va = 0.001f * x * y;
        } else if (!strcmp(word, "led") && sscanf(line, "%*s %u %u", &a, &h) == 2) {
            cfg.led_imp_per_kwh = a;
            cfg.led_imp_per_kvarh = h;
        } else {
            fprintf(stderr, "bad line: %s", line);
            return 2;
        }
    }

    fe_model_load(&model, &scn);
    if (fe_model_driver.init(&model, &fcfg) || dsp_init(&dsp, &cfg)) {
        fprintf(stderr, "bad configuration\n");
        return 2;
    }
    total = seconds * fe_model_driver.sample_rate(&model);
    while (done < total) {
        uint32_t want = total - done < block ? total - done : block;
        int n = fe_model_driver.read(&model, &blk, (uint16_t)want);
        if (n <= 0)
            return 3;
        done += (uint32_t)n;
        if (dsp_process_block(&dsp, &blk)) {
            for (p = 0; p < dsp.phases; p++) {
                const dsp_result_t *r = &dsp.res[p];
                printf("{\"t\":\"sec\",\"s\":%u,\"ph\":%u,\"vrms\":%.9g,\"irms\":%.9g,"
                       "\"v1\":%.9g,\"i1\":%.9g,\"p\":%.9g,\"q\":%.9g,\"sa\":%.9g,\"pf\":%.9g,"
                       "\"f\":%.9g,\"vmin\":%.9g,\"vmax\":%.9g,\"flags\":%u,\"fe\":%u}\n",
                       (unsigned)r->second, p, (double)r->vrms, (double)r->irms,
                       (double)r->v1rms, (double)r->i1rms, (double)r->p, (double)r->q,
                       (double)r->s, (double)r->pf, (double)r->freq,
                       (double)r->vrms_cyc_min, (double)r->vrms_cyc_max,
                       (unsigned)r->flags, (unsigned)r->fe_status);
            }
            printf("{\"t\":\"tot\",\"s\":%u,\"p\":%.9g,\"q\":%.9g,\"sa\":%.9g,\"in\":%.9g,"
                   "\"res\":%.9g,\"flags\":%u,\"ledp\":%u,\"ledq\":%u}\n",
                   (unsigned)dsp.tot.second, (double)dsp.tot.p, (double)dsp.tot.q,
                   (double)dsp.tot.s, (double)dsp.tot.in_rms, (double)dsp.tot.residual_rms,
                   (unsigned)dsp.tot.flags, (unsigned)dsp.led_p.count,
                   (unsigned)dsp.led_q.count);
        }
    }
    for (p = 0; p < dsp.phases; p++)
        print_energy((int)p, &dsp.e[p]);
    print_energy(-1, &dsp.e_tot);
    for (p = 0; p < dsp.phases; p++) {
        fe_truth_t t;
        fe_model_truth(&scn, p, 0.0, (double)seconds, &t);
        printf("{\"t\":\"truth\",\"ph\":%u,\"a\":%.12g,\"r\":%.12g,\"v2\":%.12g,\"i2\":%.12g}\n",
               p, t.active_ws, t.reactive_vars, t.v2_s, t.i2_s);
    }
    return 0;
}
