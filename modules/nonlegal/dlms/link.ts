// Byte and APDU transports for the client and the server, and the IP wrapper adapters
// (Green Book 10.6 / IEC 62056-9-7): one wrapper PDU per UDP datagram.
import { decodeWrapperDatagram, encodeWrapper } from './wrapper.js';

/** A byte link (UDP socket, serial port, emulated medium): ECMA-419 style, injected. */
export interface ByteTransport {
  send(bytes: Uint8Array): void | Promise<void>;
  /** Resolves with the next received chunk (a datagram, or any part of a serial stream); rejects on timeout. */
  receive(): Promise<Uint8Array>;
}

/** What the client needs from a link: one request APDU in, one response APDU out. */
export interface ApduLink {
  open?(): Promise<void>;
  request(apdu: Uint8Array): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/** Server-side APDU handler (CosemServer.handle). */
export type ApduHandler = (clientSap: number, apdu: Uint8Array) => Promise<Uint8Array | null>;

export class WrapperClientLink implements ApduLink {
  constructor(
    private readonly t: ByteTransport,
    readonly clientWPort = 16,
    readonly serverWPort = 1,
    private readonly maxLength = 0xffff,
  ) {}
  async request(apdu: Uint8Array): Promise<Uint8Array> {
    await this.t.send(encodeWrapper({ sourceWPort: this.clientWPort, destinationWPort: this.serverWPort, apdu }));
    // Stray or malformed datagrams are skipped; a few at most, then the peer is deemed silent.
    for (let i = 0; i < 8; i++) {
      const d = await this.t.receive();
      try {
        const p = decodeWrapperDatagram(d, { maxLength: this.maxLength });
        if (p.sourceWPort === this.serverWPort && p.destinationWPort === this.clientWPort) return p.apdu;
      } catch {
        /* skip */
      }
    }
    throw new Error('wrapper: no reply');
  }
}

/** Server side: one datagram in, the reply datagram (or null) out. Never throws. */
export class WrapperServerPort {
  readonly drops = { malformed: 0, port: 0 };
  constructor(
    private readonly handle: ApduHandler,
    readonly wPort = 1,
    private readonly maxLength = 0xffff,
  ) {}
  async input(datagram: Uint8Array): Promise<Uint8Array | null> {
    let p: ReturnType<typeof decodeWrapperDatagram>;
    try {
      p = decodeWrapperDatagram(datagram, { maxLength: this.maxLength });
    } catch {
      this.drops.malformed++;
      return null;
    }
    if (p.destinationWPort !== this.wPort) {
      this.drops.port++;
      return null;
    }
    const r = await this.handle(p.sourceWPort, p.apdu);
    return r && encodeWrapper({ sourceWPort: this.wPort, destinationWPort: p.sourceWPort, apdu: r });
  }
}
