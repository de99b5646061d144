// The XS stack is bounds-checked (tools/build.mjs: mxBoundsCheck): a script that goes deeper
// than the stack the manifest gives ends in "FATAL xs: stack overflow" and the fatal exit
// status (100 + XS_STACK_OVERFLOW_EXIT), never in a write below the stack (without the check
// the G3 stack's depth corrupted the heap: "ArrayBuffer or view expected", then SIGSEGV).
// SYS MEM reports the stack's high-water mark.
import assert from 'node:assert/strict';
import { FirmwareNode, type Platform } from '../../emulator/node.js';

const FATAL_STACK_OVERFLOW = 102;

describe('XS stack bounds', () => {
  for (const platform of ['lin', 'mps2-an386'] as Platform[]) {
    it(`${platform}: recursion within the stack reports its depth; too deep is a clean fatal stop`, async function () {
      this.timeout(60000);
      const node = await FirmwareNode.start({ platform, role: 'meter' });
      try {
        await node.waitFor(/^PARTS started$/);
        const mem = (await node.command('SYS MEM', /^xs\.keys=/)).at(-1)!;
        const m = /xs\.stack\.slots=(\d+) xs\.stack\.peak=(\d+)/.exec(mem);
        assert.ok(m, mem);
        const slots = Number(m[1]);
        const bootPeak = Number(m[2]);
        assert.ok(bootPeak > 0 && bootPeak < slots, `boot peak ${bootPeak} of ${slots}`);
        // 40 frames on top of the shell's own depth fit, and take at least 3 slots each
        const line = (await node.command('BENCH STACK 40', /^frames=/)).at(-1)!;
        const r = /^frames=40 xs\.stack\.peak=(\d+) xs\.stack\.slots=(\d+)$/.exec(line);
        assert.ok(r, line);
        assert.ok(Number(r[1]) > 40 * 3 && Number(r[1]) < slots, line);
        node.skip();
        node.send('BENCH STACK 100000');
        await node.waitFor(/^FATAL xs: stack overflow$/, 30000);
        assert.equal(await node.wait(), FATAL_STACK_OVERFLOW);
      } finally {
        await node.stop();
      }
    });
  }
});
