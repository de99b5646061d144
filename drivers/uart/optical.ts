// Driver "optical": the meter's optical port, board UART1 (BOARD_UART_AUX), opened as an ECMA-419
// serial port (embedded:io/serial, drivers/uart/serial.ts) whose port number the part cannot
// choose. Granted by config.grants "driver.optical".
import Serial from 'embedded:io/serial';

export interface OpticalSerial {
  read(byteLength: number): ArrayBuffer | undefined;
  write(bytes: Uint8Array): void;
  close(): void;
  /** Bytes the UART ring dropped (sender ignored flow control). */
  readonly dropped: number;
}

export interface OpticalDriver {
  open(options: { baud: number; onReadable: (bytes: number) => void }): OpticalSerial;
}

// The ports a part opened: GENERIC closes them when it stops the part (generic/main.ts, fwupdate.ts).
const opened: OpticalSerial[] = [];

/** Closes every port opened through the driver; returns how many. */
export function closeOpticalPorts(): number {
  const n = opened.length;
  for (const s of opened.splice(0)) {
    try {
      s.close();
    } catch {
      // closed by its part already
    }
  }
  return n;
}

export const opticalPort: OpticalDriver = {
  open: (o) => {
    const onReadable = o.onReadable;
    // The ECMA-419 typings name pins; this board's UARTs are fixed, so only port and baud count.
    const s = new Serial({
      port: 1,
      baud: o.baud,
      format: 'buffer',
      onReadable: (n: number) => onReadable(n),
    } as unknown as ConstructorParameters<typeof Serial>[0]);
    opened.push(s as unknown as OpticalSerial);
    return s as unknown as OpticalSerial;
  },
};
