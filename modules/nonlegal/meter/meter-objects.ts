// The meter's default COSEM object list (one logical device, SAP 1) and its access rights:
// public client (SAP 16, no security) reads a subset; management client (SAP 1, HLS-GMAC)
// reads, writes and acts. Values and buffers come from providers owned by the legal part.
import { ApplicationContext, Conformance, Mechanism } from '../dlms/xdlms-const.js';
import { asciiBytes } from '../dlms/bytes.js';
import { ClassId, ClientSap, Role, Unit } from '../cosem/cosem-const.js';
import { os } from '../cosem/data.js';
import {
  Clock,
  CosemData,
  DisconnectControl,
  PushSetup,
  Register,
  def,
  type ClockHooks,
  type CosemObject,
  type PushOptions,
  type RegisterOptions,
  type Relay,
  type Rights,
} from '../cosem/objects.js';
import { ProfileGeneric, type ProfileBuffer } from '../cosem/profile.js';
import { AssociationLn, SecuritySetup, type ClientConfig, type SecuritySetupOptions } from '../cosem/association.js';

type Maybe<T> = T | Promise<T>;

export interface MeterProviders {
  clock: ClockHooks;
  /** Energy register value (Wh or varh) by OBIS, e.g. "1.0.1.8.0.255". */
  energy(obis: string): Maybe<number>;
  /** Instantaneous value by OBIS in the register's scaled unit (0.1 V, mA, W). */
  instant(obis: string): Maybe<number>;
  loadProfile: ProfileBuffer;
  eventLog: ProfileBuffer;
  powerQualityLog: ProfileBuffer;
  relay: Relay;
  push: PushOptions['send'];
  security: SecuritySetupOptions;
  /** Logical device name (COSEM: 16 octets, 3-letter manufacturer id first). */
  deviceName: string;
  deviceId: string;
  /** Load profile capture period in seconds. Default 900 (15 min). */
  loadProfilePeriod?: number;
  onLoadProfilePeriod?(seconds: number): Maybe<boolean>;
  loadProfileDepth?: number;
  /** Client SAPs and their authentication. Default: DEFAULT_CLIENTS. */
  clients?: ClientConfig[];
  /** More objects at the end of the list (the alarm function: push.ts alarmObjects). */
  extra?: CosemObject[];
}

export const PUBLIC_CONFORMANCE =
  Conformance.GET | Conformance.SELECTIVE_ACCESS | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ | Conformance.MULTIPLE_REFERENCES;

export const DEFAULT_CLIENTS: readonly ClientConfig[] = Object.freeze([
  {
    sap: ClientSap.PUBLIC,
    role: Role.PUBLIC,
    mechanism: Mechanism.LOWEST,
    contexts: [ApplicationContext.LN_NO_CIPHERING],
    conformance: PUBLIC_CONFORMANCE,
  },
  {
    sap: ClientSap.MANAGEMENT,
    role: Role.MANAGEMENT,
    mechanism: Mechanism.HIGH_GMAC,
    contexts: [ApplicationContext.LN_NO_CIPHERING, ApplicationContext.LN_WITH_CIPHERING],
  },
]);

export const ENERGY_REGISTERS: readonly [string, number][] = [
  ['1.0.1.8.0.255', Unit.WH],
  ['1.0.2.8.0.255', Unit.WH],
  ['1.0.3.8.0.255', Unit.VARH],
  ['1.0.4.8.0.255', Unit.VARH],
];
/** [OBIS, unit, scaler, type] of the instantaneous values, per phase L1, L2, L3 then totals. */
export const INSTANT_REGISTERS: readonly [string, number, number, NonNullable<RegisterOptions['type']>][] = [
  ['1.0.32.7.0.255', Unit.V, -1, 'long-unsigned'],
  ['1.0.52.7.0.255', Unit.V, -1, 'long-unsigned'],
  ['1.0.72.7.0.255', Unit.V, -1, 'long-unsigned'],
  ['1.0.31.7.0.255', Unit.A, -3, 'double-long-unsigned'],
  ['1.0.51.7.0.255', Unit.A, -3, 'double-long-unsigned'],
  ['1.0.71.7.0.255', Unit.A, -3, 'double-long-unsigned'],
  ['1.0.21.7.0.255', Unit.W, 0, 'double-long'],
  ['1.0.41.7.0.255', Unit.W, 0, 'double-long'],
  ['1.0.61.7.0.255', Unit.W, 0, 'double-long'],
  ['1.0.1.7.0.255', Unit.W, 0, 'double-long'],
  ['1.0.14.7.0.255', Unit.HZ, -2, 'long-unsigned'],
];

// Rights: [public attributes, management attributes, public methods, management methods].
const READ_ONLY: Rights = ['rrrrrrrrr', 'rrrrrrrrr'];
const MGMT_ONLY_READ: Rights = ['', 'rrrrrrrrr'];

export function createMeterObjects(p: MeterProviders): CosemObject[] {
  const clockDef = def(ClassId.CLOCK, '0.0.1.0.0.255');
  const energyDefs = ENERGY_REGISTERS.map(([o]) => def(ClassId.REGISTER, o));
  const log = (ln: string, code: string, buffer: ProfileBuffer) =>
    new ProfileGeneric(ln, MGMT_ONLY_READ, { buffer, capture: [clockDef, def(ClassId.DATA, code)], period: 0, depth: 100 });
  return [
    new AssociationLn('0.0.40.0.0.255', ['rrrrrr-rr', 'rrrrrrwrr', '--', 'xx'], {
      clients: (p.clients ?? DEFAULT_CLIENTS).map((c) => ({ ...c })),
    }),
    new SecuritySetup('0.0.43.0.0.255', ['', 'rrrrr', '', 'xx'], p.security),
    new Clock('0.0.1.0.0.255', ['rrrrrrrrr', 'rbbrbbbbr', '', '-----x'], p.clock),
    new CosemData('0.0.42.0.0.255', READ_ONLY, { value: os(asciiBytes(p.deviceName) ?? new Uint8Array(0)) }),
    new CosemData('0.0.96.1.0.255', READ_ONLY, { value: os(asciiBytes(p.deviceId) ?? new Uint8Array(0)) }),
    ...ENERGY_REGISTERS.map(([o, unit]) => new Register(o, READ_ONLY, { read: () => p.energy(o), unit })),
    ...INSTANT_REGISTERS.map(([o, unit, scaler, type]) => new Register(o, READ_ONLY, { read: () => p.instant(o), unit, scaler, type })),
    new ProfileGeneric('1.0.99.1.0.255', ['rrrrrrrr', 'rrrbrrrr', '', 'xx'], {
      buffer: p.loadProfile,
      capture: [clockDef, ...energyDefs],
      period: p.loadProfilePeriod ?? 900,
      depth: p.loadProfileDepth ?? 2880,
      ...(p.onLoadProfilePeriod ? { onPeriod: p.onLoadProfilePeriod } : {}),
    }),
    log('0.0.99.98.0.255', '0.0.96.11.0.255', p.eventLog),
    log('0.0.99.98.4.255', '0.0.96.11.4.255', p.powerQualityLog),
    new DisconnectControl('0.0.96.3.10.255', ['rrr', 'rrrb', '', 'xx'], p.relay),
    new PushSetup('0.0.25.9.0.255', ['', 'rbbbbbb', '', 'x'], {
      send: p.push,
      objects: [def(ClassId.DATA, '0.0.42.0.0.255'), clockDef, ...energyDefs.slice(0, 2)],
    }),
    ...(p.extra ?? []),
  ];
}
