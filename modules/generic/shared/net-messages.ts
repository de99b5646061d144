// Contracts of the part-to-part check (SYS), PLC's ADP data service and TCPIP's datagrams to
// APP (messages.ts has the payload types and `accept`).
import {
  X_SYS_PING,
  X_SYS_PONG,
  X_ADP_REGISTER,
  X_ADP_REGISTER_CONFIRM,
  X_ADP_DATA_REQUEST,
  X_ADP_DATA_CONFIRM,
  X_ADP_DATA_INDICATION,
  X_ADP_NETWORK_INDICATION,
  X_ADP_DEVICE_REQUEST,
  X_ADP_DEVICE_CONFIRM,
  X_APP_RX_EVENT,
} from '../ids.js';
import {
  contract,
  isObj,
  isInt,
  isReq,
  type SysPing,
  type SysPong,
  type AdpRegister,
  type AdpStatus,
  type AdpDataRequest,
  type AdpDataConfirm,
  type AdpDataIndication,
  type AdpDeviceRequest,
  type AdpDeviceConfirm,
  type AppRxEvent,
} from './messages.js';
import { seal } from './errors.js';

/** IPv6 packets on the ADP service: a 40-byte header and an 8-byte UDP header at least, 1280 at most. */
export const ADP_PACKET_MIN = 48;
export const ADP_PACKET_MAX = 1280;

const isBytes = (v: unknown, lo: number, hi: number): v is Uint8Array => v instanceof Uint8Array && v.length >= lo && v.length <= hi;
const isShort = (v: unknown): v is number => isInt(v, 0, 0xffff);
const validStatus = (p: unknown): boolean => isObj(p) && isInt(p.status, 0, 255) && isShort(p.short) && isShort(p.panId);

export const SYS_PING = contract<SysPing>(X_SYS_PING, 'X_SYS_PING', () => true);
export const SYS_PONG = contract<SysPong>(
  X_SYS_PONG,
  'X_SYS_PONG',
  (p) => isObj(p) && typeof p.part === 'string' && (p.energyWh === undefined || typeof p.energyWh === 'number'),
);
export const ADP_REGISTER = contract<AdpRegister>(X_ADP_REGISTER, 'X_ADP_REGISTER', () => true);
export const ADP_REGISTER_CONFIRM = contract<AdpStatus>(X_ADP_REGISTER_CONFIRM, 'X_ADP_REGISTER_CONFIRM', validStatus);
export const ADP_NETWORK_INDICATION = contract<AdpStatus>(X_ADP_NETWORK_INDICATION, 'X_ADP_NETWORK_INDICATION', validStatus);
export const ADP_DATA_REQUEST = contract<AdpDataRequest>(
  X_ADP_DATA_REQUEST,
  'X_ADP_DATA_REQUEST',
  (p) => isObj(p) && isInt(p.handle, 0, 255) && isShort(p.dst) && isBytes(p.packet, ADP_PACKET_MIN, ADP_PACKET_MAX),
);
export const ADP_DATA_CONFIRM = contract<AdpDataConfirm>(
  X_ADP_DATA_CONFIRM,
  'X_ADP_DATA_CONFIRM',
  (p) => isObj(p) && isInt(p.handle, -1, 255) && isInt(p.status, 0, 255),
);
export const ADP_DATA_INDICATION = contract<AdpDataIndication>(
  X_ADP_DATA_INDICATION,
  'X_ADP_DATA_INDICATION',
  (p) => isObj(p) && isShort(p.src) && isInt(p.lqi, 0, 255) && isBytes(p.packet, 1, ADP_PACKET_MAX),
);
export const ADP_DEVICE_REQUEST = contract<AdpDeviceRequest>(
  X_ADP_DEVICE_REQUEST,
  'X_ADP_DEVICE_REQUEST',
  (p) => isObj(p) && isReq(p.req) && isInt(p.index, 0, 0xffff),
);
export const ADP_DEVICE_CONFIRM = contract<AdpDeviceConfirm>(
  X_ADP_DEVICE_CONFIRM,
  'X_ADP_DEVICE_CONFIRM',
  (p) =>
    isObj(p) &&
    isReq(p.req) &&
    isInt(p.status, 0, 255) &&
    isInt(p.index, -1, 0xffff) &&
    isInt(p.count, 0, 0xffff) &&
    isShort(p.short) &&
    isBytes(p.eui64, 8, 8),
);
export const APP_RX_EVENT = contract<AppRxEvent>(
  X_APP_RX_EVENT,
  'X_APP_RX_EVENT',
  (p) => isObj(p) && isShort(p.src) && isInt(p.srcPort, 0, 0xffff) && isBytes(p.data, 1, ADP_PACKET_MAX),
);

for (const c of [
  SYS_PING,
  SYS_PONG,
  ADP_REGISTER,
  ADP_REGISTER_CONFIRM,
  ADP_NETWORK_INDICATION,
  ADP_DATA_REQUEST,
  ADP_DATA_CONFIRM,
  ADP_DATA_INDICATION,
  ADP_DEVICE_REQUEST,
  ADP_DEVICE_CONFIRM,
  APP_RX_EVENT,
])
  seal(c);
