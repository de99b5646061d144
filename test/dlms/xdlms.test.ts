import assert from 'node:assert/strict';
import { decodeApdu, encodeApdu, type Apdu } from '../../modules/nonlegal/dlms/xdlms.js';
import { Conformance, DataAccessResult } from '../../modules/nonlegal/dlms/xdlms-const.js';
import { DecodeError } from '../../modules/nonlegal/dlms/errors.js';
import { hex, toH } from './helpers.js';

const C1 = { invokeId: 1, confirmed: true, highPriority: true };
const C0 = { invokeId: 0, confirmed: true, highPriority: true };
const clock = { classId: 8, instance: hex('0000010000FF'), attributeId: 2 };

// Conformance proposed in the Green Book AARQ examples (007E1F) and negotiated in its AARE (00501F).
const PROPOSED = 0x007e1f;
const NEGOTIATED = 0x00501f;

const vectors: [string, string, Apdu][] = [
  // Brief / Green Book: GET-Request-Normal for clock (class 8, 0.0.1.0.0.255) attribute 2
  [
    'Green Book GET-Request-Normal (clock time)',
    'C001C100080000010000FF0200',
    { kind: 'get-request-normal', invoke: C1, attribute: clock },
  ],
  // u9n/dlms-cosem tests/test_xdlms/test_get.py
  [
    'dlms-cosem test_get.py normal',
    'C001C1000100002B0100FF0200',
    { kind: 'get-request-normal', invoke: C1, attribute: { classId: 1, instance: hex('00002B0100FF'), attributeId: 2 } },
  ],
  ['dlms-cosem test_get.py next', 'C002C100000001', { kind: 'get-request-next', invoke: C1, blockNumber: 1 }],
  [
    'dlms-cosem test_get.py with-list',
    'C003C102000100002A0000FF020000080000010000FF0200',
    {
      kind: 'get-request-with-list',
      invoke: C1,
      attributes: [{ attribute: { classId: 1, instance: hex('00002A0000FF'), attributeId: 2 } }, { attribute: clock }],
    },
  ],
  [
    'dlms-cosem test_get.py response',
    'C401C1000600001391',
    { kind: 'get-response-normal', invoke: C1, result: { data: { type: 'double-long-unsigned', value: 5009 } } },
  ],
  [
    'dlms-cosem test_get.py response error',
    'C401C10101',
    { kind: 'get-response-normal', invoke: C1, result: { error: DataAccessResult.HARDWARE_FAULT } },
  ],
  // u9n/dlms-cosem tests/test_xdlms/test_set.py
  [
    'dlms-cosem test_set.py set normal',
    'C101C100080000010000FF0200090C07E50118FF0E303950FFC400',
    {
      kind: 'set-request-normal',
      invoke: C1,
      attribute: clock,
      value: { type: 'octet-string', value: hex('07E50118FF0E303950FFC400') },
    },
  ],
  // Green Book Table 137 (writing an attribute with block transfer), as quoted in test_set.py
  [
    'Green Book Table 137 set first datablock',
    'C102C100010000800000FF0200000000000115093201020304050607080910111213141516171819',
    {
      kind: 'set-request-with-first-datablock',
      invoke: C1,
      attribute: { classId: 1, instance: hex('0000800000FF'), attributeId: 2 },
      lastBlock: false,
      blockNumber: 1,
      raw: hex('093201020304050607080910111213141516171819'),
    },
  ],
  ['dlms-cosem test_set.py set response', 'C501C100', { kind: 'set-response-normal', invoke: C1, result: 0 }],
  ['dlms-cosem test_set.py datablock response', 'C502C100000001', { kind: 'set-response-datablock', invoke: C1, blockNumber: 1 }],
  [
    'dlms-cosem test_set.py last datablock response',
    'C503C10000000002',
    { kind: 'set-response-last-datablock', invoke: C1, result: 0, blockNumber: 2 },
  ],
  // u9n/dlms-cosem tests/test_xdlms/test_action.py: reply_to_HLS_authentication (class 15, method 1) with f(CtoS)
  [
    'dlms-cosem test_action.py HLS reply',
    'C301C0000F0000280000FF010109111000001A90E6D2221FA2FD85EED61ACC22',
    {
      kind: 'action-request-normal',
      invoke: C0,
      method: { classId: 15, instance: hex('0000280000FF'), methodId: 1 },
      parameters: { type: 'octet-string', value: hex('1000001A90E6D2221FA2FD85EED61ACC22') },
    },
  ],
  [
    'dlms-cosem test_action.py no params',
    'C301C0000F0000280000FF0100',
    { kind: 'action-request-normal', invoke: C0, method: { classId: 15, instance: hex('0000280000FF'), methodId: 1 } },
  ],
  ['dlms-cosem test_action.py response', 'C701C00000', { kind: 'action-response-normal', invoke: C0, result: 0 }],
  [
    'dlms-cosem test_action.py response with data',
    'C701C000010009111000001AFDE8857B728A3499106AA665D1',
    {
      kind: 'action-response-normal',
      invoke: C0,
      result: 0,
      returnParameters: { data: { type: 'octet-string', value: hex('1000001AFDE8857B728A3499106AA665D1') } },
    },
  ],
  [
    'dlms-cosem test_action.py response with error',
    'C701C00001 01FA'.replace(' ', ''),
    { kind: 'action-response-normal', invoke: C0, result: 0, returnParameters: { error: 250 } },
  ],
  // u9n/dlms-cosem tests/test_xdlms/test_initiate.py (Green Book AARQ/AARE user-information)
  [
    'Green Book InitiateRequest',
    '01000000065F1F0400007E1F04B0',
    {
      kind: 'initiate-request',
      responseAllowed: true,
      proposedDlmsVersion: 6,
      proposedConformance: PROPOSED,
      clientMaxReceivePduSize: 1200,
    },
  ],
  [
    'Green Book InitiateRequest with dedicated key',
    '01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E1F04B0',
    {
      kind: 'initiate-request',
      dedicatedKey: hex('00112233445566778899AABBCCDDEEFF'),
      responseAllowed: true,
      proposedDlmsVersion: 6,
      proposedConformance: PROPOSED,
      clientMaxReceivePduSize: 1200,
    },
  ],
  [
    'Green Book InitiateResponse',
    '0800065F1F040000501F01F40007',
    {
      kind: 'initiate-response',
      negotiatedDlmsVersion: 6,
      negotiatedConformance: NEGOTIATED,
      serverMaxReceivePduSize: 500,
      vaaName: 7,
    },
  ],
  [
    'dlms-cosem test_initiate.py InitiateResponse with QoS',
    '080100065F1F0400001E1D04C80007',
    {
      kind: 'initiate-response',
      negotiatedQualityOfService: 0,
      negotiatedDlmsVersion: 6,
      negotiatedConformance: 0x001e1d,
      serverMaxReceivePduSize: 1224,
      vaaName: 7,
    },
  ],
  // Green Book AARE example (dlms-cosem test_aare.py): confirmed-service-error, initiate, dlms-version-too-low
  ['Green Book confirmed-service-error', '0E010601', { kind: 'confirmed-service-error', service: 1, errorKind: 6, error: 1 }],
];

// Round trips for APDUs without a published vector (encodings follow the ASN.1 of 62056-5-3).
const roundTrips: Apdu[] = [
  {
    kind: 'get-request-normal',
    invoke: { invokeId: 5, confirmed: true, highPriority: false },
    attribute: { classId: 7, instance: hex('0100630100FF'), attributeId: 2 },
    access: { selector: 1, parameters: { type: 'structure', items: [{ type: 'null' }, { type: 'null' }] } },
  },
  { kind: 'get-response-with-datablock', invoke: C1, lastBlock: false, blockNumber: 1, result: { raw: hex('0102030405') } },
  {
    kind: 'get-response-with-datablock',
    invoke: C1,
    lastBlock: true,
    blockNumber: 9,
    result: { error: DataAccessResult.DATA_BLOCK_NUMBER_INVALID },
  },
  { kind: 'get-response-with-list', invoke: C1, results: [{ data: { type: 'unsigned', value: 1 } }, { error: 4 }] },
  { kind: 'set-request-with-datablock', invoke: C1, lastBlock: true, blockNumber: 2, raw: hex('AABB') },
  {
    kind: 'set-request-with-list',
    invoke: C1,
    attributes: [{ attribute: clock }, { attribute: { classId: 1, instance: hex('00002A0000FF'), attributeId: 2 } }],
    values: [{ type: 'null' }, { type: 'visible-string', value: 'x' }],
  },
  { kind: 'set-response-with-list', invoke: C1, results: [0, 3] },
  { kind: 'exception-response', stateError: 1, serviceError: 2 },
  { kind: 'exception-response', stateError: 2, serviceError: 6, invocationCounter: 0x01020304 },
  {
    kind: 'initiate-request',
    responseAllowed: false,
    proposedQualityOfService: 3,
    proposedDlmsVersion: 6,
    proposedConformance: Conformance.GET | Conformance.SET | Conformance.ACTION,
    clientMaxReceivePduSize: 0xffff,
  },
];

describe('xDLMS APDUs (LN referencing)', () => {
  for (const [src, h, a] of vectors) {
    it(`${src}: ${h}`, () => {
      assert.deepStrictEqual(decodeApdu(hex(h)), a);
      assert.equal(toH(encodeApdu(a)), h);
    });
  }
  for (const a of roundTrips) {
    it(`round-trips ${a.kind}`, () => assert.deepStrictEqual(decodeApdu(encodeApdu(a)), a));
  }
  it('conformance bits decode to the named features', () => {
    for (const f of [
      'GET',
      'SET',
      'ACTION',
      'SELECTIVE_ACCESS',
      'EVENT_NOTIFICATION',
      'PRIORITY_MGMT_SUPPORTED',
      'BLOCK_TRANSFER_WITH_GET_OR_READ',
    ] as const)
      assert.ok(PROPOSED & Conformance[f], f);
    assert.equal(PROPOSED & Conformance.GENERAL_PROTECTION, 0);
  });
  it('rejects wrong tags and types with DecodeError (dlms-cosem negative cases)', () => {
    for (const h of [
      'C004C100000001',
      'C404C10000',
      'C701C00002',
      'C302C0000F0000280000FF0100',
      'C1AAC100',
      '4200',
      '01000000065F1E0400007E1F04B0',
    ])
      assert.throws(() => decodeApdu(hex(h)), DecodeError, h);
  });
});
