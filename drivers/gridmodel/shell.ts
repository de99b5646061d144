// The grid model's shell commands (driver "gridmodel", gridmodel.ts): METRO LOAD, and where the
// manifest leaves them in (config.parts.legal.scenario, not false: the STM32F405 has no RAM for
// their closures) METRO HARM, NOISE and LINK. Only lin and the emulated boards have the model, so
// its commands live with it, not in LEGAL: GENERIC registers them (main.ts) once LEGAL has started,
// as GENERIC's. METRO EVENT stays in LEGAL: it states the event's start on the meter's clock.
import type { Shell } from 'generic/shell';
import type { GridModel } from './gridmodel.js';

export function gridShell(shell: Shell, grid: GridModel, controls: boolean): void {
  shell.register({
    module: 'METRO',
    command: 'LOAD',
    params: [4, 5],
    help: '<phase 1..3> <Vrms mV> <Irms mA> <angle centidegrees, + inductive> [<f mHz>]',
    owner: 'generic',
    handler: (p, out) => {
      const second = grid.load(p[0]!, p[1]!, p[2]!, p[3]!);
      if (p.length > 4) grid.frequency(p[4]!);
      out(`METRO LOAD L${p[0]} from second=${second}\r\n`);
    },
  });
  if (!controls) return;
  shell.register({
    module: 'METRO',
    command: 'HARM',
    params: 5,
    help: '<phase> <h 2..15> <V pm> <I pm> <I lag cdeg>',
    owner: 'generic',
    handler: (p, out) => {
      grid.harmonic(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!);
      out(`METRO HARM L${p[0]} h${p[1]}\r\n`);
    },
  });
  shell.register({
    module: 'METRO',
    command: 'NOISE',
    params: [2, 3],
    help: '<V mV> <I mA> [<seed>]',
    owner: 'generic',
    handler: (p, out) => {
      grid.noise(p[0]!, p[1]!, p[2] ?? 0);
      out(`METRO NOISE V=${p[0]} I=${p[1]}\r\n`);
    },
  });
  shell.register({
    module: 'METRO',
    command: 'LINK',
    params: [3, 4],
    help: '<in pm> <out pm> <lost pm> [<seed>]',
    owner: 'generic',
    handler: (p, out) => {
      grid.link(p[0]!, p[1]!, p[2]!, p[3] ?? 0);
      out(`METRO LINK in=${p[0]} out=${p[1]} lost=${p[2]}\r\n`);
    },
  });
}
