// GENERIC's singletons: the message service, the shell, the traces, the LCD model and the
// per-owner instances of the "timer" module. Imported by main and by the named modules that
// offer Moddable and ECMA-419 shapes ("timer", "embedded:io/serial").
import config from 'mc/config';
import { Kernel, type KernelLimits } from './kernel.js';
import { Shell } from './shell.js';
import { Trace } from './trace.js';
import { Lcd } from './lcd.js';
import { makeTimer, type TimerModule } from './timer.js';
import * as platform from './platform.js';

const shellConfig = (config as { readonly shell?: { readonly maxLine?: number } }).shell;
/** The message service's bounds (manifest config.kernel; defaults: kernel.ts defaultLimits). */
const kernelConfig = (config as { readonly kernel?: Partial<KernelLimits> }).kernel;

export const print = platform.consoleWrite;
export const kernel = new Kernel({ now: platform.millis, wakeAt: platform.wake }, kernelConfig);
export const shell = new Shell(print, shellConfig?.maxLine);
export const trace = new Trace(print);
export const lcd = new Lcd();

function spin(ms: number) {
  const end = platform.millis() + ms;
  while (platform.millis() < end);
}

const timerModules = new Map<string, TimerModule>();
export function timerModule(owner: string): TimerModule {
  let t = timerModules.get(owner);
  if (!t) {
    t = makeTimer(kernel, owner, spin);
    timerModules.set(owner, t);
  }
  return t;
}
