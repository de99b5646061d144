/* XS binding of the metering: what the board's metering silicon gives (metro_source.h: on lin
 * and the emulated boards the grid model of drivers/gridmodel, whose controls are bound there)
 * goes through the DSP (dsp.c), which turns samples into per-second results and energy registers. Script
 * never sees a sample: xs_metro_second() fills blocks and feeds them to the DSP exactly as the
 * front-end ISR/DMA would, one second (fs samples) per call, then copies that second's results
 * into the caller's Float64Array (layout: modules/generic/shared/metro-record.ts, metro_record.h).
 *
 * Layouts (layout(), from LEGAL's manifest config `phases`, before the first second):
 *  - 3 (default): as the reference design, L1 and the neutral current on the main chip
 *    (STCOMET-like: this DSP, block channels V1, I1, In), L2 and L3 on an STPM34-like second
 *    device (its own DSP, register map and energy accumulators) read once a second
 *    over its serial link by stpm_link.c (STPM3x frames, CRC-8, retries). A second whose link
 *    read fails leaves L2, L3 and the totals unavailable (NaN, flag MX_FLAG_LINK); their energy
 *    is booked by the next good read from the device's accumulators.
 *  - 1: single-phase meter, L1 and the neutral on the main chip; the front-end has one phase.
 *
 * One front-end, so the state is one static struct (no host chunk to validate); the block of
 * samples lives on the C stack during a call. */
#include "xsruntime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "dsp.h"
#include "pq.h"
#include "stpm_link.h"
#include "metro.h"
#include "metro_source.h"

/* Output layout (MX_*): generated from its one definition, modules/generic/shared/metro-record.ts */
#include "metro_record.h"
_Static_assert(MX_ENERGY_COUNT == DSP_E_COUNT, "metro-record.ts: MX_ENERGY_COUNT is dsp.h's DSP_E_COUNT");

/* Input limit of the voltage-event thresholds: the ADC full scale is 838.86 V peak (frontend.h). */
#define MX_VRMS_MAX_MV 500000

static struct {
	const fe_driver_t *fe;    /* the main chip's samples (metro_source.h) */
	void *fe_ctx;
	dsp_t dsp;                /* main chip: L1 and the neutral */
	uint8_t ready, phases;    /* phases: the layout, 0 until the first use */
#if METRO_PHASES == 3
	stpm_link_t link;         /* the second device (L2, L3) over its link */
	stpm_reading_t rd;
	dsp_energy_t e_tot;       /* three-phase totals */
	dsp_pulse_t led_p, led_q; /* three-phase layout: the LEDs pulse on the totals */
	uint32_t link_cycles;
#endif
	/* cost of the last second(): board_cycles() around the front-end's fill and around
	 * dsp_process_block(), summed over the second's blocks (METRO STATS) */
	uint32_t model_cycles, dsp_cycles, dev_cycles, pq_cycles, samples;
	/* the load relay (Disconnect control): open, no current flows; the voltage is measured
	 * on the grid side and stays */
	uint8_t relay_open;
#if METRO_PQ
	pq_t pq;   /* voltage events and tamper timing for LEGAL's event log (pq.h) */
#endif
} mx;

static void mx_start(xsMachine *the)
{
	dsp_config_t cfg;
	if (mx.ready)
		return;
	if (!mx.phases)
		mx.phases = METRO_PHASES;
	dsp_config_default(&cfg);
	cfg.phases = 1;   /* the main chip measures L1 (and the neutral) in both layouts */
	if (metro_source_start(mx.phases, &cfg))
		xsUnknownError("metro front-end init");
	mx.fe = metro_source(&mx.fe_ctx);
#if METRO_PHASES == 3
	if (mx.phases == 3) {
		void *dev;
		stpm_xfer_fn xfer = metro_source_device(&dev);
		stpm_link_init(&mx.link, xfer, dev);
		cfg.residual_a = 0.0f;   /* i1 + In alone is not a residual with L2, L3 elsewhere */
	}
#endif
	if (dsp_init(&mx.dsp, &cfg))
		xsUnknownError("metro init");
#if METRO_PHASES == 3
	if (mx.phases == 3) {
		/* The main chip's DSP sees L1 only: the LEDs take the three-phase totals that
		 * mx_merge() books, with the same constants; the L1 DSP's own LED stays dark. */
		mx.led_p = mx.dsp.led_p;
		mx.led_q = mx.dsp.led_q;
		mx.dsp.led_p.per_pulse = mx.dsp.led_q.per_pulse = 0;
	}
#endif
	mx.ready = 1;
}

uint32_t metro_seconds(void)
{
	return mx.dsp.second;
}

uint8_t metro_start(xsMachine *the)
{
	mx_start(the);
	return mx.phases;
}

/* The metrology LEDs of the layout (active, reactive). */
static dsp_pulse_t *mx_led(int reactive)
{
#if METRO_PHASES == 3
	if (mx.phases == 3)
		return reactive ? &mx.led_q : &mx.led_p;
#endif
	return reactive ? &mx.dsp.led_q : &mx.dsp.led_p;
}

/* layout(phases 1 or 3): before the first second only. */
void xs_metro_layout(xsMachine *the)
{
	int phases = xsToInteger(xsArg(0));
	if (phases != 1 && phases != METRO_PHASES)
		xsRangeError("metro layout");
	if (mx.ready && phases != mx.phases)
		xsUnknownError("metro layout already running");
	mx.phases = (uint8_t)phases;
	mx_start(the);
}

/* relay(connect) -> connected: closes (1) or opens (0) the load relay; from the next second on
 * the phase currents read 0 while it is open. */
void xs_metro_relay(xsMachine *the)
{
	mx.relay_open = xsTest(xsArg(0)) ? 0 : 1;
	xsResult = xsBoolean(!mx.relay_open);
}

static void mx_put(uint8_t *out, unsigned k, double v)
{
	memcpy(out + k * sizeof(double), &v, sizeof(v));
}

static void mx_put_phase(uint8_t *out, unsigned p, const dsp_result_t *r)
{
	unsigned o = p * MX_PHASE_FIELDS;
	mx_put(out, o, r->vrms);
	mx_put(out, o + 1, r->irms);
	mx_put(out, o + 2, r->p);
	mx_put(out, o + 3, r->q);
	mx_put(out, o + 4, r->s);
	mx_put(out, o + 5, r->pf);
	mx_put(out, o + 6, r->freq);
	mx_put(out, o + 7, r->flags);
}

#if METRO_PHASES == 3
/* Three-phase layout, after the second: read L2, L3 from the device, book the totals. */
static void mx_merge(uint8_t *out)
{
	const dsp_result_t *l1 = &mx.dsp.res[0];
	uint64_t t0 = board_cycles();
	int ok = stpm_link_read(&mx.link, &mx.rd);
	mx.link_cycles = (uint32_t)(board_cycles() - t0);
	float p = l1->p, q = l1->q, sa = l1->s;
	/* L1 this second (as the DSP books it: nothing under the no-load threshold) */
	float a = 0.0f, r = 0.0f, ap = 0.0f;
	if (!(l1->flags & DSP_FLAG_NO_LOAD)) {
		a = l1->p * (1e6f / 3600.0f);
		r = l1->q * (1e6f / 3600.0f);
		ap = l1->s * (1e6f / 3600.0f);
	}
	for (unsigned c = 0; c < 2; c++) {
		const stpm_channel_t *ch = &mx.rd.ch[c];
		unsigned o = (c + 1) * MX_PHASE_FIELDS;
		if (!ok) {
			for (unsigned k = 0; k < MX_PHASE_FIELDS - 1; k++)
				mx_put(out, o + k, NAN);
			mx_put(out, o + 7, MX_FLAG_LINK);
			continue;
		}
		mx_put(out, o, ch->vrms);
		mx_put(out, o + 1, ch->irms);
		mx_put(out, o + 2, ch->p);
		mx_put(out, o + 3, ch->q);
		mx_put(out, o + 4, ch->s);
		mx_put(out, o + 5, ch->flags & DSP_FLAG_NO_LOAD ? 0.0f : ch->p / ch->s);
		mx_put(out, o + 6, ch->freq);
		mx_put(out, o + 7, ch->flags);
		if (!(ch->flags & DSP_FLAG_NO_LOAD)) {
			p += ch->p;
			q += ch->q;
			sa += ch->s;
		}
		a += (float)mx.rd.d_act[c];
		r += (float)mx.rd.d_react[c];
		ap += (float)mx.rd.d_app[c];
	}
	uint64_t da, dr;
	if (a != 0.0f || r != 0.0f || ap != 0.0f) {
		dsp_book_energy(&mx.e_tot, a, r, ap, &da, &dr);
		dsp_pulse_add(&mx.led_p, da);
		dsp_pulse_add(&mx.led_q, dr);
	}
	mx_put(out, MX_TOTAL, ok ? p : NAN);
	mx_put(out, MX_TOTAL + 1, ok ? q : NAN);
	mx_put(out, MX_TOTAL + 2, ok ? sa : NAN);
	for (unsigned k = 0; k < DSP_E_COUNT; k++)
		mx_put(out, MX_ENERGY + k, (double)mx.e_tot.reg[k] + (double)mx.e_tot.frac[k]);
}
#endif

/* second(out: Float64Array of MX_FIELDS) -> second index. Runs one second of samples. */
void xs_metro_second(xsMachine *the)
{
	void *data;
	size_t length;
	runtime_buffer(the, &xsArg(0), &data, &length);
	if (length < MX_FIELDS * sizeof(double))
		xsRangeError("metro output");
	mx_start(the);
	fe_block_t blk;   /* on the C stack while the second runs: 568 B with FE_BLOCK_MAX 20 */
	uint32_t fs = mx.fe->sample_rate(mx.fe_ctx);
	uint32_t done = 0;
	int windows = 0;
	/* one timestamp between the fill and the DSP, one after the DSP, one after the power-quality
	 * tracking that starts the next fill: three board_cycles() per block (a few tens of cycles
	 * each, split between model, DSP and PQ). The second device's DSP (emulated hardware) is
	 * timed apart too. */
	uint64_t model_cycles = 0, dsp_cycles = 0, dev_cycles = 0, pq_cycles = 0, t0 = board_cycles();
	while (done < fs) {
		uint32_t want = fs - done < FE_BLOCK_MAX ? fs - done : FE_BLOCK_MAX;
		int n = mx.fe->read(mx.fe_ctx, &blk, (uint16_t)want);
		if (n <= 0)
			xsUnknownError("metro front-end");
		if (mx.relay_open)
		{
			memset(blk.i, 0, sizeof(blk.i));
			memset(blk.in, 0, sizeof(blk.in));
		}
		uint64_t tf = board_cycles();
#if METRO_PHASES == 3
		if (mx.phases == 3)
			metro_source_block(&blk);
#endif
		uint64_t t1 = board_cycles();
		dev_cycles += t1 - tf;
		model_cycles -= t1 - tf;
		done += (uint32_t)n;
		windows += dsp_process_block(&mx.dsp, &blk);
		uint64_t t2 = board_cycles();
#if METRO_PQ
		pq_block(&mx.pq, &blk, mx.phases);   /* the layout's phases: a single-phase meter has no L2, L3 to watch */
#endif
		uint64_t t3 = board_cycles();
		model_cycles += t1 - t0;
		dsp_cycles += t2 - t1;
		pq_cycles += t3 - t2;
		t0 = t3;
	}
	mx.model_cycles = (uint32_t)model_cycles;
	mx.dsp_cycles = (uint32_t)dsp_cycles;
	mx.dev_cycles = (uint32_t)dev_cycles;
	mx.pq_cycles = (uint32_t)pq_cycles;
	mx.samples = done;
	if (windows != 1)
		xsUnknownError("metro window");
	/* no script ran since runtime_buffer(): the pointer is still good. XS aligns chunks to 4
	 * bytes only, so the doubles are stored with memcpy. */
	uint8_t *out = data;
	for (unsigned p = 0; p < 3; p++) {
		if (p < mx.phases && p > 0)
			continue;   /* from the second device, below */
		static const dsp_result_t none;
		mx_put_phase(out, p, p == 0 ? &mx.dsp.res[0] : &none);
	}
#if METRO_PHASES == 3
	if (mx.phases == 3)
		mx_merge(out);
	else
#endif
	{
		mx_put(out, MX_TOTAL, mx.dsp.tot.p);
		mx_put(out, MX_TOTAL + 1, mx.dsp.tot.q);
		mx_put(out, MX_TOTAL + 2, mx.dsp.tot.s);
		for (unsigned k = 0; k < DSP_E_COUNT; k++)
			mx_put(out, MX_ENERGY + k, (double)mx.dsp.e_tot.reg[k] + (double)mx.dsp.e_tot.frac[k]);
	}
	mx_put(out, MX_SECOND, mx.dsp.tot.second);
	mx_put(out, MX_NEUTRAL, mx.dsp.tot.in_rms);
	mx_put(out, MX_PHASES, mx.phases);
	xsResult = xsInteger((xsIntegerValue)mx.dsp.tot.second);
}

/* stats() -> "dsp.cycles=<n> model.cycles=<n> samples=<n> clock.hz=<n> device.cycles=<n> link.cycles=<n>
 * link.frames=<n> link.crc=<n> link.timeouts=<n> link.device=<n> link.stale=<n> link.retries=<n>
 * link.failed=<n> link.reads=<n> pq.cycles=<n>\r\n": the last second()'s cycles in the main chip's
 * dsp_process_block(), in the front-end model's fill, its samples per channel, the clock (cycles
 * per second), in the second device's DSP (emulated hardware) and in the link read, then
 * the link counters since start (stpm_link.h; zeros in the single-phase layout), and the last
 * second's cycles in pq_block() (voltage events, tamper and buttons per block; 0 without it).
 * Formatted here rather than returned as numbers because LEGAL's bytecode lives in RAM, which
 * the STM32F405 meter can hardly spare. */
void xs_metro_stats(xsMachine *the)
{
	char text[320];
	uint32_t z[9] = { 0 };
#if METRO_PHASES == 3
	const stpm_link_t *l = &mx.link;
	uint32_t v[9] = { mx.link_cycles, l->frames, l->crc, l->timeouts, l->device, l->stale,
		l->retries, l->failed, l->reads };
	if (mx.phases == 3)
		memcpy(z, v, sizeof(z));
#endif
	snprintf(text, sizeof(text), "dsp.cycles=%lu model.cycles=%lu samples=%lu clock.hz=%lu "
		"device.cycles=%lu link.cycles=%lu link.frames=%lu link.crc=%lu link.timeouts=%lu link.device=%lu "
		"link.stale=%lu link.retries=%lu link.failed=%lu link.reads=%lu pq.cycles=%lu\r\n",
		(unsigned long)mx.dsp_cycles, (unsigned long)mx.model_cycles, (unsigned long)mx.samples,
		(unsigned long)board_cycle_hz(), (unsigned long)mx.dev_cycles, (unsigned long)z[0], (unsigned long)z[1],
		(unsigned long)z[2], (unsigned long)z[3], (unsigned long)z[4], (unsigned long)z[5],
		(unsigned long)z[6], (unsigned long)z[7], (unsigned long)z[8], (unsigned long)mx.pq_cycles);
	xsResult = xsString(text);
}

/* ---- LEGAL's additions: restored registers, LED pulses, voltage events ----
 * Bound by modules/generic/metro-legal.ts only where LEGAL's event log is enabled; METRO_PQ 0
 * (the STM32F405 until its bytecode leaves RAM) leaves the voltage-event state out. */

/* restore(values: Float64Array): the billing registers DSP_E_COUNT (micro-units), then the
 * active and reactive LED pulse counts, as saved in NVRAM. Before the first second only: the
 * registers then continue from exactly these values. */
void xs_metro_restore(xsMachine *the)
{
	void *data;
	size_t length;
	double v[DSP_E_COUNT + 2];
	runtime_buffer(the, &xsArg(0), &data, &length);
	if (length < sizeof(v))
		xsRangeError("metro restore");
	memcpy(v, data, sizeof(v));
	mx_start(the);
	if (mx.dsp.second)
		xsUnknownError("metro restore after the first second");
	for (unsigned k = 0; k < DSP_E_COUNT + 2; k++)
		if (!(v[k] >= 0.0 && v[k] < 9007199254740992.0))
			xsRangeError("metro restore value");
	for (unsigned k = 0; k < DSP_E_COUNT; k++) {
		mx.dsp.e_tot.reg[k] = (uint64_t)v[k];
		mx.dsp.e_tot.frac[k] = (float)(v[k] - (double)mx.dsp.e_tot.reg[k]);   /* carried remainder */
#if METRO_PHASES == 3
		/* three-phase layout: the totals of both chips are booked here */
		mx.e_tot.reg[k] = mx.dsp.e_tot.reg[k];
		mx.e_tot.frac[k] = mx.dsp.e_tot.frac[k];
#endif
	}
	mx_led(0)->count = (uint32_t)v[DSP_E_COUNT];
	mx_led(1)->count = (uint32_t)v[DSP_E_COUNT + 1];
}

/* pulses() -> "led.active=<n> imp/kWh=<c> led.reactive=<n> imp/kvarh=<c>\r\n" */
void xs_metro_pulses(xsMachine *the)
{
	char text[96];
	mx_start(the);
	snprintf(text, sizeof(text), "led.active=%lu imp/kWh=%lu led.reactive=%lu imp/kvarh=%lu\r\n",
		(unsigned long)mx_led(0)->count, (unsigned long)mx.dsp.cfg.led_imp_per_kwh,
		(unsigned long)mx_led(1)->count, (unsigned long)mx.dsp.cfg.led_imp_per_kvarh);
	xsResult = xsString(text);
}

/* counts(out: Float64Array(2)): the LED pulse counts, for the billing record. */
void xs_metro_counts(xsMachine *the)
{
	void *data;
	size_t length;
	runtime_buffer(the, &xsArg(0), &data, &length);
	if (length < 2 * sizeof(double))
		xsRangeError("metro counts");
	mx_start(the);
	mx_put(data, 0, mx_led(0)->count);
	mx_put(data, 1, mx_led(1)->count);
}

/* quality(vnom mV, sag, swell, interruption, hysteresis; per mille of vnom): thresholds of
 * the voltage events (pq.h); vnom 0 disables them. */
void xs_metro_quality(xsMachine *the)
{
	int mv = xsToInteger(xsArg(0)), sag = xsToInteger(xsArg(1)), swell = xsToInteger(xsArg(2));
	int intr = xsToInteger(xsArg(3)), hyst = xsToInteger(xsArg(4));
	if (mv < 0 || mv > MX_VRMS_MAX_MV || intr < 0 || intr >= sag || sag + hyst >= 1000 ||
	    swell <= 1000 || hyst < 0 || swell - hyst <= 1000)
		xsRangeError("metro quality thresholds");
	mx_start(the);
#if METRO_PQ
	uint64_t n = mx.pq.n;
	pq_config(&mx.pq, (float)mv / 1000.0f, (float)sag / 10.0f, (float)swell / 10.0f,
		(float)intr / 10.0f, (float)hyst / 10.0f);
	mx.pq.n = n;
#else
	xsUnknownError("no voltage events in this build (METRO_PQ 0)");
#endif
}

/* voltageEvents(out: Float64Array) -> count: finished voltage and tamper events, 5 doubles
 * each: kind (pq.h PQ_*), phase (0 = none), start in ms before the end of the last measured
 * second, duration ms, value (V). */
void xs_metro_voltage_events(xsMachine *the)
{
	void *data;
	size_t length;
	pq_event_t ev;
	runtime_buffer(the, &xsArg(0), &data, &length);
	mx_start(the);
#if !METRO_PQ
	(void)ev;
	xsResult = xsInteger(0);
#else
	unsigned max = (unsigned)(length / (5 * sizeof(double))), n = 0;
	uint32_t fs = mx.fe->sample_rate(mx.fe_ctx);
	while (n < max && pq_pop(&mx.pq, &ev)) {
		mx_put(data, 5 * n, ev.kind);
		mx_put(data, 5 * n + 1, ev.phase);
		mx_put(data, 5 * n + 2, (double)(mx.pq.n - ev.start) * 1000.0 / fs);
		mx_put(data, 5 * n + 3, ev.duration == PQ_OPEN ? -1.0 : (double)ev.duration * 1000.0 / fs);
		mx_put(data, 5 * n + 4, ev.value);
		n++;
	}
	xsResult = xsInteger((xsIntegerValue)n);
#endif
}

/* A counter of the power-quality tracker (0 in a build without it). */
#if METRO_PQ
#define MX_PQ_COUNTER(name, field) void name(xsMachine *the) { xsResult = xsNumber(mx.pq.field); }
#else
#define MX_PQ_COUNTER(name, field) void name(xsMachine *the) { xsResult = xsInteger(0); }
#endif
/* voltageDropped() -> events the queue could not hold. */
MX_PQ_COUNTER(xs_metro_voltage_dropped, dropped)
/* keyBounces() -> button pulses shorter than the debounce time (pq.h), ignored. */
MX_PQ_COUNTER(xs_metro_key_bounces, bounces)
