// Bad shell input on the real firmware: a 10,000-byte line, random binary bytes and a flood
// of commands never crash it nor lose later commands. On lin and on the mps2-an386 board.
import assert from 'node:assert/strict';
import { FirmwareNode, type Platform } from '../../emulator/node.js';

function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    b[i] = seed >>> 24;
  }
  return b;
}

for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
  describe(`shell robustness on ${platform}`, function () {
    this.timeout(90000);
    let node: FirmwareNode;
    before(async () => {
      node = await FirmwareNode.start({ platform, role: 'meter' });
      await node.waitFor(/^PARTS started$/);
    });
    after(async () => {
      await node.stop();
    });

    it('answers a wrong parameter count and an unknown command with one error line each', async () => {
      const a = await node.command('SYS TRACE', /^ERROR /);
      assert.deepEqual(a, ['ERROR SYS TRACE takes 1 parameter, got 0']);
      const b = await node.command('SYS FROB 1', /^ERROR /);
      assert.deepEqual(b, ['ERROR unknown command SYS FROB']);
      const c = await node.command('SYS TRACE 0x3', /^trace=/);
      assert.deepEqual(c, ['trace=INFO']);
    });

    it('refuses a 10,000-byte line and runs the command after it', async () => {
      node.skip();
      node.write('X'.repeat(10000) + '\r\nSYS TRACE 2\r\n');
      await node.waitFor(/^ERROR line longer than 128 characters$|^ERROR non-text bytes in line$/, 30000);
      await node.waitFor(/^trace=WARN$/, 30000);
    });

    it('survives random binary input, then answers', async () => {
      node.skip();
      for (let i = 0; i < 8; i++) node.write(randomBytes(1024, 1000 + i));
      node.write('\r\n');
      const lines = await node.command('SYS SHELL', /^lines=/, 30000);
      assert.match(lines.at(-1)!, /^lines=\d+ errors=\d+ overlong=\d+ binary=\d+ uart\.dropped=\d+$/);
    });

    it('handles a flood of commands: every one answered, none lost (receive flow control)', async () => {
      node.skip();
      const from = node.lines.length;
      const n = 200;
      let flood = '';
      for (let i = 0; i < n; i++) flood += `SYS TRACE ${i % 5}\r\n`;
      node.write(flood);
      // a marker command after the flood must be answered
      node.write('SYS SHELL\r\n');
      const stats = await node.waitFor(/^lines=/, 60000);
      const answered = node.lines.slice(from).filter((l) => /^trace=/.test(l)).length;
      const dropped = Number(/uart\.dropped=(\d+)/.exec(stats)![1]);
      assert.equal(answered, n, 'every command of the flood answered');
      assert.equal(dropped, 0, 'no byte dropped: the UART holds the sender while the ring is full');
      const after = await node.command('SYS VERSION', /^NON-LEGAL /);
      assert.equal(after.length, 5);
    });
  });
}
