/* XS binding of the grid model: the emulated grid and metering silicon behind drivers/metrology
 * on lin and the emulated boards. The front-end model (fe_model.c) stands in for the grid and the
 * main chip's ADCs, the STPM34-like second device (stpm_model.c) for the chip measuring L2 and L3
 * in the three-phase layout; this file gives them to the metering driver (metro_source.h) and
 * binds the controls only a model has: the load, frequency, harmonics and noise of the scenario,
 * faults on the second device's link, scheduled events (load steps, sags, swells, interruptions,
 * reverse power, tamper, buttons), and BENCH DSP's copy of the samples (drivers/gridmodel/gridmodel.ts).
 * A board with real metering silicon leaves this driver out and implements metro_source.h. */
#include "xsruntime.h"

#include <stdlib.h>

#include "board.h"
#include "fe_model.h"
#include "metro.h"
#include "metro_source.h"
#include "stpm_model.h"

/* Input limits: the ADC full scale is 838.86 V / 167.77 A peak (frontend.h). */
#define GM_VRMS_MAX_MV 500000
#define GM_IRMS_MAX_MA 100000
#define GM_NOISE_MAX 10000     /* mV, mA rms */

/* One grid, so the state is one static struct. */
static struct {
	fe_model_t model;
#if METRO_PHASES == 3
	stpm_dev_t dev;           /* second device (L2, L3), answering on its link */
#endif
} gm;

/* BENCH DSP's own copy of the model (xs_gridmodel_samples), allocated on first use so that it
 * costs no RAM at boot; never freed. */
static fe_model_t *gm_bench;

/* ---- the front-end the metering reads (metro_source.h) ---- */

int metro_source_start(uint8_t phases, const dsp_config_t *cfg)
{
	fe_scenario_t scn;   /* 230 V, 0 A, 50 Hz, phases 120 degrees apart */
	fe_scenario_default(&scn, phases);
	fe_model_load(&gm.model, &scn);
#if METRO_PHASES == 3
	if (phases == 3 && stpm_dev_init(&gm.dev, cfg))
		return -1;
#else
	(void)cfg;
#endif
	return fe_model_driver.init(&gm.model, NULL) ? -1 : 0;
}

const fe_driver_t *metro_source(void **ctx)
{
	*ctx = &gm.model;
	return &fe_model_driver;
}

stpm_xfer_fn metro_source_device(void **ctx)
{
#if METRO_PHASES == 3
	*ctx = &gm.dev;
	return stpm_dev_xfer;
#else
	*ctx = NULL;
	return NULL;
#endif
}

void metro_source_block(const fe_block_t *blk)
{
#if METRO_PHASES == 3
	stpm_dev_feed(&gm.dev, blk);
#else
	(void)blk;
#endif
}

/* ---- the model's controls ---- */

/* The model restarts its waveforms (sample 0) from the new scenario; the DSP and its energy
 * registers carry on. Called between seconds, so every DSP window is one scenario. */
static void gm_reload(xsMachine *the)
{
	gm.model.scn.n_events = 0;   /* scheduled events were timed on the old scenario's samples */
	if (fe_model_driver.init(&gm.model, NULL))
		xsUnknownError("metro reload");
}

/* load(phase 1..METRO_PHASES, Vrms mV, Irms mA, angle centidegrees, + inductive) -> the DSP
 * second the scenario applies from (METRO LOAD's `from second=`; metro_seconds()). */
void xs_gridmodel_load(xsMachine *the)
{
	int phase = xsToInteger(xsArg(0));
	int mv = xsToInteger(xsArg(1));
	int ma = xsToInteger(xsArg(2));
	int cdeg = xsToInteger(xsArg(3));
	uint8_t phases = metro_start(the);
	if (phase < 1 || phase > phases)
		xsRangeError("metro phase");
	if (mv < 0 || mv > GM_VRMS_MAX_MV)
		xsRangeError("metro Vrms");
	if (ma < 0 || ma > GM_IRMS_MAX_MA)
		xsRangeError("metro Irms");
	if (cdeg < -18000 || cdeg > 18000)
		xsRangeError("metro angle");
	fe_phase_scn_t *p = &gm.model.scn.ph[phase - 1];
	p->vrms = (float)mv / 1000.0f;
	p->irms = (float)ma / 1000.0f;
	p->angle_deg = (float)cdeg / 100.0f;
	gm_reload(the);
	xsResult = xsNumber((double)metro_seconds());
}

/* frequency(mHz): the grid frequency of every phase. */
void xs_gridmodel_frequency(xsMachine *the)
{
	int mhz = xsToInteger(xsArg(0));
	if (mhz < 45000 || mhz > 55000)
		xsRangeError("metro frequency");
	(void)metro_start(the);
	gm.model.scn.freq_hz = (float)mhz / 1000.0f;
	gm_reload(the);
}

/* harmonic(phase, order 2..15, V per mille, I per mille, I angle centidegrees): the order's
 * voltage and current rms relative to the fundamental, the current lagging the voltage
 * harmonic by the angle (its own frame, fe_model.h); 0 per mille removes it. */
void xs_gridmodel_harmonic(xsMachine *the)
{
	int phase = xsToInteger(xsArg(0));
	int h = xsToInteger(xsArg(1));
	int vpm = xsToInteger(xsArg(2));
	int ipm = xsToInteger(xsArg(3));
	int cdeg = xsToInteger(xsArg(4));
	uint8_t phases = metro_start(the);
	if (phase < 1 || phase > phases)
		xsRangeError("metro phase");
	if (h < 2 || h > 15)
		xsRangeError("metro order 2..15");
	if (h > FE_HARM_MAX)
		xsRangeError("metro harmonics not built on this board");
	if (vpm < 0 || vpm > 1000 || ipm < 0 || ipm > 1000)
		xsRangeError("metro per mille 0..1000");
	if (cdeg < -18000 || cdeg > 18000)
		xsRangeError("metro angle");
#if FE_HARM_MAX > 1
	fe_phase_scn_t *p = &gm.model.scn.ph[phase - 1];
	p->vh[h].ratio = (float)vpm / 1000.0f;
	p->vh[h].phase_deg = 0.0f;
	p->ih[h].ratio = (float)ipm / 1000.0f;
	p->ih[h].phase_deg = -(float)cdeg / 100.0f;
	gm_reload(the);
#endif
}

/* noise(V mV rms, I mA rms, seed): white noise on every voltage / current ADC channel. */
void xs_gridmodel_noise(xsMachine *the)
{
	int mv = xsToInteger(xsArg(0));
	int ma = xsToInteger(xsArg(1));
	int seed = xsToInteger(xsArg(2));
	if (mv < 0 || mv > GM_NOISE_MAX || ma < 0 || ma > GM_NOISE_MAX)
		xsRangeError("metro noise 0..10000");
	(void)metro_start(the);
	gm.model.scn.noise_v_lsb = (float)mv * (1000.0f / FE_V_LSB_UV);
	gm.model.scn.noise_i_lsb = (float)ma * (1000.0f / FE_I_LSB_UA);
	if (seed)
		gm.model.scn.seed = (uint32_t)seed;
	gm_reload(the);
}

/* link(in, out, lost per mille, seed): faults on the second device's link (stpm_model.h). */
void xs_gridmodel_link(xsMachine *the)
{
	int in = xsToInteger(xsArg(0));
	int out = xsToInteger(xsArg(1));
	int lost = xsToInteger(xsArg(2));
	int seed = xsToInteger(xsArg(3));
	if (in < 0 || in > 1000 || out < 0 || out > 1000 || lost < 0 || lost > 1000)
		xsRangeError("metro per mille 0..1000");
#if METRO_PHASES == 3
	if (metro_start(the) == 3) {
		stpm_dev_faults(&gm.dev, (unsigned)in, (unsigned)out, (unsigned)lost, (uint32_t)seed);
		return;
	}
#else
	(void)metro_start(the);
	(void)seed;
#endif
	xsUnknownError("metro single-phase layout: no second device");
}

/* samples(out: Int32Array, restart) -> samples per channel written. Fills out with the next
 * samples of BENCH DSP's copy of the model, interleaved per sample as v1 i1 v2 i2 v3 i3 in
 * (2 * METRO_PHASES + 1 int32 each), as many whole samples as fit. restart != 0 first restarts
 * the copy from sample 0 of the METRO model's scenario: the samples the METRO DSP has been fed
 * since its last LOAD (or boot). */
void xs_gridmodel_samples(xsMachine *the)
{
	enum { W = 2 * METRO_PHASES + 1 };
	void *data;
	size_t length;
	runtime_buffer(the, &xsArg(0), &data, &length);
	int restart = xsToInteger(xsArg(1));
	if ((uintptr_t)data & (sizeof(int32_t) - 1))
		xsRangeError("metro samples output");
	(void)metro_start(the);
	if (!gm_bench) {
		gm_bench = malloc(sizeof(*gm_bench));
		if (!gm_bench)
			xsUnknownError("metro samples: out of memory");
		restart = 1;
	}
	if (restart) {
		*gm_bench = gm.model;
		if (fe_model_driver.init(gm_bench, NULL))
			xsUnknownError("metro samples init");
	}
	int32_t *out = data;   /* no script runs below: the pointer stays good */
	size_t total = length / (W * sizeof(int32_t)), done = 0;
	fe_block_t blk;
	while (done < total) {
		size_t want = total - done < FE_BLOCK_MAX ? total - done : FE_BLOCK_MAX;
		int n = fe_model_driver.read(gm_bench, &blk, (uint16_t)want);
		if (n <= 0)
			xsUnknownError("metro front-end");
		for (int j = 0; j < n; j++, out += W) {
			for (unsigned p = 0; p < METRO_PHASES; p++) {
				out[2 * p] = blk.v[p][j];
				out[2 * p + 1] = blk.i[p][j];
			}
			out[W - 1] = blk.in[j];
		}
		done += (size_t)n;
	}
	xsResult = xsInteger((xsIntegerValue)done);
}

/* event(kind 1..7, phase 0..3, param, duration ms, delay ms) -> ms from the end of the last
 * measured second to the event's start. Schedules a front-end model event (fe_model.h) from
 * the next sample on plus delay: 1 load step (param: current factor per mille), 2 sag and
 * 3 swell (param: voltage factor per mille), 4 interruption, 5 reverse power, 6 tamper (param:
 * 1 terminal cover, 2 magnetic field, 3 both), 7 a button held for the duration (param: 1 P1,
 * 2 P2, 3 TPA = terminal cover switch, 4 TPB = magnetic sensor; phase ignored). Phase 0 =
 * every phase. */
void xs_gridmodel_event(xsMachine *the)
{
	int kind = xsToInteger(xsArg(0)), phase = xsToInteger(xsArg(1)), param = xsToInteger(xsArg(2));
	int dur = xsToInteger(xsArg(3)), delay = xsToInteger(xsArg(4));
	fe_event_t ev = { 0 };
	static const uint16_t keys[] = { FE_STATUS_KEY_P1, FE_STATUS_KEY_P2, FE_STATUS_COVER_OPEN, FE_STATUS_MAGNET };
	uint16_t inputs = 0;
	if (kind == 7) {   /* a button: the board's input lines, held by the model */
		if (param < 1 || param > 4)
			xsRangeError("metro event button 1..4");
		kind = FE_EV_TAMPER;
		inputs = keys[param - 1];
		phase = 0;
	}
	else if (kind == FE_EV_TAMPER && param >= 1 && param <= 3)
		inputs = (uint16_t)((uint32_t)param << 8);
	if (kind < FE_EV_LOAD_STEP || kind > FE_EV_TAMPER)
		xsRangeError("metro event type 1..7");
	if (phase < 0 || phase > METRO_PHASES)
		xsRangeError("metro event phase 0..%d", METRO_PHASES);
	if (dur < 1 || dur > 3600000 || delay < 0 || delay > 60000)
		xsRangeError("metro event duration 1..3600000 ms, delay 0..60000 ms");
	if ((kind == FE_EV_LOAD_STEP && (param < 0 || param > 10000)) ||
	    (kind == FE_EV_SAG && (param < 0 || param > 1000)) ||
	    (kind == FE_EV_SWELL && (param < 1000 || param > 2000)) ||
	    (kind == FE_EV_TAMPER && !inputs))
		xsRangeError("metro event param");
	(void)metro_start(the);
	fe_model_t *m = &gm.model;
	unsigned k;
	for (k = 0; k < m->scn.n_events; k++)   /* reuse a finished event's slot */
		if (m->ev_end[k] <= m->n)
			break;
	if (k >= FE_EVENTS_MAX)
		xsUnknownError("metro event table full (%d)", FE_EVENTS_MAX);
	uint32_t fs = m->fs;
	ev.kind = (uint8_t)kind;
	ev.phase_mask = (uint8_t)(phase ? 1u << (phase - 1) : (1u << METRO_PHASES) - 1);
	ev.flags = inputs;
	ev.factor = (float)param / 1000.0f;
	uint32_t start = m->n + (uint32_t)((uint64_t)delay * fs / 1000u);
	ev.start_s = (float)((double)start / fs);
	ev.duration_s = (float)dur / 1000.0f;
	m->scn.ev[k] = ev;
	m->ev_start[k] = start;
	m->ev_end[k] = start + (uint32_t)((uint64_t)dur * fs / 1000u);
	if (k == m->scn.n_events)
		m->scn.n_events++;
	xsResult = xsNumber((double)delay);
}
