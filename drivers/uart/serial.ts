// ECMA-419 serial, module "embedded:io/serial": one UART, bytes in ArrayBuffers, onReadable
// when data arrives. Port 0 is the shell's; ports 1 (optical/host link), 2 (PLC modem) and 3
// (the concentrator's backhaul, where the board has it: BOARD_UART_MAX 4) are free for the stacks. Transmit is synchronous, so onWritable is not used.
// The UARTs' C is this folder's (drivers/uart: xs_uart.c, a subfolder per board); the natives are
// bound in GENERIC's platform.ts, whose console shares them. Named module (drivers/uart's fragment):
// GENERIC internals are imported by their absolute names.
import { uartRead, uartWrite, uartDropped } from 'generic/platform';
import { listen, unlisten } from 'generic/io';

export interface SerialOptions {
  port: number;
  baud: number;
  format?: 'buffer' | 'number';
  onReadable?: (this: Serial, bytes: number) => void;
  onError?: (this: Serial, error: Error) => void;
  target?: unknown;
}

export default class Serial {
  #port: number;
  #format: 'buffer' | 'number';
  #open = true;
  target: unknown;

  constructor(options: SerialOptions) {
    const port = options.port;
    if (port !== 1 && port !== 2 && port !== 3) throw new RangeError('serial port 1, 2 or 3 (0 is the shell)');
    if (!(options.baud > 0)) throw new RangeError('baud');
    this.#port = port;
    this.#format = options.format ?? 'buffer';
    this.target = options.target;
    const onReadable = options.onReadable;
    listen(port, (count) => {
      if (onReadable) onReadable.call(this, count);
    });
  }

  get format(): 'buffer' | 'number' {
    return this.#format;
  }
  set format(value: 'buffer' | 'number') {
    if (value !== 'buffer' && value !== 'number') throw new RangeError('format');
    this.#format = value;
  }

  get dropped(): number {
    return uartDropped(this.#port);
  }

  read(byteLength?: number): number | ArrayBuffer | undefined {
    if (!this.#open) throw new Error('closed');
    if (this.#format === 'number') {
      const b = uartRead(this.#port, 1);
      return b.byteLength ? new Uint8Array(b)[0] : undefined;
    }
    const b = uartRead(this.#port, byteLength ?? 4096);
    return b.byteLength ? b : undefined;
  }

  write(value: number | BufferLike): void {
    if (!this.#open) throw new Error('closed');
    if (typeof value === 'number') uartWrite(this.#port, new Uint8Array([value & 255]));
    else uartWrite(this.#port, value);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    unlisten(this.#port);
  }
}
