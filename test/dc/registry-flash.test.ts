// The concentrator's registry on the SPI NOR (modules/nonlegal/dc/registry-flash.ts), on an
// in-memory NOR with the chip model's semantics (test/helpers/nor.ts): 256 meters kept across a
// restart, cursors updated many times through compactions, a power cut at every program and erase
// of a compaction and at random operations over many cycles leaving every meter with its last or
// previous state (never a lost meter), corrupt records dropped and counted, and the figures of a
// day of reads (flash bytes per meter, erases per sector and day).
import assert from 'node:assert/strict';
import { NodeCrc32 } from '../helpers/fram.js';
import { NorArea, SECTOR, xorshift } from '../helpers/nor.js';
import { FlashRegistryStore, RECORD } from '../../modules/nonlegal/dc/registry-flash.js';
import { type PersistedMeter, Registry, registryConfig, STATES } from '../../modules/nonlegal/dc/registry.js';

const AREA = 128 * 1024; // manifest.json config.flash, area 9 dc-registry
const crc = new NodeCrc32();
const eui = (n: number): string => (0x0011_2233_0000_0000n + BigInt(n)).toString(16).toUpperCase().padStart(16, '0');
const open = (nor: NorArea): FlashRegistryStore => new FlashRegistryStore(nor, crc);
const key = (m: PersistedMeter): string => `${m.eui}/${m.short}/${m.state}/${m.profileCursorS}/${m.eventCursorS}`;

/** n meters at cursor round r (each round moves every cursor; some meters change state). */
function meters(n: number, r: number): PersistedMeter[] {
  return Array.from({ length: n }, (_, i) => ({
    eui: eui(i + 1),
    short: i + 1,
    state: STATES[(i + r) % 3]!,
    profileCursorS: 1_800_000_000 + r * 900 + i,
    eventCursorS: 1_800_000_000 + (r >> 2) * 3600,
  }));
}

function byEui(list: readonly PersistedMeter[]): Map<string, string> {
  return new Map(list.map((m) => [m.eui, key(m)]));
}

describe('DC registry on the SPI NOR', () => {
  it('registers 256 meters, refuses the 257th, and restores all 256 with states and cursors', () => {
    const nor = new NorArea(AREA);
    const s = open(nor);
    assert.equal(s.capacity, 1023);
    const a = new Registry(registryConfig({ maxMeters: 256 }, s.capacity), s);
    assert.equal(a.restore(), 0);
    assert.equal(a.storeStatus, 'new');
    for (let i = 1; i <= 256; i++) {
      const m = a.add(eui(i), i)!;
      m.profileCursorS = 1_800_000_000 + i;
      m.eventCursorS = 1_700_000_000 + i;
      if (i % 5 === 0) m.state = 'suspended';
    }
    assert.equal(a.add(eui(257), 257), undefined);
    assert.equal(a.counters.refused, 1);
    a.save();
    const s2 = open(nor.clone());
    const b = new Registry(registryConfig({ maxMeters: 256 }, s2.capacity), s2);
    assert.equal(b.restore(), 256);
    assert.equal(b.storeStatus, 'ok');
    assert.equal(b.storeKind, 'flash');
    for (let i = 1; i <= 256; i++) {
      const m = b.find(eui(i))!;
      assert.equal(m.short, i);
      assert.equal(m.profileCursorS, 1_800_000_000 + i);
      assert.equal(m.eventCursorS, 1_700_000_000 + i);
      assert.equal(m.state, i % 5 === 0 ? 'suspended' : 'joining');
    }
    // only changed meters are appended: 256 adds, then one save of 256 changed cursors
    assert.equal(s.counters.appends, 512);
    assert.equal(s.counters.dropped, 0);
  });

  it('updates every cursor 60 times through compactions; the restart finds the last state of each meter', () => {
    const nor = new NorArea(AREA);
    const s = open(nor);
    s.load();
    for (let r = 0; r < 60; r++) s.save(meters(256, r));
    assert.ok(s.counters.compactions >= 7, `compactions=${s.counters.compactions}`);
    const t = open(nor.clone());
    const got = t.load();
    assert.equal(t.status, 'ok');
    assert.deepEqual(byEui(got), byEui(meters(256, 59)));
    assert.equal(t.counters.dropped, 0);
    // nothing written outside the area, and both banks erased in turn
    const bankSectors = AREA / 2 / SECTOR;
    const e0 = nor.erases.subarray(0, bankSectors),
      e1 = nor.erases.subarray(bankSectors);
    assert.ok(Math.abs(Math.max(...e0) - Math.max(...e1)) <= 1, `${e0} / ${e1}`);
  });

  it('a power cut at every program and erase of a compaction keeps every meter, last or previous state; the old bank is never erased before the new one is valid', function () {
    this.timeout(120000);
    const nor = new NorArea(AREA);
    const s = open(nor);
    s.load();
    let r = 0;
    for (; s.used + 256 <= s.slots; r++) s.save(meters(256, r));
    // the next save (round r) fills the bank mid-way: it compacts into the other bank
    const before = byEui(meters(256, r - 1)),
      after = byEui(meters(256, r)),
      oldBank = s.bank;
    const dry = nor.clone(),
      ds = open(dry);
    ds.load();
    const ops0 = dry.ops;
    ds.save(meters(256, r));
    const ops = dry.ops - ops0;
    assert.equal(ds.counters.compactions, 1);
    assert.equal(ds.counters.erases, 16);
    const bankBytes = AREA / 2;
    let oldAndNew = 0;
    for (let k = 1; k <= ops; k++) {
      const n = nor.clone();
      n.rng = xorshift(k);
      const t = open(n);
      t.load();
      // erases of this save must all fall in the bank being written, never the old one
      const erase = n.erase.bind(n);
      n.erase = (off: number) => {
        assert.ok(Math.floor(off / bankBytes) !== oldBank, `cut ${k}: erase of the old bank at ${off}`);
        erase(off);
      };
      n.budget = k - 1;
      assert.throws(() => t.save(meters(256, r)), /power cut/);
      n.budget = Infinity;
      const u = open(n);
      const got = byEui(u.load());
      assert.equal(got.size, 256, `cut at op ${k} of ${ops}: ${got.size} meters`);
      let fresh = 0;
      for (const [e, v] of got) {
        assert.ok(v === before.get(e) || v === after.get(e), `cut ${k}: ${e} ${v}`);
        if (v === after.get(e)) fresh++;
      }
      if (fresh > 0 && fresh < 256) oldAndNew++;
      // and the store goes on from there: the next save is whole
      u.save(meters(256, r + 1));
      assert.deepEqual(byEui(open(n.clone()).load()), byEui(meters(256, r + 1)), `after cut ${k}`);
    }
    assert.ok(ops > 500, `ops=${ops}`);
    console.log(`      compaction save: ${ops} operations, each cut`);
    assert.ok(oldAndNew > 0);
  });

  it('random power cuts over 400 cycles (programs and erases torn at random): never a lost meter, each at its last or previous state', function () {
    this.timeout(120000);
    const rng = xorshift(0xdc2026);
    let nor = new NorArea(AREA);
    nor.rng = rng;
    let s = open(nor);
    s.load();
    const N = 200;
    let committed = new Map<string, string>();
    let current = meters(N, 0);
    let cuts = 0,
      compactionsCut = 0;
    for (let cycle = 0; cycle < 400; cycle++) {
      // a random subset of the meters changes (cursors, state)
      const next = current.map((m, i) =>
        rng() < 0.7
          ? {
              ...m,
              profileCursorS: m.profileCursorS + 900,
              state: STATES[(cycle + i) % 5]!,
              eventCursorS: m.eventCursorS + (rng() < 0.1 ? 60 : 0),
            }
          : m,
      );
      const cut = rng() < 0.4;
      if (cut) nor.budget = Math.floor(rng() * 150);
      const compactionsBefore = s.counters.compactions;
      try {
        s.save(next);
        nor.budget = Infinity;
        current = next;
        committed = byEui(next);
      } catch (e) {
        assert.match(String(e), /power cut/);
        cuts++;
        if (s.counters.compactions === compactionsBefore && s.used >= s.slots) compactionsCut++; // cut inside a compaction
        nor = nor.clone();
        nor.rng = rng;
        s = open(nor);
        const got = byEui(s.load());
        const want = byEui(next);
        for (const e of committed.keys()) assert.ok(got.has(e), `cycle ${cycle}: ${e} lost`);
        for (const [e, v] of got) assert.ok(v === committed.get(e) || v === want.get(e), `cycle ${cycle}: ${e} ${v}`);
        committed = got;
        // what the store holds is now the truth: the registry restored it
        current = current.map((m) => {
          const k = got.get(m.eui);
          if (!k) return m;
          const [, sh, st, p, ev] = k.split('/');
          return {
            eui: m.eui,
            short: Number(sh),
            state: st as PersistedMeter['state'],
            profileCursorS: Number(p),
            eventCursorS: Number(ev),
          };
        });
      }
    }
    assert.ok(cuts > 80, `cuts=${cuts}`);
    assert.ok(compactionsCut > 0, `compactions cut=${compactionsCut}`);
    assert.deepEqual(byEui(open(nor.clone()).load()), byEui(current));
  });

  it('drops and counts corrupt records (bad CRC-32, fields out of range), torn headers and another layout', () => {
    const nor = new NorArea(AREA);
    const s = open(nor);
    s.load();
    s.save(meters(4, 0));
    s.save(meters(4, 1));
    // meter 2's newest record (slot 6: header, 4 of round 0, then meters 1, 2 of round 1) loses a bit
    const at = 6 * RECORD;
    nor.mem[at + 13]! &= 0xfe;
    // a record with a right CRC-32 but state 9
    const bad = new Uint8Array(RECORD);
    nor.read(7 * RECORD, bad);
    bad[10] = 9;
    new DataView(bad.buffer).setUint32(RECORD - 4, crc.reset().checksum(bad.subarray(0, RECORD - 4)) >>> 0, true);
    const n2 = nor.clone();
    n2.mem.fill(0xff, 7 * RECORD, 8 * RECORD);
    n2.program(7 * RECORD, bad);
    const t = open(n2);
    const got = byEui(t.load());
    assert.equal(t.counters.dropped, 2);
    assert.equal(got.get(eui(2)), key(meters(4, 0)[1]!)); // the previous record
    assert.equal(got.get(eui(3)), key(meters(4, 0)[2]!));
    assert.equal(got.get(eui(1)), key(meters(4, 1)[0]!));
    assert.equal(t.info().includes('dropped=2'), true);
    // appends go after the last non-blank slot, never over a damaged one
    t.save(meters(4, 2));
    assert.deepEqual(byEui(open(n2.clone()).load()), byEui(meters(4, 2)));
    // a torn header: no valid bank, status corrupt, counted; the next save starts afresh
    const n3 = nor.clone();
    n3.mem[4] = 0; // generation 1 -> 0: the CRC-32 no longer matches
    const u = open(n3);
    assert.deepEqual(u.load(), []);
    assert.equal(u.status, 'corrupt');
    assert.equal(u.counters.dropped, 1);
    u.save(meters(2, 3));
    assert.deepEqual(byEui(open(n3.clone()).load()), byEui(meters(2, 3)));
    // a bank written for another bank size is not taken
    const n4 = new NorArea(AREA);
    const w = open(n4);
    w.load();
    w.save(meters(2, 0));
    const v = open(new NorArea(AREA * 2));
    (v as unknown as { area: NorArea }).area.mem.set(n4.mem);
    assert.deepEqual(v.load(), []);
    assert.equal(v.status, 'version');
  });

  it('bounds the meters it keeps by its capacity (half a bank), at save and at load', () => {
    const nor = new NorArea(2 * SECTOR);
    const s = open(nor);
    s.load();
    assert.equal(s.capacity, 63); // (4096 / 32 - 1) / 2
    s.save(meters(100, 0));
    assert.equal(s.load().length, 63);
    for (let r = 1; r < 20; r++) s.save(meters(100, r));
    assert.deepEqual(byEui(open(nor.clone()).load()), byEui(meters(63, 19)));
  });

  it('a day of reads of 256 meters (96 cycles, every profile cursor moved per cycle): flash bytes, erases per sector', () => {
    const nor = new NorArea(AREA);
    const s = open(nor);
    const reg = new Registry(registryConfig({ maxMeters: 256 }, s.capacity), s);
    reg.restore();
    for (let i = 1; i <= 256; i++) reg.add(eui(i), i);
    const p0 = nor.bytesProgrammed,
      e0 = s.counters.erases,
      c0 = s.counters.compactions;
    for (let c = 0; c < 96; c++) {
      for (const m of reg.list()) {
        // as the scheduler: each meter's profile read saves when its cursor moved, the cycle's end once more
        m.profileCursorS = 1_800_000_000 + c * 900;
        if (c % 24 === 0) m.eventCursorS = 1_800_000_000 + c * 900;
        reg.save();
      }
      reg.save();
    }
    const bytes = nor.bytesProgrammed - p0,
      erases = s.counters.erases - e0,
      compactions = s.counters.compactions - c0;
    const perSector = Math.max(...nor.erases);
    console.log(
      `      day of 256 meters: ${s.counters.appends} records, ${bytes} bytes programmed (${(bytes / 256).toFixed(0)} per meter), ${compactions} compactions, ${erases} sector erases (at most ${perSector} per sector of ${AREA / SECTOR})`,
    );
    assert.equal(byEui(open(nor.clone()).load()).size, 256);
    assert.ok(perSector <= 8, `${perSector} erases per sector in a day`);
  });
});
