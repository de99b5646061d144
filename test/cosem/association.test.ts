import assert from 'node:assert/strict';
import type { DlmsData } from '../../modules/nonlegal/dlms/axdr.js';
import { AcseServiceUserDiagnostic, DataAccessResult, Mechanism } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { decodeAcse, encodeAcse } from '../../modules/nonlegal/dlms/acse.js';
import { decodeApdu, encodeApdu } from '../../modules/nonlegal/dlms/xdlms.js';
import { ClassId, DlmsError, Unit, items, num, octets, os, formatObis } from './exports.js';
import { CLIENT_TITLE, KEYS, client, hex, linkTo, makeMeter, type Transport } from './helpers.js';

type Entry = { classId: number; ln: Uint8Array; readable: number[] };
function objectList(d: DlmsData): Entry[] {
  return (items(d) ?? []).map((e) => {
    const f = items(e) as DlmsData[];
    const attrs = items(items(f[3])?.[0]) ?? [];
    const readable = attrs.filter((a) => ((num(items(a)?.[1]) ?? 0) & 1) === 1).map((a) => num(items(a)?.[0]) as number);
    return { classId: num(f[0]) as number, ln: octets(f[2]) as Uint8Array, readable };
  });
}

for (const kind of ['udp', 'hdlc'] as Transport[]) {
  describe(`association and reads over ${kind}`, () => {
    it('public client (SAP 16, lowest): reads every attribute it may read, values and units right', async () => {
      const m = makeMeter();
      const c = client(linkTo(m, kind, 16).link);
      await c.associate();
      const list = objectList(await c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 2));
      const lns = list.map((e) => formatObis(e.ln));
      assert.ok(lns.includes('1.0.1.8.0.255') && lns.includes('1.0.99.1.0.255'));
      assert.ok(!lns.includes('0.0.43.0.0.255') && !lns.includes('0.0.25.9.0.255'), 'no security/push setup for the public client');
      let reads = 0;
      for (const e of list)
        for (const a of e.readable) {
          await c.get(e.classId, e.ln, a);
          reads++;
        }
      assert.ok(reads > 60, `${reads} reads`);
      assert.deepEqual(await c.get(ClassId.REGISTER, '1.0.1.8.0.255', 2), { type: 'double-long-unsigned', value: 123456 });
      assert.deepEqual(await c.get(ClassId.REGISTER, '1.0.1.8.0.255', 3), {
        type: 'structure',
        items: [
          { type: 'integer', value: 0 },
          { type: 'enum', value: Unit.WH },
        ],
      });
      assert.deepEqual(await c.get(ClassId.REGISTER, '1.0.32.7.0.255', 3), {
        type: 'structure',
        items: [
          { type: 'integer', value: -1 },
          { type: 'enum', value: Unit.V },
        ],
      });
      assert.deepEqual(await c.get(ClassId.REGISTER, '1.0.3.8.0.255', 3), {
        type: 'structure',
        items: [
          { type: 'integer', value: 0 },
          { type: 'enum', value: Unit.VARH },
        ],
      });
      assert.equal(new TextDecoder().decode(octets(await c.get(ClassId.DATA, '0.0.42.0.0.255', 2))), 'MMM0000012345678');
      assert.equal(octets(await c.get(ClassId.CLOCK, '0.0.1.0.0.255', 2))?.length, 12);
      assert.equal(num(await c.get(ClassId.PROFILE_GENERIC, '1.0.99.1.0.255', 4)), 900);
      await assert.rejects(
        c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 7),
        (e: DlmsError) => e.code === DataAccessResult.READ_WRITE_DENIED,
      );
      await assert.rejects(c.set(ClassId.CLOCK, '0.0.1.0.0.255', 3, { type: 'long', value: 60 }), DlmsError);
      await c.release();
    });

    for (const ciphered of [true, false]) {
      it(`management client (SAP 1, HLS-GMAC 4-pass${ciphered ? ', LN with ciphering' : ''}): reads every object`, async () => {
        const m = makeMeter();
        const c = client(linkTo(m, kind, 1).link);
        await c.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered });
        assert.equal(m.server.associationOf(1)?.hls, true);
        const list = objectList(await c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 2));
        assert.equal(list.length, 25);
        for (const e of list) for (const a of e.readable) await c.get(e.classId, e.ln, a);
        assert.deepEqual(await c.get(ClassId.SECURITY_SETUP, '0.0.43.0.0.255', 4), os(CLIENT_TITLE));
        assert.equal(num(await c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 8)), 2);
        assert.equal(
          num(await c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 6)) ??
            octets(await c.get(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 6))?.[6],
          5,
        );
        assert.deepEqual(m.events, []);
        await c.release();
        assert.equal(m.server.associationOf(1), undefined);
      });
    }
  });
}

describe('association control', () => {
  it('HLS with a wrong key: f(StoC) fails, association refused, security event', async () => {
    const m = makeMeter();
    const c = client(linkTo(m, 'udp', 1).link, { keys: { ...KEYS, authenticationKey: hex('00'.repeat(16)) } });
    await assert.rejects(c.associate({ mechanism: Mechanism.HIGH_GMAC }), DlmsError);
    assert.deepEqual(
      m.events.map((e) => e[0]),
      ['authentication-failure'],
    );
    assert.equal(m.server.associationOf(1), undefined);
  });

  it('HLS ciphered with a wrong encryption key: glo-initiate-request not decipherable, AARE rejected', async () => {
    const m = makeMeter();
    const c = client(linkTo(m, 'hdlc', 1).link, { keys: { ...KEYS, encryptionKey: hex('01'.repeat(16)) } });
    await assert.rejects(c.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true }), DlmsError);
    assert.deepEqual(
      m.events.map((e) => e[0]),
      ['deciphering-failure', 'association-rejected'],
    );
  });

  it('while HLS is pending only reply_to_HLS_authentication is served', async () => {
    const m = makeMeter();
    const aarq = encodeAcse({
      kind: 'aarq',
      applicationContext: 1,
      callingApTitle: CLIENT_TITLE,
      authentication: true,
      mechanism: 5,
      authenticationValue: hex('0102030405060708'),
      userInformation: encodeApdu({
        kind: 'initiate-request',
        responseAllowed: true,
        proposedDlmsVersion: 6,
        proposedConformance: 0xffffff,
        clientMaxReceivePduSize: 512,
      }),
    });
    const aare = decodeAcse((await m.server.handle(1, aarq)) as Uint8Array);
    assert.ok(
      aare.kind === 'aare' &&
        aare.result === 0 &&
        aare.diagnostic === AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED &&
        aare.authenticationValue?.length === 16,
    );
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

  it('low-level security: right password accepted, wrong password refused with a security event', async () => {
    const m = makeMeter();
    await client(linkTo(m, 'udp', 32).link).associate({ mechanism: Mechanism.LOW, password: new TextEncoder().encode('12345678') });
    await assert.rejects(
      client(linkTo(m, 'udp', 32).link).associate({ mechanism: Mechanism.LOW, password: new TextEncoder().encode('wrong') }),
      (e: DlmsError) => e.code === AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE,
    );
    assert.deepEqual(
      m.events.map((e) => e[0]),
      ['authentication-failure'],
    );
  });

  it('refuses an unknown client SAP, a wrong mechanism and ciphering for the public client', async () => {
    const m = makeMeter();
    await assert.rejects(client(linkTo(m, 'udp', 99).link).associate(), DlmsError);
    await assert.rejects(
      client(linkTo(m, 'udp', 1).link).associate(),
      (e: DlmsError) => e.code === AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED,
    );
    await assert.rejects(
      client(linkTo(m, 'udp', 16).link).associate({ ciphered: true }),
      (e: DlmsError) => e.code === AcseServiceUserDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED,
    );
  });

  it('negotiates conformance and PDU size; refuses a too small client PDU', async () => {
    const m = makeMeter();
    const c = client(linkTo(m, 'udp', 16).link, { maxPduSize: 200 });
    await c.associate();
    assert.equal(m.server.associationOf(16)?.maxSend, 200);
    assert.equal(c.serverMaxPdu, 1024);
    assert.equal(c.conformance & 0x08, 0, 'no SET for the public client');
    await assert.rejects(client(linkTo(m, 'udp', 16).link, { maxPduSize: 20 }).associate(), (e: DlmsError) => e.code === 3);
  });
});
