import assert from 'node:assert/strict';
import {
  ACK,
  ETX,
  STX,
  bcc,
  buildAcknowledgement,
  buildDataReadout,
  buildIdentification,
  buildSignOn,
  formatDataSet,
  parseAcknowledgement,
  parseDataReadout,
  parseDataSet,
  parseIdentification,
  parseSignOn,
  BAUD_CHAR,
} from '../../modules/nonlegal/dlms/iec62056-21.js';
import { DecodeError, NeedMoreData } from '../../modules/nonlegal/dlms/errors.js';
import { asciiBytes, asciiString } from '../../modules/nonlegal/dlms/bytes.js';

const a = (s: string) => asciiBytes(s)!;

describe('IEC 62056-21 mode C', () => {
  it('sign-on request with and without address', () => {
    assert.equal(asciiString(buildSignOn()), '/?!\r\n');
    assert.equal(asciiString(buildSignOn('12345678')), '/?12345678!\r\n');
    assert.deepStrictEqual(parseSignOn(a('/?12345678!\r\n')), { address: '12345678' });
    assert.deepStrictEqual(parseSignOn(a('/?!\r\n')), { address: '' });
    assert.throws(() => parseSignOn(a('/?12')), NeedMoreData);
    assert.throws(() => parseSignOn(a('/12!\r\n')), DecodeError);
  });

  it('identification /XXXZ<id>', () => {
    const id = { manufacturer: 'ISk', baud: '5', id: 'MT174' };
    assert.equal(asciiString(buildIdentification(id)), '/ISk5MT174\r\n');
    assert.deepStrictEqual(parseIdentification(a('/ISk5MT174\r\n')), id);
    assert.deepStrictEqual(parseIdentification(a('/LGZ5\\2ZMD3104107.B32\r\n')), {
      manufacturer: 'LGZ',
      baud: '5',
      id: '\\2ZMD3104107.B32',
    });
    assert.equal(BAUD_CHAR['5'], 9600);
    assert.throws(() => parseIdentification(a('/IS5MT\r\n')), DecodeError);
  });

  it('acknowledgement / option select, incl. mode E (HDLC)', () => {
    assert.deepStrictEqual(Array.from(buildAcknowledgement({ protocol: '0', baud: '5', mode: '0' })), [ACK, 0x30, 0x35, 0x30, 0x0d, 0x0a]);
    assert.deepStrictEqual(parseAcknowledgement(Uint8Array.of(ACK, 0x32, 0x35, 0x32, 0x0d, 0x0a)), { protocol: '2', baud: '5', mode: '2' });
    assert.throws(() => parseAcknowledgement(Uint8Array.of(ACK, 0x32)), NeedMoreData);
    assert.throws(() => parseAcknowledgement(Uint8Array.of(0x15, 0x32, 0x35, 0x32, 0x0d, 0x0a)), DecodeError);
  });

  it('data readout with BCC (XOR from after STX through ETX)', () => {
    const lines = [formatDataSet('1.8.0', '001234.567', 'kWh'), formatDataSet('0.9.1', '123456'), 'F.F(00)'];
    assert.equal(lines[0], '1.8.0(001234.567*kWh)');
    const msg = buildDataReadout(lines);
    assert.equal(msg[0], STX);
    assert.equal(msg[msg.length - 2], ETX);
    assert.equal(msg[msg.length - 1], bcc(msg, 1, msg.length - 1));
    assert.equal(asciiString(msg.subarray(1, -2)), '1.8.0(001234.567*kWh)\r\n0.9.1(123456)\r\nF.F(00)\r\n!\r\n');
    assert.deepStrictEqual(parseDataReadout(msg), lines);
    const bad = msg.slice();
    bad[bad.length - 1]! ^= 1;
    assert.throws(() => parseDataReadout(bad), DecodeError);
    assert.throws(() => parseDataReadout(msg.subarray(0, 10)), NeedMoreData);
    // Hand-computed BCC for the smallest message: STX "!\r\n" ETX -> 21^0D^0A^03 = 0x25
    assert.deepStrictEqual(Array.from(buildDataReadout([])), [STX, 0x21, 0x0d, 0x0a, ETX, 0x25]);
  });

  it('OBIS value lines', () => {
    assert.deepStrictEqual(parseDataSet('1.8.0(001234.567*kWh)'), { address: '1.8.0', values: [{ value: '001234.567', unit: 'kWh' }] });
    assert.deepStrictEqual(parseDataSet('1-0:1.6.0(0.123*kW)(2401011200)'), {
      address: '1-0:1.6.0',
      values: [{ value: '0.123', unit: 'kW' }, { value: '2401011200' }],
    });
    for (const bad of ['1.8.0', '1.8.0(12', '1.8.0(1(2))']) assert.throws(() => parseDataSet(bad), DecodeError, bad);
  });
});
