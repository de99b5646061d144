// xDLMS APDU tags and enumerations, IEC 62056-5-3 (DLMS UA Green Book ch. 9, "COSEMpdu" ASN.1).

export const ApduTag = Object.freeze({
  INITIATE_REQUEST: 0x01,
  INITIATE_RESPONSE: 0x08,
  CONFIRMED_SERVICE_ERROR: 0x0e,
  GLO_INITIATE_REQUEST: 0x21,
  GLO_INITIATE_RESPONSE: 0x28,
  GLO_CONFIRMED_SERVICE_ERROR: 0x2e,
  AARQ: 0x60,
  AARE: 0x61,
  RLRQ: 0x62,
  RLRE: 0x63,
  GET_REQUEST: 0xc0,
  SET_REQUEST: 0xc1,
  EVENT_NOTIFICATION_REQUEST: 0xc2,
  ACTION_REQUEST: 0xc3,
  GET_RESPONSE: 0xc4,
  SET_RESPONSE: 0xc5,
  ACTION_RESPONSE: 0xc7,
  GLO_GET_REQUEST: 0xc8,
  GLO_SET_REQUEST: 0xc9,
  GLO_EVENT_NOTIFICATION_REQUEST: 0xca,
  GLO_ACTION_REQUEST: 0xcb,
  GLO_GET_RESPONSE: 0xcc,
  GLO_SET_RESPONSE: 0xcd,
  GLO_ACTION_RESPONSE: 0xcf,
  DED_GET_REQUEST: 0xd0,
  DED_SET_REQUEST: 0xd1,
  DED_EVENT_NOTIFICATION_REQUEST: 0xd2,
  DED_ACTION_REQUEST: 0xd3,
  DED_GET_RESPONSE: 0xd4,
  DED_SET_RESPONSE: 0xd5,
  DED_ACTION_RESPONSE: 0xd7,
  EXCEPTION_RESPONSE: 0xd8,
  GENERAL_GLO_CIPHERING: 0xdb,
  GENERAL_DED_CIPHERING: 0xdc,
} as const);

/** Second byte of GET/SET/ACTION APDUs: the CHOICE of request/response type. */
export const GetRequestType = Object.freeze({ NORMAL: 1, NEXT: 2, WITH_LIST: 3 } as const);
export const GetResponseType = Object.freeze({ NORMAL: 1, WITH_DATABLOCK: 2, WITH_LIST: 3 } as const);
export const SetRequestType = Object.freeze({
  NORMAL: 1,
  WITH_FIRST_DATABLOCK: 2,
  WITH_DATABLOCK: 3,
  WITH_LIST: 4,
  WITH_LIST_AND_FIRST_DATABLOCK: 5,
} as const);
export const SetResponseType = Object.freeze({
  NORMAL: 1,
  DATABLOCK: 2,
  LAST_DATABLOCK: 3,
  LAST_DATABLOCK_WITH_LIST: 4,
  WITH_LIST: 5,
} as const);
export const ActionRequestType = Object.freeze({ NORMAL: 1 } as const);
export const ActionResponseType = Object.freeze({ NORMAL: 1 } as const);

/** Data-Access-Result ENUMERATED. */
export const DataAccessResult = Object.freeze({
  SUCCESS: 0,
  HARDWARE_FAULT: 1,
  TEMPORARY_FAILURE: 2,
  READ_WRITE_DENIED: 3,
  OBJECT_UNDEFINED: 4,
  OBJECT_CLASS_INCONSISTENT: 9,
  OBJECT_UNAVAILABLE: 11,
  TYPE_UNMATCHED: 12,
  SCOPE_OF_ACCESS_VIOLATED: 13,
  DATA_BLOCK_UNAVAILABLE: 14,
  LONG_GET_ABORTED: 15,
  NO_LONG_GET_IN_PROGRESS: 16,
  LONG_SET_ABORTED: 17,
  NO_LONG_SET_IN_PROGRESS: 18,
  DATA_BLOCK_NUMBER_INVALID: 19,
  OTHER_REASON: 250,
} as const);

/** Action-Result ENUMERATED (same numbering as Data-Access-Result where they overlap). */
export const ActionResult = Object.freeze({
  SUCCESS: 0,
  HARDWARE_FAULT: 1,
  TEMPORARY_FAILURE: 2,
  READ_WRITE_DENIED: 3,
  OBJECT_UNDEFINED: 4,
  OBJECT_CLASS_INCONSISTENT: 9,
  OBJECT_UNAVAILABLE: 11,
  TYPE_UNMATCHED: 12,
  SCOPE_OF_ACCESS_VIOLATED: 13,
  DATA_BLOCK_UNAVAILABLE: 14,
  LONG_ACTION_ABORTED: 15,
  NO_LONG_ACTION_IN_PROGRESS: 16,
  OTHER_REASON: 250,
} as const);

/**
 * Conformance block: a 24-bit BER BIT STRING ([APPLICATION 31], encoded 5F 1F 04 00 b0 b1 b2).
 * Bit n of the ASN.1 type is mask 1 << (23 - n) of the 24-bit number.
 */
export const Conformance = Object.freeze({
  GENERAL_PROTECTION: 1 << 22, // bit 1
  GENERAL_BLOCK_TRANSFER: 1 << 21, // bit 2
  READ: 1 << 20, // bit 3 (SN)
  WRITE: 1 << 19, // bit 4 (SN)
  UNCONFIRMED_WRITE: 1 << 18, // bit 5 (SN)
  DELTA_VALUE_ENCODING: 1 << 17, // bit 6
  ATTRIBUTE0_SUPPORTED_WITH_SET: 1 << 15, // bit 8
  PRIORITY_MGMT_SUPPORTED: 1 << 14, // bit 9
  ATTRIBUTE0_SUPPORTED_WITH_GET: 1 << 13, // bit 10
  BLOCK_TRANSFER_WITH_GET_OR_READ: 1 << 12, // bit 11
  BLOCK_TRANSFER_WITH_SET_OR_WRITE: 1 << 11, // bit 12
  BLOCK_TRANSFER_WITH_ACTION: 1 << 10, // bit 13
  MULTIPLE_REFERENCES: 1 << 9, // bit 14
  INFORMATION_REPORT: 1 << 8, // bit 15 (SN)
  DATA_NOTIFICATION: 1 << 7, // bit 16
  ACCESS: 1 << 6, // bit 17
  PARAMETERIZED_ACCESS: 1 << 5, // bit 18 (SN)
  GET: 1 << 4, // bit 19
  SET: 1 << 3, // bit 20
  SELECTIVE_ACCESS: 1 << 2, // bit 21
  EVENT_NOTIFICATION: 1 << 1, // bit 22
  ACTION: 1 << 0, // bit 23
} as const);

/** Application context names: 2.16.756.5.8.1.{id} (Green Book 9.4.2.2.2). */
export const ApplicationContext = Object.freeze({
  LN_NO_CIPHERING: 1,
  SN_NO_CIPHERING: 2,
  LN_WITH_CIPHERING: 3,
  SN_WITH_CIPHERING: 4,
} as const);

/** Authentication mechanism names: 2.16.756.5.8.2.{id}. */
export const Mechanism = Object.freeze({
  LOWEST: 0,
  LOW: 1,
  HIGH: 2,
  HIGH_MD5: 3,
  HIGH_SHA1: 4,
  HIGH_GMAC: 5,
  HIGH_SHA256: 6,
  HIGH_ECDSA: 7,
} as const);

/** OID prefix 2.16.756.5.8 as BER (joint-iso-itu-t country(16) ch(756) identified-org(5) DLMS-UA(8)). */
export const DLMS_UA_OID_PREFIX = [0x60, 0x85, 0x74, 0x05, 0x08] as const;

/** Association-result and acse-service-user diagnostics (IEC 8650 / Green Book Table "AARE"). */
export const AssociationResult = Object.freeze({ ACCEPTED: 0, REJECTED_PERMANENT: 1, REJECTED_TRANSIENT: 2 } as const);
export const AcseServiceUserDiagnostic = Object.freeze({
  NULL: 0,
  NO_REASON_GIVEN: 1,
  APPLICATION_CONTEXT_NAME_NOT_SUPPORTED: 2,
  CALLING_AP_TITLE_NOT_RECOGNIZED: 3,
  AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED: 11,
  AUTHENTICATION_MECHANISM_NAME_REQUIRED: 12,
  AUTHENTICATION_FAILURE: 13,
  AUTHENTICATION_REQUIRED: 14,
} as const);

/** Exception-response (Green Book 9.5): state-error and service-error. */
export const StateError = Object.freeze({ SERVICE_NOT_ALLOWED: 1, SERVICE_UNKNOWN: 2 } as const);
export const ServiceError = Object.freeze({
  OPERATION_NOT_POSSIBLE: 1,
  SERVICE_NOT_SUPPORTED: 2,
  OTHER_REASON: 3,
  PDU_TOO_LONG: 4,
  DECIPHERING_ERROR: 5,
  INVOCATION_COUNTER_ERROR: 6,
} as const);

/** Confirmed-service-error: which service failed ([1] initiate-error ... ) and ServiceError CHOICE. */
export const ConfirmedService = Object.freeze({
  INITIATE_ERROR: 1,
  GET_STATUS: 2,
  GET_NAME_LIST: 3,
  GET_VARIABLE_ATTRIBUTE: 4,
  READ: 5,
  WRITE: 6,
  GET_DATA_SET_ATTRIBUTE: 7,
  GET_TI_ATTRIBUTE: 8,
  CHANGE_SCOPE: 9,
  START: 10,
  STOP: 11,
  RESUME: 12,
  MAKE_USABLE: 13,
  INITIATE_LOAD: 14,
  LOAD_SEGMENT: 15,
  TERMINATE_LOAD: 16,
  INITIATE_UP_LOAD: 17,
  UP_LOAD_SEGMENT: 18,
  TERMINATE_UP_LOAD: 19,
} as const);
export const ServiceErrorKind = Object.freeze({
  APPLICATION_REFERENCE: 0,
  HARDWARE_RESOURCE: 1,
  VDE_STATE_ERROR: 2,
  SERVICE: 3,
  DEFINITION: 4,
  ACCESS: 5,
  INITIATE: 6,
  LOAD_DATA_SET: 7,
  TASK: 9,
  OTHER_ERROR: 10,
} as const);
/** ServiceError initiate values. */
export const InitiateError = Object.freeze({
  OTHER: 0,
  DLMS_VERSION_TOO_LOW: 1,
  INCOMPATIBLE_CONFORMANCE: 2,
  PDU_SIZE_TOO_SHORT: 3,
  REFUSED_BY_THE_VDE_HANDLER: 4,
} as const);

/** LN referencing VAA name in InitiateResponse. */
export const VAA_NAME_LN = 0x0007;
export const DLMS_VERSION = 6;
