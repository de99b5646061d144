// Clock and watchdog checks (docs/renode.md, "Clock tree, RTC and watchdog"): registered where
// the manifest sets config.bench or config.clockBench (stm32f405: the bench module itself stays
// off there for its RAM). `BENCH MASK <ms>` masks interrupts that long, `BENCH HANG` hangs the
// event loop.
import type { Shell } from '../shell.js';
import { sysClock, sysMaskIrq } from '../platform.js';

export function register(shell: Shell): void {
  // Interrupts masked that long (a driver that masks them too long): SysTick loses its ticks
  // meanwhile, the RTC does not (SYS CLOCK shows how the clock caught up).
  shell.register({
    module: 'BENCH',
    command: 'MASK',
    params: 1,
    help: '<ms> - interrupts masked for ms (0..10000)',
    owner: 'generic',
    handler: (p, out) => {
      sysMaskIrq(p[0]!);
      out(`masked ms=${p[0]} clock ${sysClock()}\r\n`);
    },
  });
  // A hung task: the event loop never comes round again. A board with a watchdog resets.
  shell.register({
    module: 'BENCH',
    command: 'HANG',
    params: 0,
    help: '- hang the event loop (the watchdog resets the board)',
    owner: 'generic',
    handler: (_p, out) => {
      out('hanging\r\n');
      for (;;) {}
    },
  });
}
