// Bounds read from the manifest at start (issue 16 item 8, docs/bounds.md): the message service's
// KernelLimits (config.kernel), APP's METRO requests (parts.nonlegal.appMetroPendingMax), the
// device-table lookups (deviceLookupMax), the requests waiting for LEGAL
// (optical.legalMaxWaiting) and the COSEM associations (optical.maxAssociations). Each test takes
// the value the build gives a role (tools/manifest.mjs) and shows that the limit enforced is that
// value, and that another value in its place moves the limit.
import assert from 'node:assert/strict';
import { join } from 'node:path';
// @ts-expect-error: build tool in plain JavaScript
import { loadManifest } from '../../tools/manifest.mjs';
import { Kernel, SendStatus, defaultLimits, type KernelLimits } from '../../modules/generic/kernel.js';
import type { RunServiceFn } from '../../modules/generic/services.js';
import type { TimerHandle, TimerModule } from '../../modules/generic/timer.js';
import { METRO_GET_INSTANT } from '../../modules/generic/shared/metro-requests.js';
import { METRO_INSTANT } from '../../modules/generic/shared/metro-answers.js';
import { APP_RX_EVENT } from '../../modules/generic/shared/net-messages.js';
import { LegalLink } from '../../modules/nonlegal/meter/legal.js';
import { DeviceLookup } from '../../modules/nonlegal/app/devices.js';
import { App, APP_DATA_REQUEST, APP_PORT } from '../../modules/nonlegal/app/app.js';
import type { Tcpip } from '../../modules/nonlegal/net/tcpip.js';
import { client, makeMeter } from '../cosem/helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
interface Cfg {
  kernel: KernelLimits;
  parts: {
    nonlegal: { appMetroPendingMax: number; deviceLookupMax: number; optical: { legalMaxWaiting: number; maxAssociations: number } };
  };
}
const cfgOf = (role: string, platform: string): Cfg => (loadManifest(ROOT, role, platform) as { config: Cfg }).config;
const meter = cfgOf('meter', 'lin');
const conc = cfgOf('concentrator', 'lin');

function timers(): TimerModule {
  return {
    set: () => ({ id: 1 }) as TimerHandle,
    repeat: () => ({ id: 0 }),
    schedule: () => {},
    clear: () => {},
    delay: () => {},
  };
}

/** A RunService answering what the NON-LEGAL helpers ask: METRO and ADP exist, sends succeed. */
function services(sent: unknown[] = []): RunServiceFn {
  return ((name: string, ...a: unknown[]): unknown => {
    if (name === 'task.find') return 5;
    if (name === 'msg.send') {
      sent.push(a[3]);
      return 0;
    }
    if (name === 'timer.create') return 1;
    if (name === 'timer.start' || name === 'timer.stop' || name === 'trace') return undefined;
    if (name === 'timer.module') return timers();
    throw new Error(`service ${name}`);
  }) as unknown as RunServiceFn;
}

describe('bounds from the manifest are the ones enforced', () => {
  it('KernelLimits (config.kernel): payload size and depth, refused BadPayload at the limit', () => {
    assert.deepEqual(meter.kernel, { ...defaultLimits, ...meter.kernel }, 'every limit is in the manifest');
    for (const limits of [meter.kernel, { ...meter.kernel, maxPayloadBytes: 100, maxPayloadDepth: 2 }]) {
      const k = new Kernel({ now: () => 0, wakeAt: () => {} }, limits);
      const t = k.createTask({ name: 'T', owner: 'x', priority: 1, queue: 8, handler: () => {} });
      assert.equal(k.send(t, t, 1, 'x'.repeat(limits.maxPayloadBytes)), SendStatus.Ok);
      assert.equal(k.send(t, t, 1, 'x'.repeat(limits.maxPayloadBytes + 1)), SendStatus.BadPayload);
      let deep: unknown = 1;
      for (let i = 0; i < limits.maxPayloadDepth; i++) deep = [deep];
      assert.equal(k.send(t, t, 1, deep), SendStatus.Ok);
      assert.equal(k.send(t, t, 1, [deep]), SendStatus.BadPayload);
    }
    assert.throws(() => new Kernel({ now: () => 0, wakeAt: () => {} }, { maxQueue: 0 }), /kernel\.maxQueue/);
  });

  it('APP requests waiting for METRO (parts.nonlegal.appMetroPendingMax): answered BUSY, counted metroBusy', () => {
    for (const max of [conc.parts.nonlegal.appMetroPendingMax, 1]) {
      const replies: Uint8Array[] = [];
      const ip = { task: 9, bind: () => {}, sendUdp: (_d: number, _s: number, _p: number, b: Uint8Array) => (replies.push(b), '') };
      const app = new App(services(), 3, ip as unknown as Tcpip, { metroPendingMax: max });
      for (let i = 0; i <= max; i++)
        app.onMessage({
          from: 9,
          to: 3,
          id: APP_RX_EVENT.id,
          payload: { src: 7, srcPort: APP_PORT, data: Uint8Array.of(APP_DATA_REQUEST, 0, i, 1) },
        } as never);
      assert.equal(app.counters.metroBusy, 1, `max ${max}`);
      assert.equal(replies.length, 1, 'only the one beyond the bound is answered at once');
    }
  });

  it('device-table lookups waiting (parts.nonlegal.deviceLookupMax): refused busy beyond', async () => {
    for (const max of [conc.parts.nonlegal.deviceLookupMax, 2]) {
      const l = new DeviceLookup(services(), 3, timers(), max);
      for (let i = 1; i <= max; i++) void l.entry(i);
      await assert.rejects(l.entry(max + 1), /PLC device table busy/);
    }
  });

  it('requests waiting for LEGAL (parts.nonlegal.optical.legalMaxWaiting): resolved unanswered, counted refused', async () => {
    for (const max of [meter.parts.nonlegal.optical.legalMaxWaiting, 3]) {
      const l = new LegalLink(services(), timers(), 1000, max);
      for (let i = 0; i < max; i++) void l.request(METRO_GET_INSTANT, {}, METRO_INSTANT);
      assert.equal(l.stats.refused, 0);
      assert.equal(await l.request(METRO_GET_INSTANT, {}, METRO_INSTANT), undefined);
      assert.deepEqual([l.stats.requests, l.stats.refused], [max, 1]);
    }
  });

  it('COSEM associations (parts.nonlegal.optical.maxAssociations): the next AARQ is rejected', async () => {
    for (const max of [meter.parts.nonlegal.optical.maxAssociations, 2]) {
      const m = makeMeter({ maxAssociations: max });
      const peer = (n: number) => client({ request: (apdu: Uint8Array) => m.server.handle(16, apdu, n) as Promise<Uint8Array> });
      for (let n = 1; n <= max; n++) await peer(n).associate();
      await assert.rejects(peer(max + 1).associate());
    }
  });
});
