/*
 * Cost probe for dsp_process_block(): N seconds of 3-phase samples at 4 kHz.
 * Blocks are synthesised once by the model (noise on, so no block is trivially
 * repeated) and replayed, so only the DSP is measured.
 *
 * Host:     gcc -O2 -DMETRO_BENCH_MAIN dsp_bench.c ../dsp.c ../../gridmodel/fe_model.c -lm; ./a.out 60
 * Cortex-M4 under qemu -icount: call dsp_bench_run(0) and dsp_bench_run(N)
 * from the board's main and difference the instruction counts (or cycles):
 * cost per 3-phase sample = delta / (N * 4000).
 */
#ifdef METRO_BENCH_MAIN
#define _POSIX_C_SOURCE 199309L  /* clock_gettime under -std=c99 */
#endif
#include "../dsp.h"
#include "../../gridmodel/fe_model.h"

#define BENCH_BLOCKS 5  /* distinct blocks replayed; 5 x 2.2 KB of RAM */

static fe_block_t bench_blk[BENCH_BLOCKS];
static fe_model_t bench_model;
static dsp_t bench_dsp;

/* Prepare the model (not timed). */
void dsp_bench_setup(void)
{
    fe_scenario_t scn;
    dsp_config_t cfg;
    unsigned k;
    fe_scenario_default(&scn, METRO_PHASES);
    scn.noise_v_lsb = 20.0f;
    scn.noise_i_lsb = 50.0f;
    for (k = 0; k < METRO_PHASES; k++) {
        scn.ph[k].irms = 5.0f;
        scn.ph[k].angle_deg = 30.0f;
        scn.ph[k].vh[3].ratio = 0.03f;
        scn.ph[k].ih[3].ratio = 0.2f;
    }
    fe_model_load(&bench_model, &scn);
    fe_model_driver.init(&bench_model, 0);
    for (k = 0; k < BENCH_BLOCKS; k++)
        fe_model_driver.read(&bench_model, &bench_blk[k], FE_BLOCK_MAX);
    dsp_config_default(&cfg);
    dsp_init(&bench_dsp, &cfg);
}

/* Timed part: process 'seconds' of samples; returns a checksum (active
 * import, uWh) so the work cannot be optimised away. */
uint32_t dsp_bench_run(uint32_t seconds)
{
    uint32_t blocks = seconds * (FE_SAMPLE_RATE_DEFAULT / FE_BLOCK_MAX), b;
    for (b = 0; b < blocks; b++)
        dsp_process_block(&bench_dsp, &bench_blk[b % BENCH_BLOCKS]);
    return (uint32_t)bench_dsp.e_tot.reg[DSP_E_A_IMP];
}

#ifdef METRO_BENCH_MAIN
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    uint32_t seconds = argc > 1 ? (uint32_t)strtoul(argv[1], 0, 10) : 60;
    struct timespec t0, t1;
    uint32_t sum;
    double ns;
    dsp_bench_setup();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sum = dsp_bench_run(seconds);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    printf("{\"seconds\":%u,\"phases\":%d,\"fs\":%u,\"ns_per_sample\":%.2f,"
           "\"ns_per_second\":%.0f,\"checksum\":%u}\n",
           (unsigned)seconds, METRO_PHASES, (unsigned)FE_SAMPLE_RATE_DEFAULT,
           ns / ((double)seconds * FE_SAMPLE_RATE_DEFAULT), ns / seconds, (unsigned)sum);
    return 0;
}
#endif
