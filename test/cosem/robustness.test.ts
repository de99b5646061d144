import assert from 'node:assert/strict';
import { decodeApdu, encodeApdu, type Apdu } from '../../modules/nonlegal/dlms/xdlms.js';
import { encodeAcse } from '../../modules/nonlegal/dlms/acse.js';
import { DataAccessResult, Mechanism, ServiceError } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { encodeHdlcFrame, serverAddress } from '../../modules/nonlegal/dlms/hdlc.js';
import { prng } from '../dlms/helpers.js';
import { ClassId, DlmsError, WrapperServerPort, arr, captureData, def, objectTableMarkdown, objectTable } from './exports.js';
import { objectTable as table } from '../../modules/nonlegal/cosem/object-table.js';
import { client, hex, linkTo, makeMeter } from './helpers.js';

const inv = { invokeId: 1, confirmed: true, highPriority: true };
const get = (attributeId = 2, instance = hex('0100010800FF')): Apdu => ({
  kind: 'get-request-normal',
  invoke: inv,
  attribute: { classId: 3, instance, attributeId },
});
const initiate = encodeApdu({
  kind: 'initiate-request',
  responseAllowed: true,
  proposedDlmsVersion: 6,
  proposedConformance: 0xffffff,
  clientMaxReceivePduSize: 256,
});
const AARQ = encodeAcse({ kind: 'aarq', applicationContext: 1, userInformation: initiate });

/** A server reply is null (dropped) or a decodable APDU; never a throw. */
async function reply(m: ReturnType<typeof makeMeter>, sap: number, b: Uint8Array): Promise<Apdu | 'dropped' | 'acse'> {
  const r = await m.server.handle(sap, b);
  if (r === null) return 'dropped';
  if (r[0] === 0x61 || r[0] === 0x63) return 'acse';
  return decodeApdu(r);
}

describe('robustness: malformed input never escapes the server', () => {
  it('random and mutated APDUs give an exception-response, an AARE/RLRE or a drop', async () => {
    const m = makeMeter();
    const rnd = prng(7);
    const valid = [
      AARQ,
      encodeApdu(get()),
      encodeApdu({ kind: 'get-request-next', invoke: inv, blockNumber: 1 }),
      encodeApdu({
        kind: 'action-request-normal',
        invoke: inv,
        method: { classId: 70, instance: hex('0000600300FF'), methodId: 1 },
        parameters: { type: 'integer', value: 0 },
      }),
      encodeAcse({ kind: 'rlrq', reason: 0 }),
      hex('C8 1E 30 00000001 00'),
    ];
    let n = 0;
    for (let i = 0; i < 3000; i++) {
      const base = valid[i % valid.length] as Uint8Array;
      let b: Uint8Array;
      if (i % 3 === 0) b = Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
      else if (i % 3 === 1) b = base.subarray(0, Math.floor(rnd() * base.length));
      else {
        b = base.slice();
        for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      }
      if (i % 50 === 0) await m.server.handle(16, AARQ); // sometimes associated, sometimes not
      const r = await reply(m, 16, b);
      if (r !== 'dropped') n++;
    }
    assert.ok(n > 100);
    assert.ok(m.server.drops.malformed > 0);
  });

  it('an xDLMS request without association gets an exception-response', async () => {
    const m = makeMeter();
    const r = await reply(m, 16, encodeApdu(get()));
    assert.ok(typeof r === 'object' && r.kind === 'exception-response' && r.serviceError === ServiceError.OPERATION_NOT_POSSIBLE);
  });

  it('a provider that throws gives a data-access-result, not a crash', async () => {
    const m = makeMeter();
    m.providers.energy = () => {
      throw new Error('METRO down');
    };
    const c = client(linkTo(m, 'udp', 16).link);
    await c.associate();
    await assert.rejects(c.get(ClassId.REGISTER, '1.0.1.8.0.255', 2), (e: DlmsError) => e.code === DataAccessResult.TEMPORARY_FAILURE);
  });

  it('HDLC: garbage, bad FCS, wrong address and frames outside NRM are dropped or answered DM', async () => {
    const m = makeMeter();
    const { hdlc, link, out } = linkTo(m, 'hdlc', 16);
    const h = hdlc as NonNullable<typeof hdlc>;
    const rnd = prng(3);
    for (let i = 0; i < 200; i++)
      await h.input(Uint8Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => (rnd() < 0.1 ? 0x7e : Math.floor(rnd() * 256))));
    await h.input(new Uint8Array(2100).fill(0x7e)); // flag fill flushes a half frame left by the garbage
    const iframe = encodeHdlcFrame({
      type: 'I',
      destination: serverAddress(1, 17, 2),
      source: { upper: 16, size: 1 },
      pf: true,
      ns: 0,
      nr: 0,
      segmented: false,
      info: hex('E6E600C001C100030100010800FF0200'),
    });
    await h.input(iframe); // not connected: DM
    const other = encodeHdlcFrame({
      type: 'SNRM',
      destination: serverAddress(1, 99, 2),
      source: { upper: 16, size: 1 },
      pf: true,
      segmented: false,
      info: new Uint8Array(0),
    });
    await h.input(other);
    assert.ok(h.drops.state >= 1 && h.drops.address >= 1 && h.reader.drops.fcs + h.reader.drops.hcs + h.reader.drops.garbage > 0);
    assert.equal(out?.splice(0).length, 1, 'one DM for the I frame outside NRM');
    // The link still works afterwards.
    const c = client(link);
    await c.associate();
    assert.equal((await c.get(ClassId.REGISTER, '1.0.1.8.0.255', 2)).type, 'double-long-unsigned');
  });

  it('wrapper: a datagram for another wPort or with a bad header is dropped', async () => {
    const m = makeMeter();
    const port = new WrapperServerPort((s, a) => m.server.handle(s, a));
    assert.equal(await port.input(hex('0001 0010 0002 0000')), null);
    assert.equal(await port.input(hex('0002 0010 0001 0001 00')), null);
    assert.deepEqual(port.drops, { malformed: 1, port: 1 });
  });
});

describe('bounds on everything fed from outside', () => {
  it('an APDU longer than the server max PDU is refused (pdu-too-long)', async () => {
    const m = makeMeter({ maxPduSize: 128 });
    await m.server.handle(16, AARQ);
    const r = await reply(m, 16, new Uint8Array(200).fill(0xc0));
    assert.ok(typeof r === 'object' && r.kind === 'exception-response' && r.serviceError === ServiceError.PDU_TOO_LONG);
  });

  it('GET with-list longer than maxListLength is refused', async () => {
    const m = makeMeter({ maxListLength: 4 });
    await m.server.handle(16, AARQ);
    const q = encodeApdu({
      kind: 'get-request-with-list',
      invoke: inv,
      attributes: Array.from({ length: 5 }, () => ({ attribute: { classId: 3, instance: hex('0100010800FF'), attributeId: 2 } })),
    });
    const r = await reply(m, 16, q);
    assert.ok(typeof r === 'object' && r.kind === 'exception-response');
  });

  it('a GET needing more than maxBlocks blocks is aborted; a wrong block number ends the transfer', async () => {
    const m = makeMeter({ maxBlocks: 4 });
    const c = client(linkTo(m, 'udp', 16).link, { maxPduSize: 128 });
    await c.associate();
    await assert.rejects(
      c.get(ClassId.PROFILE_GENERIC, '1.0.99.1.0.255', 2),
      (e: DlmsError) => e.code === DataAccessResult.LONG_GET_ABORTED,
    );
    const r = await reply(m, 16, encodeApdu({ kind: 'get-request-next', invoke: inv, blockNumber: 7 }));
    assert.ok(
      typeof r === 'object' &&
        r.kind === 'get-response-with-datablock' &&
        'error' in r.result &&
        r.result.error === DataAccessResult.NO_LONG_GET_IN_PROGRESS,
    );
  });

  it('SET datablocks beyond maxSetBytes are aborted', async () => {
    const m = makeMeter({ maxPduSize: 128, maxSetBytes: 200 });
    const c = client(linkTo(m, 'udp', 1).link);
    await c.associate({ mechanism: Mechanism.HIGH_GMAC, ciphered: true });
    const list = Array.from({ length: 20 }, () => captureData(def(ClassId.REGISTER, '1.0.1.8.0.255')));
    await assert.rejects(
      c.set(ClassId.PUSH_SETUP, '0.0.25.9.0.255', 2, arr(list)),
      (e: DlmsError) => e.code === DataAccessResult.LONG_SET_ABORTED,
    );
  });

  it('a client bounds block transfer too', async () => {
    const m = makeMeter();
    const c = client(linkTo(m, 'udp', 16).link, { maxPduSize: 128, maxBlocks: 3 });
    await c.associate();
    await assert.rejects(c.get(ClassId.PROFILE_GENERIC, '1.0.99.1.0.255', 2), DlmsError);
  });
});

describe('object table', () => {
  it('lists every object with class, version and access per client', () => {
    const m = makeMeter();
    const rows = objectTable(m.server.objects);
    assert.equal(rows.length, 25);
    assert.equal(table, objectTable);
    const disc = rows.find((r) => r.obis === '0.0.96.3.10.255');
    assert.deepEqual(disc?.methods, [
      { id: 1, public: '-', management: 'x' },
      { id: 2, public: '-', management: 'x' },
    ]);
    const assoc = rows.find((r) => r.obis === '0.0.40.0.0.255');
    assert.deepEqual(assoc?.attributes[6], { id: 7, public: '-', management: 'w' });
    assert.match(objectTableMarkdown(m.server.objects), /\| 1\.0\.1\.8\.0\.255 \| 3 \| 0 \|/);
  });
});
