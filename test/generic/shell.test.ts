// MNSH on Node: parsing, errors, bounded lines, binary input.
import assert from 'node:assert/strict';
import { Shell, parseParam } from '../../modules/generic/shell.js';

function shell(maxLine = 128) {
  const out: string[] = [];
  const sh = new Shell((t) => out.push(t), maxLine);
  const calls: number[][] = [];
  sh.register({
    module: 'METRO',
    command: 'LOAD',
    params: 4,
    help: '',
    owner: 'legal',
    handler: (p, print) => {
      calls.push(p);
      print('OK\r\n');
    },
  });
  sh.register({
    module: 'PLC',
    command: 'PING',
    params: [1, 2],
    help: '',
    owner: 'plc',
    handler: (p) => {
      calls.push(p);
    },
  });
  return { sh, out, calls };
}
const feed = (sh: Shell, text: string) => sh.input(new Uint8Array(Buffer.from(text, 'latin1')));

describe('shell (MNSH)', () => {
  it('parses decimal, negative and 0x-hex 32-bit parameters', () => {
    assert.equal(parseParam('0x7FFFffff'), 0x7fffffff);
    assert.equal(parseParam('0xFFFFFFFF'), 0xffffffff);
    assert.equal(parseParam('-2147483648'), -2147483648);
    assert.equal(parseParam('4294967295'), 4294967295);
    for (const bad of ['4294967296', '0x100000000', '12a', '0x', '', '1e3', '+1']) assert.equal(parseParam(bad), undefined, bad);
  });

  it('runs a command with its parameters, case-insensitive names', () => {
    const { sh, out, calls } = shell();
    feed(sh, 'metro load 1 230000 0x1388 -3000\r\n');
    assert.deepEqual(calls, [[1, 230000, 0x1388, -3000]]);
    assert.deepEqual(out, ['OK\r\n']);
  });

  it('gives one error line for a wrong parameter count, an unknown command or module, a bad number', () => {
    const { sh, out, calls } = shell();
    feed(sh, 'METRO LOAD 1 2\nMETRO FOO\nXYZ ABC\nPLC PING 1 2 3\nPLC PING zz\n');
    assert.equal(calls.length, 0);
    assert.equal(out.length, 5);
    assert.ok(
      out.every((l) => /^ERROR .+\r\n$/.test(l)),
      out.join(''),
    );
    assert.match(out[0]!, /takes 4 parameters, got 2/);
    assert.match(out[1]!, /unknown command METRO FOO/);
    assert.match(out[2]!, /unknown module XYZ/);
    assert.match(out[3]!, /takes 1 to 2 parameters, got 3/);
    assert.match(out[4]!, /bad parameter 'zz'/);
    assert.equal(sh.stats.errors, 5);
  });

  it('refuses an overlong line with one error and runs the next line', () => {
    const { sh, out, calls } = shell(128);
    feed(sh, 'A'.repeat(10000) + '\r\nPLC PING 7\r\n');
    assert.deepEqual(out, ['ERROR line longer than 128 characters\r\n']);
    assert.deepEqual(calls, [[7]]);
    assert.equal(sh.stats.overlong, 1);
  });

  it('refuses a line with binary bytes and keeps going', () => {
    const { sh, out, calls } = shell();
    feed(sh, 'PLC P\x00\xffING 1\nPLC PING 2\n');
    assert.equal(out.length, 1);
    assert.match(out[0]!, /non-text/);
    assert.deepEqual(calls, [[2]]);
  });

  it('survives random bytes, then still answers', () => {
    const { sh, calls } = shell();
    let seed = 12345;
    const bytes = new Uint8Array(50000);
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    sh.input(bytes);
    feed(sh, '\nPLC PING 9\n');
    assert.deepEqual(calls.at(-1), [9]);
  });

  it('handles lines split across reads and CR LF as one end of line', () => {
    const { sh, calls } = shell();
    feed(sh, 'PLC PI');
    feed(sh, 'NG 3\r');
    feed(sh, '\nPLC PING 4\n');
    assert.deepEqual(calls, [[3], [4]]);
  });

  it("refuses duplicate or malformed registrations and unregisters a part's commands", () => {
    const { sh } = shell();
    assert.throws(() => sh.register({ module: 'PLC', command: 'PING', params: 1, help: '', owner: 'plc', handler: () => {} }), /already/);
    assert.throws(
      () => sh.register({ module: 'bad name', command: 'X', params: 1, help: '', owner: 'plc', handler: () => {} }),
      RangeError,
    );
    assert.equal(sh.unregisterOwner('plc'), 1);
    assert.equal(sh.list().length, 1);
  });

  it('reports a failing handler as an error line', () => {
    const out: string[] = [];
    const sh = new Shell((t) => out.push(t));
    sh.register({
      module: 'X',
      command: 'Y',
      params: 0,
      help: '',
      owner: 'a',
      handler: () => {
        throw new RangeError('nope');
      },
    });
    sh.execute('X Y');
    assert.deepEqual(out, ['ERROR X Y: nope\r\n']);
  });
});
