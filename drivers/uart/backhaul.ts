// Driver "backhaul": the concentrator's head-end link, board UART3 (BOARD_UART_BACKHAUL: lin
// --backhaul-port, the fourth -serial on QEMU mps2-an386), opened as an ECMA-419 serial port
// (embedded:io/serial, drivers/uart/serial.ts) whose port number the part cannot choose. Granted by config.grants
// "driver.backhaul"; modules/nonlegal/dc/headend/uplink.ts speaks the head-end protocol on it.
import Serial from 'embedded:io/serial';
import type { OpticalSerial } from './optical.js';

export interface BackhaulDriver {
  open(options: { baud: number; onReadable: (bytes: number) => void }): OpticalSerial;
}

export const backhaulPort: BackhaulDriver = {
  open: (o) => {
    const onReadable = o.onReadable;
    const s = new Serial({
      port: 3,
      baud: o.baud,
      format: 'buffer',
      onReadable: (n: number) => onReadable(n),
    } as unknown as ConstructorParameters<typeof Serial>[0]);
    return s as unknown as OpticalSerial;
  },
};
