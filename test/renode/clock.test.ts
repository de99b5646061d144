// The STM32F405 meter's clock tree, legal clock and watchdog (docs/renode.md, "Clock tree, RTC
// and watchdog"). On Renode (RCC, RTC and IWDG modelled): HSE -> PLL -> 168 MHz, the
// millisecond clock follows the RTC when interrupts stay masked across many ticks, and a hung
// event loop is reset by the IWDG. On QEMU's netduinoplus2 (no RCC, no RTC, no IWDG): the
// emulator's fixed clock, SysTick time, and the board still boots. Renode cases skip, saying how
// to install it, where Renode is not found.
import assert from 'node:assert/strict';
import { FirmwareNode } from '../../emulator/node.js';
import { findRenode, RENODE_INSTALL } from '../../tools/renode.mjs';

// SYS CLOCK's counters: uptime.ms, the RTC's seconds and SysTick's own tick count.
function clockFields(line: string): { uptime: number; rtc: number; ticks: number; edges: number } {
  const num = (key: string): number => {
    const m = new RegExp(`(?:^| )${key.replace('.', '\\.')}=(-?\\d+)`).exec(line);
    assert.ok(m, `${key} in ${line}`);
    return Number(m[1]);
  };
  return { uptime: num('uptime.ms'), rtc: num('rtc.s'), ticks: num('ticks'), edges: num('ref.edges') };
}

describe('stm32f405 clock tree, RTC time and watchdog', () => {
  describe('on Renode', function () {
    this.timeout(240000);
    let node: FirmwareNode | undefined;
    before(function () {
      if (!findRenode()) {
        console.log(`      ${RENODE_INSTALL}`);
        this.skip();
      }
    });
    afterEach(async () => {
      await node?.stop();
      node = undefined;
    });

    it('boots on HSE -> PLL at 168 MHz with the RTC and the IWDG; the clock follows the RTC across masked interrupts', async () => {
      node = await FirmwareNode.start({ platform: 'stm32f405', role: 'meter', emulator: 'renode', waitReady: false });
      const boot = await node.waitFor(/^clock source=/, 60000);
      assert.match(
        boot,
        /^clock source=hse-pll hse=8000000 sysclk=168000000 hclk=168000000 pclk1=42000000 pclk2=84000000 flash\.ws=5 rtc=lse time=rtc iwdg\.ms=2000 reset=\S+$/,
      );
      await node.waitFor(/^PARTS started$/, 30000);
      const before = clockFields((await node.command('SYS CLOCK', /^clock mode=/))[0]!);
      // 6 x 400 ms with interrupts masked: SysTick loses nearly every tick, the RTC none
      const masks = 6;
      const maskMs = 400;
      for (let i = 0; i < masks; i++) await node.command(`BENCH MASK ${maskMs}`, /^masked ms=/, 60000);
      const after = clockFields((await node.command('SYS CLOCK', /^clock mode=/))[0]!);
      const uptime = after.uptime - before.uptime;
      const ticks = after.ticks - before.ticks;
      const rtcMs = (after.rtc - before.rtc) * 1000;
      // the scenario: SysTick alone lost most of the masked time
      assert.ok(ticks < masks * maskMs - 1500, `ticks counted ${ticks} of ${masks * maskMs} ms`);
      // the clock: all the masked time, give or take the second the RTC's edge can lag
      assert.ok(uptime >= masks * maskMs - 1000, `uptime advanced ${uptime} ms over ${masks * maskMs} ms masked (ticks ${ticks})`);
      assert.ok(Math.abs(uptime - rtcMs) <= 1100, `uptime ${uptime} ms against RTC ${rtcMs} ms`);
      assert.ok(after.edges >= 1, `RTC edges ${after.edges}`);
      // fed all along (more than the 2 s timeout has passed): no second boot
      assert.ok(!node.lines.slice(1).some((l) => /^clock source=/.test(l)), 'no watchdog reset while healthy');
    });

    it('a hung event loop is reset by the IWDG and boots again', async () => {
      node = await FirmwareNode.start({ platform: 'stm32f405', role: 'meter', emulator: 'renode', waitReady: false });
      await node.waitFor(/^clock source=/, 60000);
      await node.waitFor(/^PARTS started$/, 30000);
      await node.command('BENCH HANG', /^hanging$/);
      // Renode 1.15 does not model RCC_CSR's reset flags (they read PIN, POR, BOR; on silicon
      // the line says reset=iwdg): the stall marker SysTick left in SRAM 250 ms before the
      // 2 s timeout says it, and how long the loop had not fed the watchdog
      const again = await node.waitFor(/^clock source=/, 120000);
      const stall = / iwdg\.ms=2000 reset=\S+ wdg\.stall\.ms=(\d+)$/.exec(again);
      assert.ok(stall, `watchdog reset line: ${again}`);
      assert.ok(Number(stall[1]) >= 1750 && Number(stall[1]) < 2000, `stalled ${stall[1]} ms`);
      await node.waitFor(/^PARTS started$/, 30000);
      const version = await node.command('SYS VERSION', /^NON-LEGAL /);
      assert.match(version[0]!, /^FIRMWARE meter board=stm32f405 /);
      // the marker is read once: a reset that is not the watchdog's (the monitor's, as a reset
      // pin) boots without it
      node.monitor('machine Reset');
      const third = await node.waitFor(/^clock source=/, 120000);
      assert.match(third, / iwdg\.ms=2000 reset=[a-z,]+$/);
    });
  });

  it('on QEMU: the fixed clock, no RTC (SysTick time), the watchdog writes harmless', async function () {
    this.timeout(60000);
    const node = await FirmwareNode.start({ platform: 'stm32f405', role: 'meter', waitReady: false });
    try {
      const boot = await node.waitFor(/^clock source=/, 20000);
      assert.match(boot, /^clock source=fixed hse=0 sysclk=168000000 .* rtc=absent time=systick iwdg\.ms=2000 reset=none$/);
      await node.waitFor(/^PARTS started$/, 20000);
      const line = (await node.command('SYS CLOCK', /^clock mode=/))[0]!;
      assert.match(line, / rtc\.s=-1 ref\.edges=0 /);
    } finally {
      await node.stop();
    }
  });
});
