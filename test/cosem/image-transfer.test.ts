// Image transfer (class 18) in the meter's COSEM server over an in-memory link: access only for
// the management client, initiate within the bounds, blocks of image_block_size, the bitmap and
// first missing block, a resumed transfer sends only the missing blocks, verify and activate in
// their order, refusals counted.
import assert from 'node:assert/strict';
import { ActionResult, Mechanism } from '../../modules/nonlegal/dlms/xdlms-const.js';
import {
  ClassId,
  DlmsError,
  ImageStatus,
  ImageTransfer,
  activateImage,
  bitSet,
  i8,
  imageStatus,
  items,
  num,
  octets,
  os,
  sendImage,
  st,
  u32,
  verifyImage,
  type ImageState,
  type ImageStore,
} from './exports.js';
import { client, linkTo, makeMeter } from './helpers.js';

const LN = '0.0.44.0.0.255';

/** A store in memory, as meter/image-store.ts keeps it in flash. */
function memoryStore(verdict: { ok: boolean; reason: string }) {
  let s: { identifier: Uint8Array; size: number; status: number; held: Set<number>; reason: string; version: string } | undefined;
  const data = new Map<number, Uint8Array>();
  const calls: string[] = [];
  const store: ImageStore = {
    blockSize: 64,
    maxSize: 4096,
    maxIdentifier: 16,
    enabled: true,
    state: (): ImageState | undefined =>
      s && {
        identifier: s.identifier,
        size: s.size,
        status: s.status,
        blocks: Math.ceil(s.size / 64),
        has: (n) => s!.held.has(n),
        reason: s.reason,
        version: s.version,
      },
    initiate(identifier, size) {
      calls.push(`initiate ${size}`);
      if (s?.status === ImageStatus.INITIATED && s.size === size && Buffer.from(s.identifier).equals(identifier)) return undefined;
      s = { identifier, size, status: ImageStatus.INITIATED, held: new Set(), reason: '', version: '' };
      data.clear();
      return undefined;
    },
    write(n, b) {
      data.set(n, b);
      s!.held.add(n);
      return undefined;
    },
    verify() {
      calls.push('verify');
      s!.status = verdict.ok ? ImageStatus.VERIFICATION_SUCCESSFUL : ImageStatus.VERIFICATION_FAILED;
      s!.version = '1.2.3+0';
      s!.reason = verdict.reason;
      return verdict;
    },
    activate() {
      calls.push('activate');
      s!.status = ImageStatus.ACTIVATION_INITIATED;
      return undefined;
    },
  };
  return { store, data, calls, image: () => Buffer.concat([...data.keys()].sort((a, b) => a - b).map((k) => data.get(k)!)) };
}

function setup(verdict = { ok: true, reason: '' }) {
  const mem = memoryStore(verdict);
  const object = new ImageTransfer(LN, ['', 'rrrrbrr', '', 'xxxx'], mem.store);
  const m = makeMeter({ extra: [object] });
  return { m, mem, object };
}
const mgmt = async (m: ReturnType<typeof makeMeter>) => {
  const c = client(linkTo(m, 'udp', 1).link);
  await c.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
  return c;
};
const image = (n: number) => new Uint8Array(n).map((_, i) => (i * 7 + 3) & 0xff);
const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 0;
  } catch (e) {
    assert.ok(e instanceof DlmsError, String(e));
    return e.code;
  }
};
const ID = new TextEncoder().encode('NONLEGAL-1.2.3');

describe('Image transfer (class 18) in the COSEM server', () => {
  it('is listed for the management client with 7 attributes and 4 methods, hidden from the public client', async () => {
    const { m } = setup();
    const c = await mgmt(m);
    const list = items(await c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 2))!;
    const e = list.find((x) => octets(items(x)![2])!.join('.') === '0.0.44.0.0.255')!;
    assert.equal(num(items(e)![0]), 18);
    assert.equal(num(items(e)![1]), 0);
    const [attrs, methods] = items(items(e)![3])!;
    assert.equal(items(attrs)!.length, 7);
    assert.equal(items(methods)!.length, 4);
    assert.equal(num(await c.get(18, LN, 2)), 64);
    assert.equal(num(await c.get(18, LN, 6)), ImageStatus.NOT_INITIATED);
    const p = client(linkTo(m, 'udp', 16).link);
    await p.associate();
    await assert.rejects(p.get(18, LN, 6), DlmsError);
    await assert.rejects(p.action(18, LN, 1, st(os(ID), u32(100))), DlmsError);
  });

  it('takes blocks into the bitmap, refuses out-of-bounds ones, resumes with the missing blocks only, verifies, activates', async () => {
    const { m, mem, object } = setup();
    const c = await mgmt(m);
    const img = image(1000); // 16 blocks of 64, the last 40 octets
    // bounds: size above maxSize, an identifier too long, verify and activate before their turn
    assert.equal(await code(c.action(18, LN, 1, st(os(ID), u32(4097)))), ActionResult.OTHER_REASON);
    assert.equal(await code(c.action(18, LN, 1, st(os(new Uint8Array(17).fill(65)), u32(100)))), ActionResult.OTHER_REASON);
    assert.equal(await code(c.action(18, LN, 2, st(u32(0), os(img.subarray(0, 64))))), ActionResult.TEMPORARY_FAILURE);
    assert.equal(await code(c.action(18, LN, 1, { type: 'integer', value: 1 })), ActionResult.TYPE_UNMATCHED);
    await c.action(18, LN, 1, st(os(ID), u32(img.length)));
    assert.equal(num(await c.get(18, LN, 6)), ImageStatus.INITIATED);
    assert.equal(await code(verifyImage(c)), ActionResult.TEMPORARY_FAILURE); // blocks missing
    // blocks 0, 1, 2 and 5; a short block and one past the end refused
    for (const n of [0, 1, 2, 5]) await c.action(18, LN, 2, st(u32(n), os(img.subarray(n * 64, n * 64 + 64))));
    assert.equal(await code(c.action(18, LN, 2, st(u32(3), os(img.subarray(0, 10))))), ActionResult.OTHER_REASON);
    assert.equal(await code(c.action(18, LN, 2, st(u32(16), os(img.subarray(0, 40))))), ActionResult.OTHER_REASON);
    const bits = await c.get(18, LN, 3);
    assert.equal(bits.type === 'bit-string' && bits.bitLength, 16);
    assert.deepEqual(
      [...Array(16).keys()].filter((n) => bitSet(bits, n)),
      [0, 1, 2, 5],
    );
    assert.equal(num(await c.get(18, LN, 4)), 3);
    // the same identifier and size again: only the 12 missing blocks go
    const r = await sendImage(c, img, ID);
    assert.deepEqual(r, { blockSize: 64, blocks: 16, sent: 12 });
    assert.equal(num(await c.get(18, LN, 4)), 16);
    assert.deepEqual(new Uint8Array(mem.image()), img);
    assert.equal(await code(activateImage(c)), ActionResult.TEMPORARY_FAILURE); // not verified yet
    await verifyImage(c);
    assert.equal(await imageStatus(c), ImageStatus.VERIFICATION_SUCCESSFUL);
    const info = items(await c.get(18, LN, 7))!;
    assert.equal(info.length, 1);
    const [size, id, sig] = items(info[0])!;
    assert.equal(num(size), 1000);
    assert.deepEqual(octets(id), ID);
    assert.equal(Buffer.from(octets(sig)!).toString(), '1.2.3+0');
    await activateImage(c);
    assert.equal(await imageStatus(c), ImageStatus.ACTIVATION_INITIATED);
    assert.deepEqual(mem.calls, ['initiate 1000', 'initiate 1000', 'verify', 'activate']);
    assert.deepEqual(object.refused, { disabled: 0, state: 3, bounds: 4, type: 1, store: 0 });
  });

  it('answers a refused verification with other-reason and status verification failed; disabled refuses all', async () => {
    const { m, object } = setup({ ok: false, reason: 'bad signature' });
    const c = await mgmt(m);
    const img = image(130);
    await sendImage(c, img, ID);
    assert.equal(await code(verifyImage(c)), ActionResult.OTHER_REASON);
    assert.equal(await imageStatus(c), ImageStatus.VERIFICATION_FAILED);
    assert.equal(items(await c.get(18, LN, 7))!.length, 0);
    assert.equal(await code(activateImage(c)), ActionResult.TEMPORARY_FAILURE);
    await c.set(18, LN, 5, { type: 'boolean', value: false });
    assert.equal(await code(c.action(18, LN, 1, st(os(ID), u32(100)))), ActionResult.TEMPORARY_FAILURE);
    assert.equal(await code(c.set(18, LN, 2, u32(128))), 3); // read-write-denied
    assert.equal(object.refused.disabled, 1);
    assert.equal(await code(c.action(18, LN, 3, i8(1))), ActionResult.TEMPORARY_FAILURE); // disabled first
  });
});
