import assert from 'node:assert/strict';
import { formatObis, formatObisDisplay, parseObis } from '../../modules/nonlegal/dlms/obis.js';
import { DecodeError } from '../../modules/nonlegal/dlms/errors.js';
import { toH } from './helpers.js';

describe('OBIS codes', () => {
  const table: [string, string, string][] = [
    ['1.0.1.8.0.255', '0100010800FF', '1.0.1.8.0.255'],
    ['0.0.1.0.0.255', '0000010000FF', '0.0.1.0.0.255'], // clock
    ['1-0:1.8.0*255', '0100010800FF', '1.0.1.8.0.255'],
    ['1-0:32.7.0', '0100200700FF', '1.0.32.7.0.255'],
    ['0-0:40.0.0.255', '0000280000FF', '0.0.40.0.0.255'],
  ];
  for (const [text, h, canonical] of table) {
    it(`${text} <-> ${h}`, () => {
      const b = parseObis(text);
      assert.equal(toH(b), h);
      assert.equal(formatObis(b), canonical);
    });
  }
  it('display form', () => assert.equal(formatObisDisplay(parseObis('1.0.1.8.0.255')), '1-0:1.8.0*255'));
  it('rejects malformed text and sizes', () => {
    for (const bad of ['1.0.1.8.0', '1.0.1.8.0.256', 'a.b.c.d.e.f', '', '1.0.1.8.0.255.1', '1-0:1.8'])
      assert.throws(() => parseObis(bad), DecodeError, bad);
    assert.throws(() => formatObis(new Uint8Array(5)), DecodeError);
  });
});
