// The record of the keys transferred by global_key_transfer (modules/nonlegal/meter/ic-store.ts
// KeyRecord) and the key generation that ties the received-counter floor (record id 3) to it, on
// Node over a model of NON-LEGAL's NVRAM area that tears writes into 16-byte bursts like
// drivers/nvram: a cut after every burst of a key change (key record, then floor) must leave the
// old keys with their floor or the new keys with none, never a mix.
import assert from 'node:assert/strict';
import { KeyRecord, NvRecord, REC_RECEIVED_IC, floorOf, floorPayload, type MeterKeys } from '../../modules/nonlegal/meter/ic-store.js';
import { FramModel, NodeCrc32 } from '../helpers/fram.js';
import { KEYS, MASTER, hex, nodeAes } from '../cosem/helpers.js';

class Fram extends FramModel {
  constructor() {
    super(512);
  }
}
class Crc extends NodeCrc32 {}

const FACTORY: MeterKeys = { ...KEYS, masterKey: MASTER };
const SET_A: MeterKeys = { ...FACTORY, encryptionKey: hex('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF') };
const SET_B: MeterKeys = {
  ...FACTORY,
  encryptionKey: hex('B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF'),
  authenticationKey: hex('C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF'),
};
const TITLE = hex('4D4D4D0000000002');

const contains = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).indexOf(Buffer.from(needle)) >= 0;
const same = (a: MeterKeys, b: MeterKeys) =>
  Buffer.from(a.encryptionKey).equals(b.encryptionKey) &&
  Buffer.from(a.authenticationKey).equals(b.authenticationKey) &&
  Buffer.from(a.masterKey).equals(b.masterKey);

/** What a boot finds: the keys, their generation and the floor that applies to them. */
function boot(fram: Fram, crc: Crc) {
  const rec = new KeyRecord(fram, crc, nodeAes, MASTER);
  const keys = rec.load(FACTORY);
  const p = new NvRecord(fram, crc, REC_RECEIVED_IC).load();
  return { rec, keys, floor: p ? floorOf(p, rec) : undefined };
}

/** A key change as the meter does it: the key record first, then the floor cleared. */
function change(rec: KeyRecord, fram: Fram, crc: Crc, keys: MeterKeys, ids: number[]) {
  rec.save(keys, ids);
  new NvRecord(fram, crc, REC_RECEIVED_IC).save(floorPayload(undefined, rec.generation));
}

describe('nonlegal: transferred keys in NVRAM (KeyRecord)', () => {
  it('blank: factory keys, generation 0; saved keys come back wrapped, never in clear', () => {
    const fram = new Fram(),
      crc = new Crc();
    const r = new KeyRecord(fram, crc, nodeAes, MASTER);
    assert.ok(same(r.load(FACTORY), FACTORY));
    assert.equal(r.status, 'new');
    assert.equal(r.generation, 0);
    r.save(SET_B, [0, 2]);
    assert.equal(r.generation, 1);
    const b = boot(fram, crc);
    assert.ok(same(b.keys, SET_B));
    assert.equal(b.rec.status, 'ok');
    assert.equal(b.rec.mask, 0b101);
    assert.equal(b.rec.generation, 1);
    for (const k of [SET_B.encryptionKey, SET_B.authenticationKey, MASTER])
      assert.ok(!contains(fram.mem, k), 'a key in clear in the NVRAM');
    // only the transferred keys are stored: the master key's place stays empty (sequence 1 is in
    // the second copy, at 256 + 96)
    assert.ok(fram.mem.subarray(352 + 64, 352 + 88).every((x) => x === 0));
    assert.ok(!fram.mem.subarray(352 + 16, 352 + 40).every((x) => x === 0));
  });

  it('a master key transfer is stored too and keeps the generation', () => {
    const fram = new Fram(),
      crc = new Crc();
    const r = new KeyRecord(fram, crc, nodeAes, MASTER);
    r.load(FACTORY);
    r.save(SET_A, [0]);
    const m = { ...SET_A, masterKey: hex('E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF') };
    r.save(m, [3]);
    const b = boot(fram, crc);
    assert.ok(same(b.keys, m));
    assert.equal(b.rec.mask, 0b1001);
    assert.equal(b.rec.generation, 1);
    assert.ok(!contains(fram.mem, m.masterKey));
  });

  it('a torn write at every burst leaves the old key set or the new one', () => {
    for (let cut = 0; cut <= 6; cut++) {
      const fram = new Fram(),
        crc = new Crc();
      const r = new KeyRecord(fram, crc, nodeAes, MASTER);
      r.load(FACTORY);
      r.save(SET_A, [0]);
      fram.budget = cut;
      let completed = true;
      try {
        r.save(SET_B, [0, 2]);
      } catch {
        completed = false;
      }
      const b = boot(fram, crc);
      assert.equal(b.rec.status, 'ok', `cut after ${cut} bursts`);
      assert.ok(same(b.keys, completed ? SET_B : SET_A), `cut after ${cut} bursts: neither set`);
      assert.equal(b.rec.generation, completed ? 2 : 1);
      assert.equal(completed, cut === 6);
    }
  });

  it('the floor follows the key generation: a cut anywhere in a key change is consistent', () => {
    // key record 6 bursts, then the floor record 2 bursts
    for (let cut = 0; cut <= 8; cut++) {
      const fram = new Fram(),
        crc = new Crc();
      const r = new KeyRecord(fram, crc, nodeAes, MASTER);
      r.load(FACTORY);
      change(r, fram, crc, SET_A, [0]);
      // the client's counter 500 accepted with SET_A
      new NvRecord(fram, crc, REC_RECEIVED_IC).save(floorPayload({ title: TITLE, ic: 500 }, r.generation));
      assert.deepEqual(boot(fram, crc).floor, { title: TITLE, ic: 500 });
      fram.budget = cut;
      try {
        change(r, fram, crc, SET_B, [0, 2]);
      } catch {
        /* the cut */
      }
      const b = boot(fram, crc);
      if (same(b.keys, SET_A)) assert.deepEqual(b.floor, { title: TITLE, ic: 500 }, `cut after ${cut} bursts: old keys lost their floor`);
      else {
        assert.ok(same(b.keys, SET_B), `cut after ${cut} bursts: neither key set`);
        assert.equal(b.floor, undefined, `cut after ${cut} bursts: the old keys' floor applies to the new keys`);
      }
      assert.equal(same(b.keys, SET_B), cut >= 6);
    }
  });

  it('a floor from another generation never applies, and the next generation is above both records', () => {
    const fram = new Fram(),
      crc = new Crc();
    // a floor of generation 7 (its key record lost) next to a blank key record
    new NvRecord(fram, crc, REC_RECEIVED_IC).save(floorPayload({ title: TITLE, ic: 900 }, 7));
    const b = boot(fram, crc);
    assert.equal(b.floor, undefined);
    assert.equal(b.rec.seen, 7);
    b.rec.save(SET_A, [0]);
    assert.equal(b.rec.generation, 8);
    // a record written before the generation was kept (bytes 16..19 zero) belongs to the factory keys
    const f2 = new Fram();
    new NvRecord(f2, crc, REC_RECEIVED_IC).save(floorPayload({ title: TITLE, ic: 42 }, 0));
    assert.deepEqual(boot(f2, crc).floor, { title: TITLE, ic: 42 });
  });

  it('a corrupt record or a key that does not unwrap leaves the factory keys', () => {
    const fram = new Fram(),
      crc = new Crc();
    const r = new KeyRecord(fram, crc, nodeAes, MASTER);
    r.load(FACTORY);
    r.save(SET_B, [0, 2]);
    // another image's factory master key cannot unwrap them
    const other = new KeyRecord(fram, crc, nodeAes, hex('0F0E0D0C0B0A09080706050403020100'));
    assert.ok(same(other.load(FACTORY), FACTORY));
    assert.equal(other.status, 'unwrap');
    assert.equal(other.seen, 1);
    // both copies damaged
    fram.mem[256 + 20]! ^= 1;
    fram.mem[256 + 96 + 20]! ^= 1;
    const c = boot(fram, crc);
    assert.equal(c.rec.status, 'corrupt');
    assert.ok(same(c.keys, FACTORY));
  });
});
