// Bindings to the runtime's C natives (hosts/common/xsruntime.c). Only GENERIC has native():
// the parts reach these through the services they are granted.

export interface RuntimeHooks {
  onTimer(now: number): void;
  onReadable(port: number, count: number): void;
}

export interface ImageInfo {
  readonly part: string;
  readonly status: string;
  readonly version: number;
  readonly size: number;
  readonly modules: number;
  readonly sha256: string;
  readonly address: number;
  /** where its bytecode runs: flash (linked, in place), relocated (RAM copy), ram (not linked), bad */
  readonly code: string;
}

export interface MemInfo {
  readonly chunks: number;
  readonly chunksPeak: number;
  readonly chunksMax: number;
  readonly slots: number;
  readonly slotsPeak: number;
  readonly slotsMax: number;
  readonly slotSize: number;
  readonly keys: number;
  readonly stackSlots: number;
  readonly stackPeak: number;
  readonly heapUsed: number;
  readonly heapPeak: number;
  readonly heapSize: number;
  /** second data RAM holding XS slots (the STM32F405's CCM), "none" where the board has none */
  readonly dataRam: string;
  readonly dataRamUsed: number;
  readonly dataRamSize: number;
  readonly cStack: number;
  readonly cStackPeak: number;
  readonly rejections: number;
  readonly callbackErrors: number;
  readonly codeFlash: number;
  readonly codeRam: number;
}

export interface SysInfo {
  readonly board: string;
  readonly role: string;
  readonly platform: string;
  readonly build: string;
  readonly xs: string;
}

export const attach = native<(hooks: RuntimeHooks) => void>('xs_runtime_attach');
export const wake = native<(when: number | undefined) => void>('xs_runtime_wake');
export const cycles = native<() => number>('xs_runtime_cycles');
export const cycleHz = native<() => number>('xs_runtime_cycle_hz');
export const millis = native<() => number>('xs_runtime_millis');
/** Sets the host's wall clock (Date); returns what the host adds to its own clock, ms. */
export const sysSetTime = native<(ms: number) => number>('xs_sys_set_time');
export const sysTimeOffset = native<() => number>('xs_sys_time_offset');
export const uartListen = native<(port: number, on: boolean) => void>('xs_uart_listen');
export const uartRead = native<(port: number, max: number) => ArrayBuffer>('xs_uart_read');
export const uartWrite = native<(port: number, data: string | BufferLike) => void>('xs_uart_write');
export const uartDropped = native<(port: number) => number>('xs_uart_dropped');
export const sysMem = native<() => MemInfo>('xs_sys_mem');
export const sysImages = native<() => ImageInfo[]>('xs_sys_images');
export const sysInfo = native<() => SysInfo>('xs_sys_info');
export const sysReboot = native<() => never>('xs_sys_reboot');
export const sysExit = native<(code: number) => never>('xs_sys_exit');
export const sysGc = native<() => void>('xs_sys_gc');
export const sysRandom = native<() => number>('xs_sys_random');
export const sysClock = native<() => string>('xs_sys_clock');
export const sysMaskIrq = native<(ms: number) => void>('xs_sys_mask_irq');

export const UART_CONSOLE = 0;
export const UART_AUX = 1;
export const UART_MODEM = 2;

export function consoleWrite(text: string): void {
  uartWrite(UART_CONSOLE, text);
}

export function versionText(v: number): string {
  return `${v >>> 16}.${(v >>> 8) & 255}.${v & 255}`;
}
