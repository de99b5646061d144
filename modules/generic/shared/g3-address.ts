// G3 address mapping, both directions (G.9903 9.4, RFC 4944 section 6): the interface identifier
// of a 16-bit short address is PAN_ID:00ff:fe00:XXXX with the PAN id's U/L bit cleared, so a
// node's link-local address is fe80::PAN:00ff:fe00:XXXX; an EUI-64 gives its IID with the U/L bit
// inverted. The one home of this rule for PLC (IPHC, ADP, MAC nonce) and NON-LEGAL (TCPIP).
// Under generic/shared/, so any part may import it: its exports are hardened.
import { seal } from './errors.js';

/** Link-layer address as seen by ADP: short (16-bit) or EUI-64 (most significant byte first). */
export type LinkAddr = number | Uint8Array;

/** How a 16-bit short address maps to an interface identifier: G3's, or RFC 6282's stateless one. */
export type ShortIidMode = 'g3' | 'rfc6282';

/** No short address (IEEE 802.15.4: 0xFFFE); what shortFromAddress gives for another IID. */
export const SHORT_NONE = 0xfffe;

/** The U/L bit of the PAN id's first octet, cleared in G3's IID (RFC 4944 6). */
const PAN_UL_CLEAR = 0xfdff;

/** PAN:00ff:fe00:short as 8 bytes, the PAN id as given (also the MAC nonce's source, G.9903 9.3.3). */
export function panShortBytes(panId: number, short: number): Uint8Array {
  return Uint8Array.of((panId >> 8) & 0xff, panId & 0xff, 0x00, 0xff, 0xfe, 0x00, (short >> 8) & 0xff, short & 0xff);
}

/**
 * IID of a link address. EUI-64: U/L bit inverted (RFC 4944 6). Short: PAN_ID:00ff:fe00:short
 * with the U/L bit of the PAN id forced to 0 ("g3", RFC 4944 6 / G.9903); RFC 6282 stateless
 * compression uses 0000:00ff:fe00:short ("rfc6282").
 */
export function iidFromLink(a: LinkAddr, panId: number, mode: ShortIidMode = 'g3'): Uint8Array {
  if (typeof a !== 'number') {
    const iid = a.slice(0, 8);
    iid[0] = (iid[0] as number) ^ 0x02;
    return iid;
  }
  return panShortBytes(mode === 'g3' ? panId & PAN_UL_CLEAR : 0, a);
}

/** An address of the 64-bit prefix (its first 8 bytes) and the link address's IID. */
export function addressFromPrefix(prefix: Uint8Array, a: LinkAddr, panId: number, mode: ShortIidMode = 'g3'): Uint8Array {
  const out = new Uint8Array(16);
  out.set(prefix.subarray(0, 8));
  out.set(iidFromLink(a, panId, mode), 8);
  return out;
}

/** fe80::IID of the link address (G3: fe80::PAN:00ff:fe00:short). */
export function linkLocalFromLink(a: LinkAddr, panId: number, mode: ShortIidMode = 'g3'): Uint8Array {
  return addressFromPrefix(Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0), a, panId, mode);
}

/**
 * The short address behind an IPv6 address whose IID has the short-address form
 * (xxxx:00ff:fe00:XXXX, whatever the prefix and the PAN id), else SHORT_NONE: an EUI-64 IID,
 * a multicast or any other address.
 */
export function shortFromAddress(a: Uint8Array): number {
  if (a.length !== 16 || a[0] === 0xff || a[10] !== 0x00 || a[11] !== 0xff || a[12] !== 0xfe || a[13] !== 0x00) return SHORT_NONE;
  return ((a[14] as number) << 8) | (a[15] as number);
}

for (const f of [panShortBytes, iidFromLink, addressFromPrefix, linkLocalFromLink, shortFromAddress]) seal(f);
