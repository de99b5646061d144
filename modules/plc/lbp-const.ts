// Bootstrap constants: LBP (ITU-T G.9903 annex E "LoWPAN bootstrapping protocol"), EAP (RFC 3748)
// and EAP-PSK (RFC 4764) as G3 uses them.

/** LBP first octet: T (bit 7: 0 from LBD, 1 from LBS) | Code (bits 6-4) | reserved (bits 3-0). */
export const LBP_T_FROM_SERVER = 0x80;
export enum LbpCode {
  JOINING = 0x1, // T=0: LBD asks to join (via its agent); also carries EAP responses
  KICK_FROM_LBD = 0x4, // T=0: LBD leaves the PAN
  ACCEPTED = 0x9, // T=1: authentication succeeded / parameters delivered
  CHALLENGE = 0xa, // T=1: authentication in progress (EAP requests)
  DECLINE = 0xb, // T=1: authentication failed
  KICK_TO_LBD = 0xc, // T=1: LBS removes the LBD
}
/** Header: type/code octet, reserved/transaction octet, A_LBD (EUI-64). */
export const LBP_HEADER_LENGTH = 10;
export const LBP_MAX_LENGTH = 1200;

/** Configuration parameter attribute ids (annex E): octet = id << 2 | type << 1 | M. */
export enum LbpAttr {
  PAN_ID = 1,
  ADDR_LBS = 3,
  SHORT_ADDR = 7,
  GMK = 9,
  GMK_ACTIVATION = 10,
  GMK_REMOVAL = 11,
  PARAM_RESULT = 12,
}
/** Parameter-result values. */
export enum LbpParamResult {
  SUCCESS = 0,
  MISSING = 1,
  INVALID_VALUE = 2,
  INVALID_ID = 3,
}

/** EAP codes, RFC 3748 4. */
export enum EapCode {
  REQUEST = 1,
  RESPONSE = 2,
  SUCCESS = 3,
  FAILURE = 4,
}
/** EAP method type for EAP-PSK, RFC 4764 (IANA). */
export const EAP_TYPE_PSK = 47;

/** EAP-PSK flags octet: T subfield in bits 7-6 = message number - 1 (RFC 4764 5). */
export const PSK_T_SHIFT = 6;
export const PSK_RAND_LENGTH = 16;
export const PSK_MAC_LENGTH = 16;
export const PSK_NONCE_LENGTH = 4;
export const PSK_TAG_LENGTH = 16;
export const PSK_MAX_ID_LENGTH = 64;
/** Header protected by the PCHANNEL (EAX "header"): EAP header (5) + flags (1) + RAND_S (16). */
export const PSK_PCHANNEL_HEADER_LENGTH = 22;

/** PCHANNEL first plaintext octet: R (bits 7-6), E (bit 5). */
export enum PskResult {
  CONTINUE = 1,
  DONE_SUCCESS = 2,
  DONE_FAILURE = 3,
}
export const PSK_E_FLAG = 0x20;
/** G3 extension type carrying configuration parameters (G.9903 annex E). */
export const PSK_EXT_G3_PARAMS = 0x02;

export const LBP_DEFAULT_MAX_DEVICES = 512;
export const LBP_DEFAULT_MAX_LIST = 256;
/** Authentications the LBS runs at once; a JOINING beyond them is dropped (the LBD retries later). */
export const LBP_DEFAULT_MAX_SESSIONS = 4;
/** An authentication with no message for this long no longer counts as running. */
export const LBP_SESSION_IDLE_MS = 15000;
/**
 * The LBS (EAP authenticator, RFC 3748 4.3: the authenticator retransmits requests, the peer
 * answers a duplicate request with its previous response) sends a challenge again when no
 * response came within this, at most LBP_MAX_RETRANSMITS times.
 */
export const LBP_RETRANSMIT_MS = 5000;
/**
 * Half-open entries (a JOINING that has not led to a join): at most this many in the device
 * table at once, apart from joined devices (the oldest idle one makes room for a new JOINING)...
 */
export const LBP_DEFAULT_MAX_HALF_OPEN = 16;
/** ...and each is forgotten after this without a message (longer than an LBD's join attempt). */
export const LBP_DEFAULT_HALF_OPEN_TIMEOUT_MS = 30000;
/** DECLINE frames and their traces: a token bucket of this many, one token back per refill time. */
export const LBP_DEFAULT_DECLINE_BURST = 8;
export const LBP_DEFAULT_DECLINE_REFILL_MS = 1000;
export const LBP_MAX_RETRANSMITS = 2;
export const LBP_DEFAULT_MAX_CANDIDATES = 8;
export const LBP_DEFAULT_JOIN_TIMEOUT_MS = 60_000;
/** Short addresses the LBS allocates: 0x0001..0x7FFF (0x0000 is the coordinator, 0x8000+ multicast). */
export const LBP_SHORT_MIN = 0x0001;
export const LBP_SHORT_MAX = 0x7fff;
