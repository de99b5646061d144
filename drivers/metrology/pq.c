/* Power-quality events and tamper timing: see pq.h. Single-precision floats per block only. */
#include "pq.h"

#include <math.h>
#include <string.h>

#define V_LSB (FE_V_LSB_UV * 1e-6f)

void pq_config(pq_t *pq, float vnom, float sag_pct, float swell_pct, float intr_pct, float hyst_pct)
{
	float u = vnom / V_LSB * 0.01f;   /* LSB per percent */
	memset(pq, 0, sizeof(*pq));
	pq->sag2 = (sag_pct * u) * (sag_pct * u);
	pq->sag_end2 = ((sag_pct + hyst_pct) * u) * ((sag_pct + hyst_pct) * u);
	pq->swell2 = (swell_pct * u) * (swell_pct * u);
	pq->swell_end2 = ((swell_pct - hyst_pct) * u) * ((swell_pct - hyst_pct) * u);
	pq->intr2 = (intr_pct * u) * (intr_pct * u);
}

/* Queues an event: duration in samples, or PQ_OPEN for a start notice. */
static void emit(pq_t *pq, uint8_t kind, uint8_t phase, float value, uint64_t start, uint32_t duration)
{
	if (pq->count == PQ_QUEUE) {
		pq->dropped++;
		return;
	}
	pq_event_t *e = &pq->q[(pq->head + pq->count++) % PQ_QUEUE];
	e->kind = kind;
	e->phase = phase;
	e->value = value;
	e->start = start;
	e->duration = duration;
}

int pq_pop(pq_t *pq, pq_event_t *ev)
{
	if (!pq->count)
		return 0;
	*ev = pq->q[pq->head];
	pq->head = (uint8_t)((pq->head + 1) % PQ_QUEUE);
	pq->count--;
	return 1;
}

void pq_block(pq_t *pq, const fe_block_t *blk, unsigned phases)
{
	uint64_t end = pq->n + blk->count;   /* the block's end: when the window is evaluated */
	unsigned p, j, k;
	/* tamper status: bit 0x100 cover, 0x200 magnet (frontend.h) */
	for (k = 0; k < 2; k++) {
		uint8_t bit = (uint8_t)(1u << k);
		int on = (blk->status & (FE_STATUS_COVER_OPEN << k)) != 0;
		if (on && !(pq->tamper & bit)) {
			pq->tamper |= bit;
			pq->tamper_start[k] = pq->n;
			emit(pq, (uint8_t)(PQ_COVER + k), 0, 0.0f, pq->n, PQ_OPEN);
		}
		else if (!on && (pq->tamper & bit)) {
			pq->tamper &= (uint8_t)~bit;
			emit(pq, (uint8_t)(PQ_COVER + k), 0, 0.0f, pq->tamper_start[k], (uint32_t)(pq->n - pq->tamper_start[k]));
		}
	}
	/* buttons: debounced on consecutive blocks, reported when recognised */
	for (k = 0; k < 2; k++) {
		if (blk->status & (FE_STATUS_KEY_P1 << k)) {
			if (pq->key_run[k] < 255)
				pq->key_run[k]++;
			if (pq->key_run[k] == PQ_DEBOUNCE)
				emit(pq, (uint8_t)(PQ_KEY_P1 + k), 0, 0.0f, end - (uint64_t)PQ_DEBOUNCE * blk->count, PQ_DEBOUNCE * blk->count);
		}
		else {
			if (pq->key_run[k] && pq->key_run[k] < PQ_DEBOUNCE)
				pq->bounces++;
			pq->key_run[k] = 0;
		}
	}
	pq->n = end;
	if (!(pq->sag2 > 0.0f) || blk->count != FE_BLOCK_MAX)
		return;   /* disabled, or a short block (not in the firmware: fs is a multiple) */
	for (p = 0; p < phases; p++) {
		int64_t s = 0;
		for (j = 0; j < blk->count; j++)
			s += (int64_t)blk->v[p][j] * blk->v[p][j];
		pq->ring[p][pq->pos] = (float)s;
	}
	pq->pos = (uint8_t)((pq->pos + 1) % PQ_RING);
	if (pq->filled < PQ_RING) {
		pq->filled++;
		return;
	}
	for (p = 0; p < phases; p++) {
		float ms = 0.0f;
		for (k = 0; k < PQ_RING; k++)
			ms += pq->ring[p][k];
		ms *= 1.0f / (float)PQ_CYCLE_SAMPLES;
		__typeof__(pq->ph[0]) *h = &pq->ph[p];
		switch (h->state) {
		case PQ_NONE:
			if (ms < pq->sag2) {
				h->state = PQ_SAG;
				h->intr = ms < pq->intr2;
				h->ext = ms;
				h->start = end;
				emit(pq, h->intr ? PQ_INTERRUPTION : PQ_SAG, (uint8_t)(p + 1), sqrtf(ms) * V_LSB, end, PQ_OPEN);
			}
			else if (ms > pq->swell2) {
				h->state = PQ_SWELL;
				h->ext = ms;
				h->start = end;
				emit(pq, PQ_SWELL, (uint8_t)(p + 1), sqrtf(ms) * V_LSB, end, PQ_OPEN);
			}
			break;
		case PQ_SAG:
			if (ms < h->ext)
				h->ext = ms;
			if (ms < pq->intr2)
				h->intr = 1;
			if (ms > pq->sag_end2) {
				emit(pq, h->intr ? PQ_INTERRUPTION : PQ_SAG, (uint8_t)(p + 1), sqrtf(h->ext) * V_LSB, h->start, (uint32_t)(end - h->start));
				h->state = PQ_NONE;
			}
			break;
		case PQ_SWELL:
			if (ms > h->ext)
				h->ext = ms;
			if (ms < pq->swell_end2) {
				emit(pq, PQ_SWELL, (uint8_t)(p + 1), sqrtf(h->ext) * V_LSB, h->start, (uint32_t)(end - h->start));
				h->state = PQ_NONE;
			}
			break;
		}
	}
}
