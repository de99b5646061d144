/*
 * Test harness of the second device's link (test/metrology/link.test.ts): two identical STPM34-like
 * device models measure the same L2/L3 samples; one link is clean, the other has faults injected
 * (argv: in out lost per mille, seed, seconds). Every second both are read; prints one JSON line
 * per second with what the faulty link accepted and whether it equals the clean reading, then
 * the counters and the energy both links booked in total. Also prints the CRC-8 of two frames
 * seen on a real STPM32 (48 FF FF FF, A0 00 00 04).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../gridmodel/fe_model.h"
#include "../stpm_link.h"
#include "../../gridmodel/stpm_model.h"

static fe_model_t model;
static fe_block_t blk;
static stpm_dev_t dev[2];
static stpm_link_t link[2];

int main(int argc, char **argv)
{
    static const uint8_t v1[4] = { 0x48, 0xFF, 0xFF, 0xFF }, v2[4] = { 0xA0, 0x00, 0x00, 0x04 };
    unsigned in = argc > 1 ? (unsigned)atoi(argv[1]) : 30, out = argc > 2 ? (unsigned)atoi(argv[2]) : 30;
    unsigned lost = argc > 3 ? (unsigned)atoi(argv[3]) : 30, seed = argc > 4 ? (unsigned)atoi(argv[4]) : 7;
    int seconds = argc > 5 ? atoi(argv[5]) : 40;
    fe_scenario_t scn;
    dsp_config_t cfg;
    int64_t e[2][3] = { { 0 } };

    printf("{\"t\":\"crc\",\"a\":%u,\"b\":%u}\n", stpm_crc8(v1), stpm_crc8(v2));
    fe_scenario_default(&scn, 3);
    for (int p = 0; p < 3; p++) {
        scn.ph[p].irms = 2.0f + (float)p;
        scn.ph[p].angle_deg = 30.0f * (float)p - 20.0f;
    }
    fe_model_load(&model, &scn);
    dsp_config_default(&cfg);
    if (fe_model_driver.init(&model, NULL))
        return 1;
    for (int k = 0; k < 2; k++) {
        if (stpm_dev_init(&dev[k], &cfg))
            return 1;
        stpm_link_init(&link[k], stpm_dev_xfer, &dev[k]);
    }
    stpm_dev_faults(&dev[1], in, out, lost, seed);
    for (int s = 0; s < seconds; s++) {
        stpm_reading_t r[2];
        memset(r, 0, sizeof(r));   /* padding too: compared with memcmp */
        uint32_t done = 0;
        while (done < 4000) {
            int n = fe_model_driver.read(&model, &blk, 80);
            stpm_dev_feed(&dev[0], &blk);
            stpm_dev_feed(&dev[1], &blk);
            done += (uint32_t)n;
        }
        int ok0 = stpm_link_read(&link[0], &r[0]);
        int ok1 = stpm_link_read(&link[1], &r[1]);
        for (int k = 0; k < 2; k++)
            if (k == 0 ? ok0 : ok1)
                for (int c = 0; c < 2; c++) {
                    e[k][0] += r[k].d_act[c];
                    e[k][1] += r[k].d_react[c];
                    e[k][2] += r[k].d_app[c];
                }
        /* an accepted faulty reading must carry exactly the clean second's values */
        int same = ok1 && ok0 && !memcmp(r[0].ch, r[1].ch, sizeof(r[0].ch));
        printf("{\"t\":\"sec\",\"s\":%d,\"clean\":%d,\"ok\":%d,\"same\":%d,\"p2\":%.6g}\n", s, ok0, ok1, same,
               (double)r[0].ch[0].p);
    }
    const stpm_link_t *l = &link[1];
    printf("{\"t\":\"link\",\"frames\":%u,\"crc\":%u,\"timeouts\":%u,\"device\":%u,\"stale\":%u,\"retries\":%u,"
           "\"failed\":%u,\"reads\":%u,\"e\":[[%lld,%lld,%lld],[%lld,%lld,%lld]]}\n",
           l->frames, l->crc, l->timeouts, l->device, l->stale, l->retries, l->failed, l->reads,
           (long long)e[0][0], (long long)e[0][1], (long long)e[0][2],
           (long long)e[1][0], (long long)e[1][1], (long long)e[1][2]);
    return 0;
}
