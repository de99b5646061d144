// The node's PLC provisioning record (EUI-64, PSK, secret seed; on the concentrator its device
// table). GENERIC's "provision" driver checked magic, bounds and CRC in C
// (drivers/plcmodem/xs_provision.c, where the layout is); this parses the checked bytes. Keys
// stay in this part's memory and never reach a trace.
import { ByteReader, toHex } from './bytes.js';
import { DecodeError } from './errors.js';

export interface ProvisionedDevice {
  eui64: Uint8Array;
  psk: Uint8Array;
  /** Blacklisted: refused at join. */
  denied: boolean;
}

export interface Provisioning {
  eui64: Uint8Array;
  psk: Uint8Array;
  seed: Uint8Array;
  /** Concentrator: admit only the devices of the table (whitelist). */
  listedOnly: boolean;
  devices: Map<string, ProvisionedDevice>;
}

export const PROVISION_HEADER = 48;
export const PROVISION_ENTRY = 25;

export function parseProvisioning(b: Uint8Array, maxDevices: number): Provisioning {
  const r = new ByteReader(b);
  r.take(4, 'provision.magic');
  r.u8('provision.version');
  const flags = r.u8('provision.flags');
  const n = r.u16be('provision.count');
  if (n > maxDevices) throw new DecodeError('provision.count', 6, `${n} devices, the table holds ${maxDevices}`);
  const eui64 = r.take(8, 'provision.eui64').slice();
  const psk = r.take(16, 'provision.psk').slice();
  const seed = r.take(16, 'provision.seed').slice();
  const devices = new Map<string, ProvisionedDevice>();
  for (let i = 0; i < n; i++) {
    const e = r.take(8, 'provision.device.eui64').slice();
    const k = r.take(16, 'provision.device.psk').slice();
    const f = r.u8('provision.device.flags');
    devices.set(toHex(e), { eui64: e, psk: k, denied: (f & 1) !== 0 });
  }
  return { eui64, psk, seed, listedOnly: (flags & 1) !== 0, devices };
}
