import assert from 'node:assert/strict';
import { decodeAcse, encodeAcse, type AcseApdu } from '../../modules/nonlegal/dlms/acse.js';
import { decodeApdu } from '../../modules/nonlegal/dlms/xdlms.js';
import { ApplicationContext, Mechanism } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { DecodeError } from '../../modules/nonlegal/dlms/errors.js';
import { hex, toH } from './helpers.js';

const IR = hex('01000000065F1F0400007E1F04B0');
const IRSP = hex('0800065F1F040000501F01F40007');

// AARQ/AARE/RLRE examples of the DLMS UA Green Book (as quoted with page reference in
// u9n/dlms-cosem tests/test_asce/test_aarq.py, test_aare.py, test_rlre.py) and the
// "Examples for DLMS/COSEM information exchange" by Gyozo Kmethy (DLMS UA).
const vectors: [string, string, AcseApdu][] = [
  [
    'Green Book AARQ, LN, no security',
    '601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0',
    {
      kind: 'aarq',
      applicationContext: ApplicationContext.LN_NO_CIPHERING,
      userInformation: IR,
    },
  ],
  [
    'Kmethy AARQ (max PDU 0xFFFF)',
    '601DA109060760857405080101BE10040E01000000065F1F040000301DFFFF',
    {
      kind: 'aarq',
      applicationContext: 1,
      userInformation: hex('01000000065F1F040000301DFFFF'),
    },
  ],
  [
    'Green Book AARQ, low level security',
    '6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738BE10040E01000000065F1F0400007E1F04B0',
    {
      kind: 'aarq',
      applicationContext: 1,
      authentication: true,
      mechanism: Mechanism.LOW,
      authenticationValue: hex('3132333435363738'),
      userInformation: IR,
    },
  ],
  [
    'Green Book AARQ, HLS-GMAC (CtoS = K56iVagY)',
    '6036A1090607608574050801018A0207808B0760857405080205AC0A80084B35366956616759BE10040E01000000065F1F0400007E1F04B0',
    {
      kind: 'aarq',
      applicationContext: 1,
      authentication: true,
      mechanism: Mechanism.HIGH_GMAC,
      authenticationValue: hex('4B35366956616759'),
      userInformation: IR,
    },
  ],
  [
    'Green Book AARQ, ciphered, LLS, glo-initiateRequest',
    '6066A109060760857405080103A60A04084D4D4D0000BC614E8A0207808B0760857405080201AC0A80083132333435363738BE34043221303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855',
    {
      kind: 'aarq',
      applicationContext: ApplicationContext.LN_WITH_CIPHERING,
      callingApTitle: hex('4D4D4D0000BC614E'),
      authentication: true,
      mechanism: 1,
      authenticationValue: hex('3132333435363738'),
      userInformation: hex('21303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855'),
    },
  ],
  [
    'Green Book AARE, accepted',
    '6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000501F01F40007',
    {
      kind: 'aare',
      applicationContext: 1,
      result: 0,
      diagnosticSource: 'user',
      diagnostic: 0,
      userInformation: IRSP,
    },
  ],
  [
    'Green Book AARE, application context name not supported',
    '6129A109060760857405080101A203020101A305A103020102BE10040E0800065F1F040000501F01F40007',
    {
      kind: 'aare',
      applicationContext: 1,
      result: 1,
      diagnosticSource: 'user',
      diagnostic: 2,
      userInformation: IRSP,
    },
  ],
  [
    'Green Book AARE, DLMS version too low',
    '611FA109060760857405080101A203020101A305A103020101BE0604040E010601',
    {
      kind: 'aare',
      applicationContext: 1,
      result: 1,
      diagnosticSource: 'user',
      diagnostic: 1,
      userInformation: hex('0E010601'),
    },
  ],
  [
    'Green Book AARE, HLS-GMAC, authentication required (StoC = P6wRJ21F)',
    '6142A109060760857405080101A203020100A305A10302010E88020780890760857405080205AA0A8008503677524A323146BE10040E0800065F1F040000501F01F40007',
    {
      kind: 'aare',
      applicationContext: 1,
      result: 0,
      diagnosticSource: 'user',
      diagnostic: 14,
      authentication: true,
      mechanism: 5,
      authenticationValue: hex('503677524A323146'),
      userInformation: IRSP,
    },
  ],
  ['dlms-cosem test_rlre.py RLRE', '6303800100', { kind: 'rlre', reason: 0 }],
  [
    'dlms-cosem test_rlre.py RLRE with InitiateResponse',
    '6316800100BE11040F080100065F1F0400001E1D04C80007',
    {
      kind: 'rlre',
      reason: 0,
      userInformation: hex('080100065F1F0400001E1D04C80007'),
    },
  ],
  [
    'dlms-cosem test_rlre.py RLRE with glo-initiateResponse',
    '6328800100BE230421281F3001234567891214A0845E475714383F65BC19745CA235906525E4F3E1C893',
    {
      kind: 'rlre',
      reason: 0,
      userInformation: hex('281F3001234567891214A0845E475714383F65BC19745CA235906525E4F3E1C893'),
    },
  ],
];

describe('ACSE APDUs (BER)', () => {
  for (const [src, h, a] of vectors) {
    it(`${src}`, () => {
      assert.deepStrictEqual(decodeAcse(hex(h)), a);
      assert.equal(toH(encodeAcse(a)), h);
    });
  }
  it('user-information of the Green Book AARQ/AARE decodes to Initiate APDUs', () => {
    const q = decodeAcse(hex(vectors[0]![1]));
    assert.equal(q.kind, 'aarq');
    assert.equal(decodeApdu(q.userInformation!).kind, 'initiate-request');
    const e = decodeAcse(hex(vectors[7]![1]));
    assert.deepStrictEqual(decodeApdu(e.userInformation!), { kind: 'confirmed-service-error', service: 1, errorKind: 6, error: 1 });
  });
  it('round-trips RLRQ, AARE with responding AP title and provider diagnostic', () => {
    const cases: AcseApdu[] = [
      { kind: 'rlrq', reason: 0, userInformation: IR },
      { kind: 'rlrq' },
      {
        kind: 'aare',
        applicationContext: 3,
        result: 2,
        diagnosticSource: 'provider',
        diagnostic: 1,
        respondingApTitle: hex('4D4D4D0000BC614E'),
      },
      { kind: 'aarq', applicationContext: 1, callingApTitle: hex('0102030405060708'), callingAeInvocationId: 300, mechanism: 0 },
    ];
    for (const a of cases) assert.deepStrictEqual(decodeAcse(encodeAcse(a)), a);
  });
  it('rejects inner elements that overrun their container as DecodeError', () => {
    assert.throws(() => decodeAcse(hex('6005A109060760')), DecodeError);
    assert.throws(() => decodeAcse(hex('6003BE0504')), DecodeError);
    assert.throws(() => decodeAcse(hex('6400')), DecodeError);
    assert.throws(() => decodeAcse(hex('6000')), DecodeError); // no application-context-name
  });
});
