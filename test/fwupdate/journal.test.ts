// The swap-state journal (modules/generic/fwjournal.ts) over a NOR-like area in memory: bits only
// go 1 -> 0 when programmed, a 4 KB erase sets them back; a torn record is skipped; a START's
// status table gives each sector's finished steps; compaction keeps the security counters.
import assert from 'node:assert/strict';
// @ts-expect-error: plain JavaScript build tool without declarations
import { crc32 } from '../../tools/image.mjs';
import type { FlashArea } from '../../drivers/spinor/flash.js';
import { FwJournal, FwKind, FwPurpose, tableSize } from '../../modules/generic/fwjournal.js';

function area(size = 4096): FlashArea & { bytes: Uint8Array } {
  const bytes = new Uint8Array(size).fill(0xff);
  return {
    bytes,
    id: 3,
    name: 'swap-state',
    size,
    writeAlign: 1,
    erasedValue: 0xff,
    eraseSize: 4096,
    read: (o, v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength).set(bytes.subarray(o, o + v.byteLength)),
    program: (o, v) => {
      new Uint8Array(v.buffer, v.byteOffset, v.byteLength).forEach((b, i) => {
        bytes[o + i]! &= b;
      });
    },
    erase: (o) => bytes.fill(0xff, o, o + 4096),
    info: () => 'swap-state',
  };
}
const crc = (b: Uint8Array) => crc32(b) >>> 0;

describe('fwupdate: swap-state journal', () => {
  it('reads back a swap in progress with the steps done per sector', () => {
    const a = area();
    const j = new FwJournal(a, crc);
    let st = j.read();
    j.append(st, FwKind.Start, 3, FwPurpose.Install, 0, 5, 7);
    st = j.read();
    assert.ok(st.swap);
    j.mark(st.swap.table, 0, 0);
    j.mark(st.swap.table, 0, 1);
    j.mark(st.swap.table, 0, 2);
    j.mark(st.swap.table, 1, 0);
    st = j.read();
    assert.deepEqual([...st.swap!.done], [3, 1, 0, 0, 0]);
    assert.equal(st.swap!.counter, 7);
    assert.equal(st.end, 16 + tableSize(5));
    j.append(st, FwKind.Done, 3, FwPurpose.Install, 0, 5);
    st = j.read();
    assert.equal(st.swap, undefined);
    assert.deepEqual(st.parts[3], { counter: 0, test: true, testCounter: 7, sectors: 5 });
    j.append(st, FwKind.Confirm, 3, 0, 0, 0, 7);
    assert.deepEqual(j.read().parts[3], { counter: 7, test: false, testCounter: 7, sectors: 5 });
  });

  it('skips a torn record and appends after it', () => {
    const a = area();
    const j = new FwJournal(a, crc);
    let st = j.read();
    j.append(st, FwKind.Confirm, 3, 0, 0, 0, 4);
    // a record cut halfway through its program: its first 8 bytes only
    const torn = new Uint8Array(16).fill(0);
    a.program(16, torn.subarray(0, 8));
    st = j.read();
    assert.equal(st.torn, 1);
    assert.equal(st.end, 32);
    j.append(st, FwKind.Refused, 3, 12, 0, 0, 1);
    st = j.read();
    assert.deepEqual(
      st.records.map((r) => [r.at, r.kind]),
      [
        [0, FwKind.Confirm],
        [32, FwKind.Refused],
      ],
    );
    assert.equal(st.parts[3]!.counter, 4);
  });

  it('compacts to the security counters and a test state, and refuses while a swap runs', () => {
    const a = area();
    const j = new FwJournal(a, crc);
    let st = j.read();
    j.append(st, FwKind.Confirm, 2, 0, 0, 0, 9);
    j.append(st, FwKind.Start, 3, FwPurpose.Install, 0, 2, 5);
    st = j.read();
    assert.throws(() => j.compact(st), /during a swap/);
    j.append(st, FwKind.Done, 3, FwPurpose.Install, 0, 2);
    st = j.compact(j.read());
    assert.equal(st.parts[2]!.counter, 9);
    assert.deepEqual(st.parts[3], { counter: 0, test: true, testCounter: 5, sectors: 2 });
    assert.throws(() => {
      for (;;) j.append(st, FwKind.Refused, 3, 1);
    }, /journal full/);
  });
});
