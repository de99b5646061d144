// pcap writer (classic libpcap format, microsecond timestamps, little-endian).
// Link type 195 = LINKTYPE_IEEE802_15_4_WITHFCS: Wireshark decodes G3 MAC
// frames as IEEE 802.15.4 and their payload as 6LoWPAN.
import { closeSync, openSync, writeSync } from 'node:fs';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const LINKTYPE_IEEE802_15_4_WITHFCS = 195;
export const LINKTYPE_IEEE802_15_4_NOFCS = 230;
export const PCAP_SNAPLEN = 65535;
export const PCAP_GLOBAL_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

export function pcapGlobalHeader(linkType = LINKTYPE_IEEE802_15_4_WITHFCS): Uint8Array {
  const b = new Uint8Array(PCAP_GLOBAL_HEADER_BYTES);
  const v = new DataView(b.buffer);
  v.setUint32(0, PCAP_MAGIC_US, true);
  v.setUint16(4, 2, true); // version 2.4
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true); // thiszone
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, PCAP_SNAPLEN, true);
  v.setUint32(20, linkType, true);
  return b;
}

/** One record; `timeUs` is microseconds since the Unix epoch. */
export function pcapRecord(timeUs: bigint, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(PCAP_RECORD_HEADER_BYTES + data.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, Number(timeUs / 1_000_000n), true);
  v.setUint32(4, Number(timeUs % 1_000_000n), true);
  v.setUint32(8, data.length, true);
  v.setUint32(12, data.length, true);
  b.set(data, PCAP_RECORD_HEADER_BYTES);
  return b;
}

export interface PcapSink {
  write(timeUs: bigint, frameWithFcs: Uint8Array): void;
  close(): void;
}

/** Synchronous file writer: records hit the file in transmission order. */
export class PcapFileWriter implements PcapSink {
  private fd: number | undefined;
  records = 0;

  constructor(path: string, linkType = LINKTYPE_IEEE802_15_4_WITHFCS) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, pcapGlobalHeader(linkType));
  }

  write(timeUs: bigint, frame: Uint8Array): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, pcapRecord(timeUs, frame));
    this.records++;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
