import assert from 'node:assert/strict';
import { decodeApdu, encodeApdu } from '../../modules/nonlegal/dlms/xdlms.js';
import { ActionResult, DataAccessResult, Mechanism, ServiceError } from '../../modules/nonlegal/dlms/xdlms-const.js';
import {
  ClassId,
  DlmsError,
  KeyId,
  aesKeyUnwrap,
  aesKeyWrap,
  arr,
  captureData,
  def,
  en,
  i16,
  items,
  num,
  octets,
  os,
  st,
  u16,
} from './exports.js';
import { CLIENT_TITLE, KEYS, MASTER, client, dateTime, hex, linkTo, makeMeter, nodeAes, type Transport } from './helpers.js';

const LP = '1.0.99.1.0.255';
const mgmt = async (m: ReturnType<typeof makeMeter>, kind: Transport = 'udp', ciphered = true, o = {}) => {
  const l = linkTo(m, kind, 1);
  const c = client(l.link, o);
  await c.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered });
  return { c, ...l };
};

describe('AES key wrap (RFC 3394)', () => {
  it('4.1 test vector: 128-bit key with a 128-bit KEK, and back', () => {
    const kek = hex('000102030405060708090A0B0C0D0E0F'),
      key = hex('00112233445566778899AABBCCDDEEFF');
    const w = aesKeyWrap(nodeAes, kek, key);
    assert.deepEqual(w, hex('1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5'));
    assert.deepEqual(aesKeyUnwrap(nodeAes, kek, w), key);
    w[3] = (w[3] as number) ^ 1;
    assert.equal(aesKeyUnwrap(nodeAes, kek, w), null);
  });
});

for (const kind of ['udp', 'hdlc'] as Transport[]) {
  describe(`services over ${kind}`, () => {
    it('block transfer: the 96-entry load profile through a 128-byte client PDU', async () => {
      const m = makeMeter();
      const { c, loop } = await mgmt(m, kind, true, { maxPduSize: 128 });
      const before = loop.sent.length;
      const rows = items(await c.get(ClassId.PROFILE_GENERIC, LP, 2)) ?? [];
      assert.equal(rows.length, 96);
      assert.deepEqual(items(rows[95])?.[1], { type: 'double-long-unsigned', value: 1950 });
      assert.ok(loop.sent.length - before > 20, `${loop.sent.length - before} requests`);
      // Public client, unciphered, same profile.
      const p = client(linkTo(m, kind, 16).link, { maxPduSize: 128 });
      await p.associate();
      assert.equal((items(await p.get(ClassId.PROFILE_GENERIC, LP, 2)) ?? []).length, 96);
    });

    it('selective access by range returns exactly the entries in range, with selected columns', async () => {
      const m = makeMeter();
      const { c } = await mgmt(m, kind);
      const rows = await c.readProfileByRange(LP, dateTime(1, 1, 0), dateTime(1, 2, 0));
      assert.equal(rows.length, 5);
      assert.deepEqual(
        rows.map((r) => num(items(r)?.[1])),
        [1040, 1050, 1060, 1070, 1080],
      );
      const cols = await c.readProfileByRange(LP, dateTime(1, 23, 45), dateTime(2, 0, 0), [
        def(ClassId.CLOCK, '0.0.1.0.0.255'),
        def(ClassId.REGISTER, '1.0.2.8.0.255'),
      ]);
      assert.equal(cols.length, 1);
      assert.deepEqual(items(cols[0])?.[1], { type: 'double-long-unsigned', value: 95 });
      assert.equal(items(cols[0])?.length, 2);
      assert.equal((await c.readProfileByRange(LP, dateTime(3, 0, 0), dateTime(4, 0, 0))).length, 0);
      const byEntry = await c.readProfileByEntry(LP, 10, 12, 2, 3);
      assert.deepEqual(
        byEntry.map((r) => items(r)?.map(num)),
        [
          [1090, 9],
          [1100, 10],
          [1110, 11],
        ],
      );
      await assert.rejects(
        c.get(ClassId.PROFILE_GENERIC, LP, 2, {
          selector: 1,
          parameters: st(captureData(def(ClassId.DATA, '0.0.42.0.0.255')), os(new Uint8Array(12)), os(new Uint8Array(12)), arr([])),
        }),
        (e: DlmsError) => e.code === DataAccessResult.TYPE_UNMATCHED,
      );
    });

    it('disconnect control: refused to the public client, done by the HLS management client', async () => {
      const m = makeMeter();
      const p = client(linkTo(m, kind, 16).link);
      await p.associate();
      await assert.rejects(p.action(ClassId.DISCONNECT_CONTROL, '0.0.96.3.10.255', 1, { type: 'integer', value: 0 }), DlmsError);
      assert.equal(m.relayClosed.v, true);
      const { c } = await mgmt(m, kind);
      await c.action(ClassId.DISCONNECT_CONTROL, '0.0.96.3.10.255', 1, { type: 'integer', value: 0 });
      assert.equal(m.relayClosed.v, false);
      assert.deepEqual(await p.get(ClassId.DISCONNECT_CONTROL, '0.0.96.3.10.255', 3), en(0));
      await c.set(ClassId.DISCONNECT_CONTROL, '0.0.96.3.10.255', 4, en(2));
      await c.action(ClassId.DISCONNECT_CONTROL, '0.0.96.3.10.255', 2, { type: 'integer', value: 0 });
      assert.equal(m.relayClosed.v, true);
    });

    it('GET with-list, SET normal, clock set through the legal hook, capture period', async () => {
      const m = makeMeter();
      const { c } = await mgmt(m, kind);
      const r = await c.getList([
        [ClassId.REGISTER, '1.0.1.8.0.255', 2],
        [ClassId.REGISTER, '1.0.9.9.9.255', 2],
        [ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 7],
      ]);
      assert.deepEqual(r, [
        { data: { type: 'double-long-unsigned', value: 123456 } },
        { error: DataAccessResult.OBJECT_UNDEFINED },
        { error: DataAccessResult.READ_WRITE_DENIED },
      ]);
      const t = dateTime(5, 10, 30);
      await c.set(ClassId.CLOCK, '0.0.1.0.0.255', 2, {
        type: 'octet-string',
        value: (await import('../../modules/nonlegal/dlms/axdr.js')).encodeDateTime(t),
      });
      assert.deepEqual(m.clockSets, [t]);
      await c.set(ClassId.CLOCK, '0.0.1.0.0.255', 3, i16(60));
      assert.deepEqual(await c.get(ClassId.CLOCK, '0.0.1.0.0.255', 3), i16(60));
      await assert.rejects(c.set(ClassId.CLOCK, '0.0.1.0.0.255', 3, u16(60)), (e: DlmsError) => e.code === DataAccessResult.TYPE_UNMATCHED);
      await c.set(ClassId.PROFILE_GENERIC, LP, 4, { type: 'double-long-unsigned', value: 300 });
      assert.equal(num(await c.get(ClassId.PROFILE_GENERIC, LP, 4)), 300);
      await assert.rejects(
        c.set(ClassId.REGISTER, '1.0.1.8.0.255', 2, { type: 'double-long-unsigned', value: 0 }),
        (e: DlmsError) => e.code === DataAccessResult.READ_WRITE_DENIED,
      );
    });

    it('SET with datablocks (push object list larger than the server PDU) and push', async () => {
      const m = makeMeter({ maxPduSize: 128 });
      const { c } = await mgmt(m, kind);
      const list = Array.from({ length: 12 }, (_, i) => captureData(def(ClassId.REGISTER, i % 2 ? '1.0.1.8.0.255' : '1.0.2.8.0.255')));
      await c.set(ClassId.PUSH_SETUP, '0.0.25.9.0.255', 2, arr(list));
      assert.equal((items(await c.get(ClassId.PUSH_SETUP, '0.0.25.9.0.255', 2)) ?? []).length, 12);
      await c.action(ClassId.PUSH_SETUP, '0.0.25.9.0.255', 1, { type: 'integer', value: 0 });
      assert.equal(m.pushes.length, 1);
      assert.equal(m.pushes[0]?.[0], 0x0f);
    });
  });
}

describe('security services', () => {
  it('a replayed ciphered APDU (same invocation counter) is rejected with a security event', async () => {
    const m = makeMeter();
    const { c, loop } = await mgmt(m, 'udp');
    await c.get(ClassId.REGISTER, '1.0.1.8.0.255', 2);
    const last = loop.sent[loop.sent.length - 1] as Uint8Array;
    const r = decodeApdu((await m.server.handle(1, last.subarray(8))) as Uint8Array);
    assert.ok(
      r.kind === 'exception-response' && r.serviceError === ServiceError.INVOCATION_COUNTER_ERROR && r.invocationCounter === c.ic + 1,
    );
    assert.deepEqual(
      m.events.map((e) => e[0]),
      ['replay'],
    );
    // A forged tag is a deciphering error, and the client goes on.
    const forged = last.subarray(8).slice();
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 0xff;
    forged[6] = 0xff; // IC high byte: would be fresh
    const f = decodeApdu((await m.server.handle(1, forged)) as Uint8Array);
    assert.ok(f.kind === 'exception-response' && f.serviceError === ServiceError.DECIPHERING_ERROR);
    assert.equal(m.events[1]?.[0], 'deciphering-failure');
    assert.equal(num(await c.get(ClassId.REGISTER, '1.0.2.8.0.255', 2)), 42);
  });

  it('plain APDUs are refused inside a ciphered association', async () => {
    const m = makeMeter();
    await mgmt(m, 'udp');
    const r = decodeApdu(
      (await m.server.handle(
        1,
        encodeApdu({
          kind: 'get-request-normal',
          invoke: { invokeId: 1, confirmed: true, highPriority: true },
          attribute: { classId: 3, instance: hex('0100010800FF'), attributeId: 2 },
        }),
      )) as Uint8Array,
    );
    assert.equal(r.kind, 'exception-response');
  });

  it('global_key_transfer (RFC 3394 wrapped) changes the unicast key after the response', async () => {
    const m = makeMeter();
    const { c } = await mgmt(m, 'udp');
    const newKey = hex('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF');
    await c.action(
      ClassId.SECURITY_SETUP,
      '0.0.43.0.0.255',
      2,
      arr([st(en(KeyId.GLOBAL_UNICAST), os(aesKeyWrap(nodeAes, MASTER, newKey)))]),
    );
    assert.deepEqual(
      m.events.map((e) => e[0]),
      ['key-changed'],
    );
    await assert.rejects(c.get(ClassId.REGISTER, '1.0.1.8.0.255', 2), DlmsError); // still the old key
    const n = client(linkTo(m, 'udp', 1).link, { keys: { ...KEYS, encryptionKey: newKey } });
    await n.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
    assert.equal(num(await n.get(ClassId.REGISTER, '1.0.1.8.0.255', 2)), 123456);
    await assert.rejects(
      n.action(ClassId.SECURITY_SETUP, '0.0.43.0.0.255', 2, arr([st(en(0), os(new Uint8Array(24)))])),
      (e: DlmsError) => e.code === ActionResult.OTHER_REASON,
    );
    assert.equal(m.events.at(-1)?.[0], 'deciphering-failure');
    assert.deepEqual(octets(await n.get(ClassId.SECURITY_SETUP, '0.0.43.0.0.255', 4)), CLIENT_TITLE);
  });

  it('global_key_transfer of two keys: onKeys once with the whole key set, before the floor is cleared', async () => {
    const calls: string[] = [];
    let saved: { encryptionKey: Uint8Array; authenticationKey: Uint8Array; masterKey: Uint8Array } | undefined;
    const m = makeMeter({
      security: {
        onReceivedIc: (a) => {
          calls.push(a ? 'ic' : 'floor cleared');
        },
        onKeys: (k, ids) => {
          saved = k;
          calls.push(`keys ${ids.join(',')}`);
        },
        onKeyChange: (id) => {
          calls.push(`key ${id}`);
        },
      },
    });
    const { c } = await mgmt(m, 'udp');
    const e = hex('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF'),
      a = hex('B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF');
    await c.action(
      ClassId.SECURITY_SETUP,
      '0.0.43.0.0.255',
      2,
      arr([
        st(en(KeyId.GLOBAL_UNICAST), os(aesKeyWrap(nodeAes, MASTER, e))),
        st(en(KeyId.AUTHENTICATION), os(aesKeyWrap(nodeAes, MASTER, a))),
      ]),
    );
    assert.deepEqual(
      calls.filter((x) => x !== 'ic'),
      ['keys 0,2', 'floor cleared', 'key 0', 'key 2'],
    );
    assert.deepEqual(saved, { encryptionKey: e, authenticationKey: a, masterKey: MASTER });
  });

  it('the last received invocation counter is restored, reported at each acceptance and cleared by a key change', async () => {
    const kept: ({ title: Uint8Array; ic: number } | undefined)[] = [];
    const m = makeMeter({
      security: {
        receivedIc: { title: CLIENT_TITLE, ic: 5000 },
        onReceivedIc: (a) => {
          kept.push(a);
        },
      },
    });
    // a client at or below the restored counter is refused as a replay, and nothing is kept
    for (const ic of [1000, 4999]) {
      await assert.rejects(mgmt(m, 'udp', true, { invocationCounter: ic }), DlmsError);
      assert.equal(m.events.at(-1)?.[0], 'association-rejected');
      assert.equal(m.events.at(-2)?.[0], 'replay');
    }
    assert.equal(kept.length, 0);
    const { c } = await mgmt(m, 'udp', true, { invocationCounter: 5000 });
    await c.get(ClassId.REGISTER, '1.0.1.8.0.255', 2);
    // every counter accepted was reported, in order: the AARQ's, the HLS pass's ciphered ACTION
    // (the f(StoC) inside it used 5002), the GET's
    assert.deepEqual(
      kept.map((k) => k?.ic),
      [5001, 5003, 5004],
    );
    assert.equal(c.ic, 5004);
    assert.ok(kept.every((k) => k && Buffer.from(k.title).equals(Buffer.from(CLIENT_TITLE))));
    await c.action(
      ClassId.SECURITY_SETUP,
      '0.0.43.0.0.255',
      2,
      arr([st(en(KeyId.GLOBAL_UNICAST), os(aesKeyWrap(nodeAes, MASTER, hex('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF'))))]),
    );
    assert.deepEqual(
      kept.slice(-2).map((k) => k?.ic),
      [5005, undefined],
      'a new key, a new counter space: none kept',
    );
  });

  it('keeps the received counters of at most 8 client system titles: a ninth is refused, the others keep working', async () => {
    const m = makeMeter();
    const title = (k: number) => Uint8Array.from([0x4d, 0x4d, 0x4d, 0, 0, 0, 0, k]);
    for (let k = 1; k <= 8; k++) await mgmt(m, 'udp', true, { systemTitle: title(k) });
    await assert.rejects(mgmt(m, 'udp', true, { systemTitle: title(9) }), DlmsError);
    assert.deepEqual(m.events.at(-2), ['replay', 'client system title beyond the 8 kept']);
    const { c } = await mgmt(m, 'udp', true, { systemTitle: title(3), invocationCounter: 100 });
    assert.equal(await c.get(ClassId.REGISTER, '1.0.1.8.0.255', 2).then((v) => v.type), 'double-long-unsigned');
  });
});
