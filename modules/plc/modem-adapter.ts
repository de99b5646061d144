// The modem port seen from the stack (emulator/medium/PROTOCOL.md over GENERIC's plcmodem
// driver): a MAC transmission becomes a DATA_REQUEST whose modulation the neighbour's link
// quality decides; the modem's messages are dispatched to the stack and counted.
import type { ModemMessage, PlcModemDriver } from 'drivers/plcmodem/plcmodem';
import type { MacAddr } from './mac-frame.js';
import type { MacTx } from './mac.js';

const BROADCAST = 0xffff;
/** Largest MPDU sent in ROBO: G.9903 CENELEC-A allows about 130 octets in 252 ROBO symbols. */
const ROBO_MAX_MPDU = 120;

export interface ModemEvents {
  ready(version: number, simClock: boolean): void;
  indication(frame: Uint8Array, lqi: number, modulation: number): void;
}

export class ModemAdapter {
  readonly counters = { confirmOk: 0, confirmNoAck: 0, confirmChannel: 0, confirmOther: 0, modemErrors: 0, times: 0 };

  constructor(
    private readonly modem: PlcModemDriver,
    /** The LQI of a neighbour, if it is one (MAC neighbour table). */
    private readonly lqiOf: (short: number) => number | undefined,
    private readonly log: (level: number, line: string) => void,
  ) {}

  /** Opens the port (HELLO with our EUI-64); `after` runs after each message, even a failed one. */
  open(eui64: Uint8Array, events: ModemEvents, onError: (e: unknown) => void, after: () => void): void {
    this.modem.open(eui64, (m) => {
      try {
        this.onModem(m, events);
      } catch (e) {
        onError(e);
      }
      after();
    });
  }

  setAddress(panId: number, short: number): void {
    this.modem.setAddress(panId, short);
  }

  /** Modulation for a frame: the neighbour's link quality decides, ROBO for broadcast. */
  private modulation(dst: MacAddr, length: number): number {
    let m = 0;
    if (typeof dst === 'number' && dst !== BROADCAST) {
      const lqi = this.lqiOf(dst);
      if (lqi !== undefined) {
        const snr = lqi / 4 - 10;
        m = snr >= 17 ? 3 : snr >= 13 ? 2 : snr >= 8 ? 1 : 0;
      }
    }
    return m === 0 && length > ROBO_MAX_MPDU ? 1 : m;
  }

  transmit(tx: MacTx): void {
    const dst = new Uint8Array(8);
    let mode = 0;
    if (typeof tx.dst === 'number') {
      mode = 2;
      dst[6] = (tx.dst >> 8) & 0xff;
      dst[7] = tx.dst & 0xff;
    } else if (tx.dst instanceof Uint8Array) {
      mode = 3;
      dst.set(tx.dst);
    }
    this.modem.request({
      handle: tx.handle,
      modulation: this.modulation(tx.dst, tx.frame.length),
      toneMap: 0x3f,
      flags: tx.ackRequest ? 1 : 0,
      dstMode: mode,
      dst,
      frame: tx.frame,
    });
  }

  private onModem(m: ModemMessage, events: ModemEvents): void {
    const c = this.counters;
    switch (m.type) {
      case 'ready':
        events.ready(m.version, m.simClock);
        break;
      case 'indication':
        events.indication(m.frame, m.lqi, m.modulation);
        break;
      case 'confirm':
        if (m.status === 0) c.confirmOk++;
        else if (m.status === 0xe9) c.confirmNoAck++;
        else if (m.status === 0xe1) c.confirmChannel++;
        else c.confirmOther++;
        break;
      case 'time':
        c.times++;
        break;
      case 'error':
        c.modemErrors++;
        this.log(1, `modem error ${m.code}: ${m.text}`);
        break;
    }
  }

  /** The `modem` line of PLC STATS: the driver's framing counters, then the confirms. */
  statsLine(): string {
    const s = this.modem.stats();
    const c = this.counters;
    return (
      `modem frames=${s.frames} sent=${s.sent} droppedBytes=${s.droppedBytes} badCrc=${s.badCrc} badLength=${s.badLength} unknownType=${s.unknownType} uartDropped=${s.uartDropped}` +
      ` confirm.ok=${c.confirmOk} confirm.noAck=${c.confirmNoAck} confirm.channelAccess=${c.confirmChannel} confirm.other=${c.confirmOther} errors=${c.modemErrors}\r\n`
    );
  }
}
