// SYS TIME: the system's wall clock that the parts read (misc.time). A board's clock starts at
// the epoch (no battery-backed RTC); the Host Unit sets the date, and the concentrator's
// scheduler then works in it (`DC SCHEDULE` prints its now=). Out-of-range dates are refused.
import assert from 'node:assert/strict';
import { FirmwareNode } from '../../emulator/node.js';

describe('SYS TIME on the mps2-an386 concentrator', function () {
  this.timeout(90000);
  let node: FirmwareNode;
  before(async () => {
    node = await FirmwareNode.start({ platform: 'mps2-an386', role: 'concentrator' });
    await node.waitFor(/^PARTS started$/);
  });
  after(async () => {
    await node.stop();
  });

  const nowOf = async (): Promise<number> => {
    const l = await node.command('DC SCHEDULE', /^DC SCHEDULE /);
    return Number(/ now=(\d+)/.exec(l.at(-1)!)![1]);
  };

  it('starts near the epoch; once set, the parts read the date set, and time goes on from it', async () => {
    assert.ok((await nowOf()) < 86400, 'a board without a date: the epoch plus its uptime');
    const set = await node.command('SYS TIME 1800000000', /^time=/);
    assert.match(set.at(-1)!, /^time=180000000\d previous=\d+ offset\.ms=\d+$/);
    const now = await nowOf();
    assert.ok(now >= 1800000000 && now < 1800000060, `DC SCHEDULE now=${now}`);
    const read = await node.command('SYS TIME', /^time=/);
    assert.ok(Number(/^time=(\d+)/.exec(read.at(-1)!)![1]) >= now);
  });

  it('refuses a date out of range and keeps the clock', async () => {
    const r = await node.command('SYS TIME 5', /^ERROR /);
    assert.match(r.at(-1)!, /^ERROR .*unix seconds 946684800\.\.4102444799/);
    assert.ok((await nowOf()) >= 1800000000);
  });
});

// On the meters the wall clock is the host's (board_set_time_ms, lin's equivalent): SYS TIME sets
// it there, and what the host adds to its own clock is the offset.ms printed.
for (const platform of ['lin', 'mps2-an386'] as const) {
  describe(`SYS TIME sets the host's clock on the ${platform} meter`, function () {
    this.timeout(90000);
    let node: FirmwareNode;
    before(async () => {
      node = await FirmwareNode.start({ platform, role: 'meter' });
      await node.waitFor(/^PARTS started$/);
    });
    after(async () => {
      await node.stop();
    });

    it('the clock read back is the one set plus the time elapsed; offset.ms is what the host adds', async () => {
      const set = (await node.command('SYS TIME 1800000000', /^time=/)).at(-1)!;
      const m = /^time=(\d+) previous=(\d+) offset\.ms=(-?\d+)$/.exec(set);
      assert.ok(m, set);
      assert.ok(Number(m[1]) >= 1800000000 && Number(m[1]) < 1800000005, set);
      // offset.ms = the date set minus the host's own clock when it was set (previous, before any earlier set)
      const own = Number(m[2]) * 1000;
      assert.ok(Math.abs(1800000000 * 1000 - Number(m[3]) - own) < 2000, set);
      const read = (await node.command('SYS TIME', /^time=/)).at(-1)!;
      const t = Number(/^time=(\d+)/.exec(read)![1]);
      assert.ok(t >= 1800000000 && t < 1800000030, read);
      assert.match(read, new RegExp(` offset\\.ms=${m[3]}$`), 'the offset stays');
    });
  });
}
