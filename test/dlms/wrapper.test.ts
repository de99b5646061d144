import assert from 'node:assert/strict';
import { decodeWrapper, decodeWrapperDatagram, encodeWrapper } from '../../modules/nonlegal/dlms/wrapper.js';
import { DecodeError, NeedMoreData } from '../../modules/nonlegal/dlms/errors.js';
import { hex, toH } from './helpers.js';

// u9n/dlms-cosem tests/test_udp_message.py: wrapper 0001 0001 0001 0046 + 70-byte general-glo-ciphering APDU.
const APDU =
  'DB082F192291991641033B30000001E5025CE9D2271FD78BE8C204211A916A9D7F587E0A7A814CADEA89E9593F01F92EA8C087B5BDFDEFEAB6BECF282DFE49C08F5BE6DC8400';
const DATAGRAM = '0001000100010046' + APDU;

describe('DLMS/COSEM IP wrapper', () => {
  it('decodes and encodes the published UDP datagram', () => {
    const p = decodeWrapperDatagram(hex(DATAGRAM));
    assert.equal(p.sourceWPort, 1);
    assert.equal(p.destinationWPort, 1);
    assert.equal(toH(p.apdu), APDU);
    assert.equal(toH(encodeWrapper(p)), DATAGRAM);
  });
  it('splits a TCP stream holding one and a half PDUs', () => {
    const a = encodeWrapper({ sourceWPort: 16, destinationWPort: 1, apdu: hex('C001C100080000010000FF0200') });
    const stream = new Uint8Array([...a, ...a.subarray(0, 5)]);
    const first = decodeWrapper(stream, 0);
    assert.equal(first.end, a.length);
    assert.throws(() => decodeWrapper(stream, first.end), NeedMoreData);
  });
  it('rejects a wrong version, an oversized length and trailing datagram bytes', () => {
    assert.throws(() => decodeWrapper(hex('0002000100010000')), DecodeError);
    assert.throws(() => decodeWrapper(hex('0001000100010100'), 0, { maxLength: 128 }), DecodeError);
    assert.throws(() => decodeWrapperDatagram(hex('000100010001000100AA')), DecodeError);
  });
});
