// NVRAM areas (drivers/nvram/nvram.ts nvramAreas): one NVRAM split into LEGAL's, PLC's and
// NON-LEGAL's areas by its capacity, whatever its display line (info()) says.
import assert from 'node:assert/strict';
import { FramModel } from '../helpers/fram.js';

// nvram.ts binds its natives at load: outside XS they are never called here
(globalThis as { native?: unknown }).native = () => () => {
  throw new Error('native called outside XS');
};
const { nvramAreas, NONLEGAL_NVRAM } = await import('../../drivers/nvram/nvram.js');

describe('nvram areas', () => {
  it('splits 8 KB into LEGAL, PLC (32 bytes) and NON-LEGAL, from the capacity', () => {
    const fram = new FramModel(8192);
    fram.info = () => 'kind=file'; // a display line that names no size
    const a = nvramAreas(fram);
    assert.deepEqual([a.legal.capacity(), a.plc.capacity(), a.nonlegal.capacity()], [8192 - NONLEGAL_NVRAM - 32, 32, NONLEGAL_NVRAM]);
    a.nonlegal.write(0, new Uint8Array([1, 2]));
    assert.deepEqual([...fram.mem.subarray(8192 - NONLEGAL_NVRAM, 8192 - NONLEGAL_NVRAM + 2)], [1, 2]);
    a.plc.write(31, new Uint8Array([7]));
    assert.equal(fram.mem[8192 - NONLEGAL_NVRAM - 1], 7);
    assert.throws(() => a.plc.write(32, new Uint8Array(1)), RangeError);
  });

  it('leaves an NVRAM under 2 KB, and an absent one, whole to LEGAL', () => {
    for (const total of [2047, 0]) {
      const a = nvramAreas(new FramModel(total));
      assert.deepEqual([a.legal.capacity(), a.plc.capacity(), a.nonlegal.capacity()], [total, 0, 0]);
    }
  });
});
