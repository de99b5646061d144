// The meter's Image transfer store (meter/image-store.ts) over NOR-like areas in memory: blocks
// into the slot, the bitmap in the state sector kept across a restart, and a power cut at every
// program and erase of a transfer: after it the bitmap never claims a block the slot does not
// hold, and the transfer completes from it.
import assert from 'node:assert/strict';
import { createImageStore } from '../../modules/nonlegal/meter/image-store.js';
import { ImageStatus } from '../../modules/nonlegal/cosem/image-transfer.js';
import type { RunServiceFn } from '../../modules/generic/services.js';
import { NorArea } from '../helpers/nor.js';

const CFG = { blockSize: 512, maxImageSize: 64 * 1024, maxIdentifier: 32 };
const image = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);

function rsOf(slot: NorArea, state: NorArea, verdict = { ok: true, reason: '', version: '1.2.3+0' }, testing = false) {
  const calls: string[] = [];
  const rs = ((name: string) => {
    calls.push(name);
    if (name === 'driver.get') return { areas: () => [slot.name, state.name], open: (n: string) => (n === slot.name ? slot : state) };
    if (name === 'misc.versions') return [{ part: 'NON-LEGAL', version: '0.1.0', sha256: '', status: 'running' }];
    if (name === 'fw.verify') return verdict;
    if (name === 'fw.activate') return undefined;
    if (name === 'fw.testing') return testing;
    throw new Error(`service ${name}`);
  }) as unknown as RunServiceFn;
  return { rs, calls };
}
const open = (slot: NorArea, state: NorArea) =>
  createImageStore(
    rsOf(slot, state).rs,
    CFG,
    () => Promise.resolve(),
    () => {},
  )!;

describe('meter image store (flash areas in memory)', () => {
  it('refuses a new transfer while the running image is in test state: the slot holds what a revert needs', async () => {
    const slot = new NorArea(512 * 1024, 'nonlegal-slot');
    slot.mem.fill(0x5a, 0, 8192); // the previous image, swapped out
    const state = new NorArea(4096, 'image-transfer');
    const s = createImageStore(
      rsOf(slot, state, undefined, true).rs,
      CFG,
      () => Promise.resolve(),
      () => {},
    )!;
    assert.match(String(await s.initiate(Uint8Array.of(1), 1000)), /test state/);
    assert.equal(s.state(), undefined);
    assert.ok(
      slot.mem.subarray(0, 8192).every((b) => b === 0x5a),
      'the slot is untouched',
    );
    assert.equal(slot.erases[0], 0);
  });

  it('keeps the blocks and the bitmap across a restart; verify and activate marks', async () => {
    const slot = new NorArea(512 * 1024, 'nonlegal-slot');
    const state = new NorArea(4096, 'image-transfer');
    const img = image(10000); // 20 blocks, the last 272 octets
    let s = open(slot, state);
    assert.equal(await s.initiate(new TextEncoder().encode('A'), img.length), undefined);
    for (const n of [0, 1, 2, 9, 19]) await s.write(n, img.subarray(n * 512, Math.min(img.length, n * 512 + 512)));
    s = open(slot.clone(), state.clone()); // a restart
    const st = s.state()!;
    assert.equal(st.status, ImageStatus.INITIATED);
    assert.deepEqual(
      [...Array(st.blocks).keys()].filter((n) => st.has(n)),
      [0, 1, 2, 9, 19],
    );
    // erases: the state sector once, slot sectors 0, 1 (block 9) and 2 (block 19) once each
    assert.deepEqual([...slot.erases.subarray(0, 4)], [1, 1, 1, 0]);
    assert.equal(state.erases[0], 1);
    // the same identifier and size resume; another identifier starts anew
    const again = open(slot, state);
    await again.initiate(new TextEncoder().encode('A'), img.length);
    assert.ok(again.state()!.has(9));
    await again.initiate(new TextEncoder().encode('B'), img.length);
    assert.ok(!again.state()!.has(9));
    assert.deepEqual(again.state()!.identifier, new TextEncoder().encode('B'));
    for (let n = 0; n < 20; n++) await again.write(n, img.subarray(n * 512, Math.min(img.length, n * 512 + 512)));
    assert.deepEqual(slot.mem.subarray(0, img.length), img);
    assert.deepEqual(again.verify(), { ok: true, reason: '' });
    assert.equal(again.state()!.status, ImageStatus.VERIFICATION_SUCCESSFUL);
    assert.equal(again.state()!.version, '1.2.3+0');
    assert.equal(again.activate(), undefined);
    assert.equal(again.state()!.status, ImageStatus.ACTIVATION_INITIATED);
    // after the swap the running NON-LEGAL is not 1.2.3 here: the activation failed (reverted)
    assert.equal(open(slot, state).state()!.status, ImageStatus.ACTIVATION_FAILED);
  });

  it('a refused verification keeps its reason', async () => {
    const slot = new NorArea(512 * 1024, 'nonlegal-slot');
    const state = new NorArea(4096, 'image-transfer');
    const s = createImageStore(
      rsOf(slot, state, { ok: false, reason: 'bad signature', version: '' }).rs,
      CFG,
      () => Promise.resolve(),
      () => {},
    )!;
    await s.initiate(Uint8Array.of(1), 100);
    await s.write(0, image(100));
    assert.deepEqual(s.verify(), { ok: false, reason: 'bad signature' });
    const r = open(slot, state).state()!;
    assert.equal(r.status, ImageStatus.VERIFICATION_FAILED);
    assert.equal(r.reason, 'bad signature');
  });

  it('after a power cut at any operation the bitmap claims only blocks the slot holds, and the transfer completes', async () => {
    const img = image(6000); // 12 blocks over 2 slot sectors
    const blocks = 12;
    // the operations of a whole transfer, counted on a run without a cut
    const probeSlot = new NorArea(512 * 1024, 'nonlegal-slot');
    const probeState = new NorArea(4096, 'image-transfer');
    const p = open(probeSlot, probeState);
    await p.initiate(Uint8Array.of(7), img.length);
    for (let n = 0; n < blocks; n++) await p.write(n, img.subarray(n * 512, n * 512 + 512));
    const ops = probeSlot.ops + probeState.ops;
    assert.ok(ops > 2 * blocks, `${ops} operations`);
    for (let cut = 0; cut < ops; cut++) {
      const slot = new NorArea(512 * 1024, 'nonlegal-slot');
      const state = new NorArea(4096, 'image-transfer');
      slot.mem.fill(0x55, 0, 8192); // an older image in the slot
      let budget = cut;
      const spend = () => budget-- <= 0;
      for (const a of [slot, state]) {
        const program = a.program.bind(a),
          erase = a.erase.bind(a);
        a.program = (o, v) => {
          if (spend()) throw new Error('cut');
          program(o, v);
        };
        a.erase = (o) => {
          if (spend()) throw new Error('cut');
          erase(o);
        };
      }
      const s = open(slot, state);
      await assert.rejects(
        (async () => {
          await s.initiate(Uint8Array.of(7), img.length);
          for (let n = 0; n < blocks; n++) await s.write(n, img.subarray(n * 512, n * 512 + 512));
        })(),
        /cut/,
      );
      // restart on what the chip holds (no more cuts)
      const slot2 = slot.clone(),
        state2 = state.clone();
      const r = open(slot2, state2);
      const st = r.state();
      if (st)
        for (let n = 0; n < blocks; n++)
          if (st.has(n))
            assert.deepEqual(slot2.mem.subarray(n * 512, n * 512 + 512), img.subarray(n * 512, n * 512 + 512), `cut ${cut}: block ${n}`);
      await r.initiate(Uint8Array.of(7), img.length);
      const held = r.state()!;
      for (let n = 0; n < blocks; n++) if (!held.has(n)) await r.write(n, img.subarray(n * 512, n * 512 + 512));
      assert.deepEqual(slot2.mem.subarray(0, img.length), img, `cut ${cut}`);
    }
  });
});
