// Driver "plcmodem": the PLC modem port (UART2) in C (drivers/plcmodem), granted to PLC only
// (manifest config.grants "driver.plcmodem"). Framing, CRC, resync and the bounded receive
// queue are native; this module turns queued messages into objects for the PLC task, from the
// runtime's onReadable hook (interrupts never run script). Protocol: emulator/medium/PROTOCOL.md.
import { listen, unlisten } from 'generic/io';
import { UART_MODEM, sysInfo } from 'generic/platform';

const open = native<() => void>('xs_plcmodem_open');
const poll = native<() => number>('xs_plcmodem_poll');
const take = native<() => ArrayBuffer | undefined>('xs_plcmodem_take');
const hello = native<(eui64: Uint8Array, kind: number) => void>('xs_plcmodem_hello');
const setAddress = native<(pan: number, short: number) => void>('xs_plcmodem_set_address');
const request =
  native<(handle: number, modulation: number, toneMap: number, flags: number, dstMode: number, dst: Uint8Array, frame: Uint8Array) => void>(
    'xs_plcmodem_request',
  );
const reset = native<() => void>('xs_plcmodem_reset');
const idle = native<(untilUs: number) => void>('xs_plcmodem_idle');
const stats = native<() => ModemStats>('xs_plcmodem_stats');
const provisionRead = native<() => ArrayBuffer | string>('xs_plcprov_read');

/** Driver "provision": the PLC provisioning record (layout in drivers/plcmodem/xs_provision.c),
 * checked in C (magic, bounds, CRC): its bytes, or why there is none. */
export const provision = {
  read: (): Uint8Array | string => {
    const r = provisionRead();
    return typeof r === 'string' ? r : new Uint8Array(r);
  },
};

export interface ModemStats {
  readonly frames: number;
  readonly sent: number;
  readonly droppedBytes: number;
  readonly badCrc: number;
  readonly badLength: number;
  readonly unknownType: number;
  readonly uartDropped: number;
}

/** Messages from the modem (PROTOCOL.md); times are microseconds. */
export type ModemMessage =
  | { readonly type: 'ready'; readonly version: number; readonly simClock: boolean; readonly now: number }
  | { readonly type: 'confirm'; readonly handle: number; readonly status: number; readonly retries: number; readonly time: number }
  | { readonly type: 'indication'; readonly lqi: number; readonly modulation: number; readonly time: number; readonly frame: Uint8Array }
  | { readonly type: 'time'; readonly now: number }
  | { readonly type: 'error'; readonly code: number; readonly text: string };

export interface ModemRequest {
  handle: number;
  /** 0 ROBO, 1 DBPSK, 2 DQPSK, 3 D8PSK */
  modulation: number;
  toneMap: number;
  /** bit 0 ACK requested, bit 1 high priority */
  flags: number;
  /** 0 none/broadcast, 2 short, 3 extended */
  dstMode: number;
  /** 8 bytes: the EUI-64, or the short address in the last two */
  dst: Uint8Array;
  /** MPDU without FCS */
  frame: Uint8Array;
}

export interface PlcModemDriver {
  /** Opens the port and says HELLO with this EUI-64; messages arrive through onMessage. */
  open(eui64: Uint8Array, onMessage: (m: ModemMessage) => void): void;
  close(): void;
  setAddress(panId: number, shortAddr: number): void;
  request(r: ModemRequest): void;
  reset(): void;
  /** Sim clock: the next time (us) this node needs to run, or -1 for none. */
  idle(untilUs: number): void;
  stats(): ModemStats;
}

const u64 = (v: DataView, at: number): number => v.getUint32(at) * 0x1_0000_0000 + v.getUint32(at + 4);

function decode(b: ArrayBuffer): ModemMessage | undefined {
  const v = new DataView(b);
  switch (v.getUint8(0)) {
    case 0x80:
      return { type: 'ready', version: v.getUint8(1), simClock: v.getUint8(2) === 1, now: u64(v, 3) };
    case 0x81:
      return { type: 'confirm', handle: v.getUint8(1), status: v.getUint8(2), retries: v.getUint8(3), time: u64(v, 4) };
    case 0x82:
      return { type: 'indication', lqi: v.getUint8(1), modulation: v.getUint8(2), time: u64(v, 3), frame: new Uint8Array(b, 11) };
    case 0x83:
      return { type: 'time', now: u64(v, 1) };
    case 0x8f: {
      let text = '';
      for (let i = 2; i < b.byteLength; i++) {
        const c = v.getUint8(i);
        text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
      }
      return { type: 'error', code: v.getUint8(1), text };
    }
    default:
      return undefined; // the C parser accepts only the types above
  }
}

let opened = false;

export const plcmodem: PlcModemDriver = {
  open(eui64, onMessage) {
    if (opened) throw new Error('plcmodem: already open');
    open();
    opened = true;
    listen(UART_MODEM, () => {
      while (poll() > 0) {
        const b = take();
        if (!b) break;
        const m = decode(b);
        if (m) onMessage(m);
      }
    });
    hello(eui64, sysInfo().platform === 'lin' ? 1 : 0);
  },
  close() {
    if (!opened) return;
    opened = false;
    unlisten(UART_MODEM);
  },
  setAddress: (pan, short) => setAddress(pan, short),
  request: (r) => request(r.handle, r.modulation, r.toneMap, r.flags, r.dstMode, r.dst, r.frame),
  reset: () => reset(),
  idle: (t) => idle(t),
  stats: () => stats(),
};

/** The PLC part's drivers: modem port, provisioning record, crypto (drivers/crypto/crypto.ts),
 * MAC frame codec (drivers/macframe/macframe.ts). */
export async function plcDrivers(): Promise<{ [name: string]: unknown }> {
  const [crypto, mac] = await Promise.all([import('drivers/crypto/crypto'), import('drivers/macframe/macframe')]);
  const plccrypto: import('drivers/crypto/crypto').PlcCryptoDriver & { [name: string]: unknown } = { ...crypto };
  return { plcmodem, provision, plccrypto, macframe: mac.macframe };
}
