// UDP loopback mode in the firmware: the APP protocol runs end to end through TCPIP without a
// power line (::1), on lin and on the mps2-an386 board, without any PLC network. The data
// request goes to the node's own METRO: the datasets must be the records its ring held.
import assert from 'node:assert/strict';
import { FirmwareNode } from '../../emulator/node.js';

for (const platform of ['lin', 'mps2-an386'] as const) {
  describe(`TCPIP loopback on ${platform}`, function () {
    this.timeout(60000);
    let node: FirmwareNode;
    before(async () => {
      node = await FirmwareNode.start({ platform, role: 'meter' });
    });
    after(async () => {
      await node?.stop();
    });

    it('test datagrams and GET_DATA_STREAM through ::1; errors stay one line', async () => {
      await node.command('METRO LOAD 1 230000 4000 0', /^METRO LOAD L1 /);
      assert.match((await node.command('TCPIP LOOPBACK 1', /^TCPIP LOOPBACK/))[0]!, /^TCPIP LOOPBACK on$/);
      const t = await node.command('APP TEST 1 3 200', /^(APP TEST|ERROR)/);
      assert.match(t.at(-1)!, /^APP TEST meter=0x0001 sent=3 ok=3 bad=0 lost=0 ms=\d+$/);
      // wait (polling METRO SHOW) until the ring holds a few records
      for (let i = 0; i < 40; i++) {
        const show = await node.command('METRO SHOW', /^(AP=|ERROR)/);
        const sec = show.find((l) => l.startsWith('second='));
        if (sec && Number(sec.slice(7)) >= 3) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      const d = await node.command('APP GET_DATA_STREAM 16 1', /^(APP GET_DATA_STREAM meter|ERROR)/);
      const rows = d.filter((l) => l.startsWith('DATA '));
      assert.ok(rows.length >= 3, d.join('\n'));
      // 230 V x 4 A in phase on L1 (the last two seconds, fully under that load)
      for (const r of rows.slice(-2)) assert.ok(Math.abs(Number(/ P=(\S+)/.exec(r)![1]) - 920) < 9.2, r);
      // the ring was popped: METRO has none of those records left
      const left = await node.command('METRO GET_DATA 32', /^records=/);
      for (const r of rows) assert.ok(!left.some((l) => l.startsWith(`t=${/t=(\d+)/.exec(r)![1]} `)), r);
      const s = await node.command('APP STATS', /^app port=/);
      assert.match(s[0]!, / unknownType=0 malformed=0 /);
      assert.match((await node.command('APP GET_DATA_STREAM 0 1', /^ERROR/))[0]!, /^ERROR APP GET_DATA_STREAM: n 1\.\.16$/);
    });
  });
}
