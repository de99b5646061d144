// COSEM constants: interface class ids (Blue Book, IEC 62056-6-2 clause 4), units (Table "Enumerated
// values for physical units"), roles, limits and security event kinds for this server.

export const ClassId = Object.freeze({
  DATA: 1,
  REGISTER: 3,
  EXTENDED_REGISTER: 4,
  PROFILE_GENERIC: 7,
  CLOCK: 8,
  ASSOCIATION_LN: 15,
  IMAGE_TRANSFER: 18,
  PUSH_SETUP: 40,
  SECURITY_SETUP: 64,
  DISCONNECT_CONTROL: 70,
} as const);

export const Unit = Object.freeze({ W: 27, VA: 28, VAR: 29, WH: 30, VAH: 31, VARH: 32, A: 33, V: 35, HZ: 44, NONE: 255 } as const);

/** Access roles: rights are granted per role, a client SAP is mapped to a role by its ClientConfig. */
export const Role = Object.freeze({ PUBLIC: 0, MANAGEMENT: 1 } as const);
/** Well-known client SAPs (Green Book 10.x: 16 public client, 1 management client). */
export const ClientSap = Object.freeze({ MANAGEMENT: 1, PUBLIC: 16 } as const);

export const AssociationStatus = Object.freeze({ NON_ASSOCIATED: 0, PENDING: 1, ASSOCIATED: 2 } as const);
export const ControlState = Object.freeze({ DISCONNECTED: 0, CONNECTED: 1, READY_FOR_RECONNECTION: 2 } as const);
/** Security setup v0 security_policy (enum). */
export const SecurityPolicy = Object.freeze({ NONE: 0, AUTHENTICATED: 1, ENCRYPTED: 2, AUTHENTICATED_ENCRYPTED: 3 } as const);
/** global_key_transfer key_id (Security setup v0, method 2). */
export const KeyId = Object.freeze({ GLOBAL_UNICAST: 0, BROADCAST: 1, AUTHENTICATION: 2, MASTER: 3 } as const);

/** Attribute access_mode in object_list (Association LN v1). */
export const AttributeAccess = Object.freeze({ NONE: 0, READ: 1, WRITE: 2, READ_WRITE: 3 } as const);

/** What the meter logs through onSecurityEvent(kind, detail). */
export type SecurityEventKind =
  | 'authentication-failure' // LLS password or HLS f(StoC) wrong
  | 'deciphering-failure' // GCM tag or key wrong
  | 'replay' // invocation counter not increasing
  | 'key-changed' // global_key_transfer applied
  | 'association-rejected'; // AARQ refused for another reason

/** Server bounds on anything fed from outside (documented defaults). */
export const COSEM_DEFAULT_MAX_PDU = 1024; // server-max-receive-pdu-size
export const COSEM_MIN_PDU = 64; // smaller client-max-receive-pdu-size is refused (pdu-size-too-short)
export const COSEM_DEFAULT_MAX_LIST = 16; // GET/SET with-list
export const COSEM_DEFAULT_MAX_BLOCKS = 512; // blocks in one long GET or SET
export const COSEM_DEFAULT_MAX_SET_BYTES = 4096; // reassembled SET-with-datablock value
// Nesting of arrays/structures in any Data a client sends (selective access, SET values, ACTION
// parameters); the deepest the objects need is 4 (docs/dlms-bounds.md).
export const COSEM_DEFAULT_MAX_DATA_DEPTH = 8;
export const COSEM_DEFAULT_MAX_RESPONSE = 65535; // encoded GET result before block transfer

/** The meters' alarm filter (0.0.97.98.10.255) by default, which the concentrator assumes too.
 * Power fail/restore, sag, swell, interruption, over/undervoltage, reverse, cover, magnet, NVRAM,
 * registers lost (1-10, 12, 13) and security events but key-changed (16-18, 20). */
export const DEFAULT_ALARM_FILTER = 0b1_0111_0011_0111_1111_1110;
