// Shell commands for `npm run bench`, registered after boot where the manifest sets
// config.bench (lin and mps2-an386): `BENCH DSP <seconds>` runs the TypeScript port of the
// metrology DSP on the front-end model's samples and prints its cycle count.
import type { Shell } from '../shell.js';
import { sysMem } from '../platform.js';

function recurse(frames: number): number {
  return frames <= 0 ? 0 : 1 + recurse(frames - 1);
}

export function register(shell: Shell): void {
  // The engine checks its stack bounds (mxBoundsCheck): too deep is FATAL xs: stack overflow.
  shell.register({
    module: 'BENCH',
    command: 'STACK',
    params: 1,
    help: '<frames> - JS recursion that deep: XS stack high-water',
    owner: 'generic',
    handler: (p, out) => {
      const frames = recurse(p[0]!);
      out(`frames=${frames} xs.stack.peak=${sysMem().stackPeak} xs.stack.slots=${sysMem().stackSlots}\r\n`);
    },
  });
  shell.register({
    module: 'BENCH',
    command: 'DSP',
    params: 1,
    help: '<seconds> - DSP in TypeScript: cycles',
    owner: 'generic',
    handler: (p, out) => {
      import('./dsp-ts.js').then(
        (m) => m.bench(p[0]!, out),
        (e) => out(`ERROR BENCH DSP: ${e}\r\n`),
      );
    },
  });
}
