// Shell commands for `npm run bench`, registered after boot where the manifest sets
// config.bench (lin and mps2-an386): `BENCH DSP <seconds>` runs the TypeScript port of the
// metrology DSP on the front-end model's samples and prints its cycle count.
import type { Shell } from '../shell.js';

export function register(shell: Shell): void {
  shell.register({
    module: 'BENCH', command: 'DSP', params: 1, help: '<seconds> - DSP in TypeScript: cycles', owner: 'generic',
    handler: (p, out) => {
      import('./dsp-ts.js').then((m) => m.bench(p[0]!, out), (e) => out(`ERROR BENCH DSP: ${e}\r\n`));
    },
  });
}
