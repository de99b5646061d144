// The concentrator's meter registry: bounded by config (refused and counted at the bound), and
// kept across a restart in NON-LEGAL's NVRAM area as a versioned, CRC'd two-copy record.
import assert from 'node:assert/strict';
import { FramModel, NodeCrc32 } from '../helpers/fram.js';
import { Registry, RegistryStore, registryConfig, STORE_BASE, STORE_CAPACITY, STORE_SLOT } from '../../modules/nonlegal/dc/registry.js';

const eui = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');

describe('DC registry', () => {
  it('refuses and counts a meter beyond config maxMeters, and a malformed EUI-64', () => {
    const r = new Registry(registryConfig({ maxMeters: 2 }), undefined);
    assert.ok(r.add(eui(2), 0x10));
    assert.ok(r.add(eui(3), 0x11));
    assert.equal(r.add(eui(4), 0x12), undefined);
    assert.equal(r.add('zz', 0x13), undefined);
    assert.equal(r.counters.refused, 2);
    assert.equal(r.size, 2);
    // a known meter is not refused at the bound (its short address follows the PAN)
    assert.equal(r.add(eui(2), 0x20)?.short, 0x20);
  });

  it('validates its config against the NVRAM record capacity', () => {
    assert.throws(() => registryConfig({ maxMeters: STORE_CAPACITY + 1 }), /dc\.maxMeters: 1\.\./);
    assert.throws(() => registryConfig({ maxMeters: 0 }), /dc\.maxMeters/);
    assert.throws(() => registryConfig({ lastValues: 0 }), /dc\.lastValues/);
  });

  it('bounds the last values kept per meter', () => {
    const r = new Registry(registryConfig({ maxMeters: 1, lastValues: 2 }), undefined);
    const m = r.add(eui(2), 1)!;
    for (const o of ['1.0.1.8.0.255', '1.0.2.8.0.255', '0.0.1.0.0.255']) r.remember(m, o, { captureS: 1, values: [1] });
    assert.deepEqual([...m.last.keys()], ['1.0.2.8.0.255', '0.0.1.0.0.255']);
  });

  it('keeps meters, states and cursors across a restart (NVRAM), only in its own bytes', () => {
    const fram = new FramModel(512);
    const crc = new NodeCrc32();
    const a = new Registry(registryConfig({ maxMeters: 3 }), new RegistryStore(fram, crc));
    assert.equal(a.restore(), 0);
    const m = a.add(eui(0x1234), 0x0007)!;
    m.profileCursorS = 1_800_000_900;
    m.eventCursorS = 1_800_000_100;
    m.state = 'suspended';
    a.add(eui(5), 0x0008);
    a.save();
    // nothing outside [192, 512) written
    assert.ok(fram.mem.subarray(0, STORE_BASE).every((x) => x === 0xff));
    const b = new Registry(registryConfig({ maxMeters: 3 }), new RegistryStore(fram, crc));
    assert.equal(b.restore(), 2);
    const r = b.find(eui(0x1234))!;
    assert.equal(r.short, 7);
    assert.equal(r.state, 'suspended');
    assert.equal(r.profileCursorS, 1_800_000_900);
    assert.equal(r.eventCursorS, 1_800_000_100);
    assert.equal(b.find(8)?.eui, eui(5));
    assert.equal(b.storeStatus, 'ok');
  });

  it('survives a torn save (the older copy) and refuses a record of another version', () => {
    const fram = new FramModel(512);
    const crc = new NodeCrc32();
    const a = new Registry(registryConfig({ maxMeters: 3 }), new RegistryStore(fram, crc));
    const m = a.add(eui(9), 9)!;
    m.profileCursorS = 100;
    a.save();
    m.profileCursorS = 200;
    fram.budget = 3; // the next save is cut after 3 bursts of 16 bytes
    assert.throws(() => a.save(), /power cut/);
    fram.budget = Infinity;
    const b = new Registry(registryConfig({ maxMeters: 3 }), new RegistryStore(fram, crc));
    assert.equal(b.restore(), 1);
    assert.equal(b.find(9)?.profileCursorS, 100);
    // a record of version 2 (both copies, CRCs right) is not taken
    for (const at of [STORE_BASE, STORE_BASE + STORE_SLOT]) {
      const raw = new Uint8Array(STORE_SLOT);
      fram.read(at, raw);
      raw[8] = 2;
      new DataView(raw.buffer).setUint32(STORE_SLOT - 4, crc.reset().checksum(raw.subarray(0, STORE_SLOT - 4)) >>> 0, true);
      fram.write(at, raw);
    }
    const s = new RegistryStore(fram, crc);
    assert.equal(new Registry(registryConfig({ maxMeters: 3 }), s).restore(), 0);
    assert.equal(s.status, 'version');
  });
});
