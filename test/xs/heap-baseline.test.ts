// Issue 16 item 8: "after a long run the XS heap in use returns to its baseline". A lin meter is
// loaded through its optical port (DLMS associations, GETs, profile reads by range, releases,
// noise between frames) and its shell; SYS MEM forces a garbage collection before it reports,
// so what it shows is the heap in use. After the load, slots and chunks in use are back within
// HEAP_MARGIN of the baseline taken after one round of the same load (modules loaded on first
// use, tables at their working size). docs/soak.md.
import assert from 'node:assert/strict';
import { FirmwareNode, type UartLink } from '../../emulator/node.js';
import { nodeGcm } from '../dlms/helpers.js';
import { fromHex } from '../../modules/nonlegal/dlms/bytes.js';
import { serverAddress } from '../../modules/nonlegal/dlms/hdlc.js';
import { DlmsClient } from '../../modules/nonlegal/cosem/index.js';
import { HdlcClientLink } from '../../modules/nonlegal/dlms/hdlc-link.js';
import type { ByteTransport } from '../../modules/nonlegal/dlms/link.js';
import { toDateTime } from '../../modules/nonlegal/cosem/clock.js';

const KEYS = { encryptionKey: fromHex('000102030405060708090A0B0C0D0E0F'), authenticationKey: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const SERVER = serverAddress(1, 17);
/** Slots and chunks in use after the load may exceed the baseline by at most this fraction (docs/soak.md). */
const HEAP_MARGIN = 0.02;
const ROUNDS = 25;

function transport(u: UartLink): ByteTransport {
  return { send: (b) => u.send(b), receive: () => u.receive(5000) };
}
let nextIc = Date.now() % 1e9;

async function heapInUse(node: FirmwareNode): Promise<{ slots: number; chunks: number }> {
  const lines = await node.command('SYS MEM', /^xs\.keys=/);
  const c = /xs\.chunks=(\d+) /.exec(lines.join('\n'));
  const s = /xs\.slots=(\d+) /.exec(lines.join('\n'));
  assert.ok(c && s, lines.join('\n'));
  return { chunks: Number(c[1]), slots: Number(s[1]) };
}

/** One round of load: an association with reads of every kind, a release; shell reads. */
async function round(node: FirmwareNode, u: UartLink): Promise<void> {
  nextIc += 1e6;
  const link = new HdlcClientLink(transport(u), 16, SERVER);
  const c = new DlmsClient({ link, gcm: nodeGcm, keys: KEYS, systemTitle: fromHex('4D4D4D0000000001'), invocationCounter: nextIc });
  await link.open();
  await c.associate();
  await c.get(1, '0.0.42.0.0.255', 2);
  const now = Date.now();
  await c.readProfileByRange('1.0.99.1.0.255', toDateTime(now - 3600000), toDateTime(now));
  await c.get(7, '1.0.99.1.0.255', 3);
  await c.release();
  await link.close();
  // noise on the idle port, and the shell
  await u.send(Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff));
  await node.command('METRO GET_DATA 8', /^records=/);
  await node.command('DLMS STATS', /^profile /);
}

describe('XS heap back to its baseline after load (issue 16 item 8), lin meter', function () {
  this.timeout(300000);
  let node: FirmwareNode;
  let u: UartLink;
  before(async () => {
    node = await FirmwareNode.start({ platform: 'lin', role: 'meter', uart1: true });
    await node.waitFor(/^PARTS started$/);
    u = node.uart1!;
    await u.ready();
  });
  after(async () => {
    await node.stop();
  });

  it(`${ROUNDS} rounds of DLMS and shell load leave slots and chunks within ${HEAP_MARGIN * 100} % of the baseline`, async () => {
    await round(node, u);
    const base = await heapInUse(node);
    let peak = base;
    for (let k = 0; k < ROUNDS; k++) {
      await round(node, u);
      if (k % 5 === 4) {
        const h = await heapInUse(node);
        peak = { slots: Math.max(peak.slots, h.slots), chunks: Math.max(peak.chunks, h.chunks) };
      }
    }
    const end = await heapInUse(node);
    const info = JSON.stringify({ base, end, peak });
    assert.ok(end.slots <= base.slots * (1 + HEAP_MARGIN), `slots: ${info}`);
    assert.ok(end.chunks <= base.chunks * (1 + HEAP_MARGIN), `chunks: ${info}`);
    console.log(`      heap in use: ${info}`);
  });
});
