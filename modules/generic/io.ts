// Routes "bytes available" events from the runtime to the one listener of each UART.
import { uartListen } from './platform.js';

type Listener = (count: number) => void;
const listeners = new Map<number, Listener>();

export function listen(port: number, listener: Listener): void {
  if (listeners.has(port)) throw new Error(`port ${port} busy`);
  listeners.set(port, listener);
  uartListen(port, true);
}

export function unlisten(port: number): void {
  listeners.delete(port);
  uartListen(port, false);
}

export function dispatch(port: number, count: number): void {
  listeners.get(port)?.(count);
}
