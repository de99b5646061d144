// LEGAL: the front-end layout from the manifest (config.parts.legal.phases, default 3: L1 and the
// neutral on the main chip, L2 and L3 on the STPM34-like second device; 1 = single-phase meter)
// and the shell commands that shape the emulated grid (driver "gridmodel") beyond METRO LOAD:
// harmonics, ADC noise, faults on the second device's link. Kept lean: LEGAL's bytecode is in RAM
// on the STM32F405.
import type { RunServiceFn } from '../generic/services.js';
import type { MetroDriver } from 'drivers/metrology/metro-driver';
import type { GridModel } from 'drivers/gridmodel/gridmodel';

export function setupFrontEnd(RunService: RunServiceFn, driver: MetroDriver, grid: GridModel): void {
  const cfg = RunService('config') as { readonly phases?: number; readonly scenario?: boolean } | undefined;
  driver.layout(cfg?.phases ?? 3);
  if (cfg?.scenario === false) return; // stm32f405: no RAM for these commands' closures
  RunService('shell.register', 'METRO', 'HARM', 5, '<phase> <h 2..15> <V pm> <I pm> <I lag cdeg>', (p, out) => {
    grid.harmonic(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!);
    out(`METRO HARM L${p[0]} h${p[1]}\r\n`);
  });
  RunService('shell.register', 'METRO', 'NOISE', [2, 3], '<V mV> <I mA> [<seed>]', (p, out) => {
    grid.noise(p[0]!, p[1]!, p[2] ?? 0);
    out(`METRO NOISE V=${p[0]} I=${p[1]}\r\n`);
  });
  RunService('shell.register', 'METRO', 'LINK', [3, 4], '<in pm> <out pm> <lost pm> [<seed>]', (p, out) => {
    grid.link(p[0]!, p[1]!, p[2]!, p[3] ?? 0);
    out(`METRO LINK in=${p[0]} out=${p[1]} lost=${p[2]}\r\n`);
  });
}
