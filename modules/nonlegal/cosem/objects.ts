// COSEM object model: the base class with access rights per role, and the small interface
// classes (Blue Book, IEC 62056-6-2): Data (1), Register (3), Extended register (4), Clock (8),
// Push setup (40), Disconnect control (70). Values come from injected getters and hooks.
import type { AccessSelection } from '../dlms/xdlms.js';
import type { DateTimeValue, DlmsData, IntegerType } from '../dlms/axdr.js';
import { encodeData } from '../dlms/axdr.js';
import { ByteWriter } from '../dlms/bytes.js';
import { ActionResult, DataAccessResult } from '../dlms/xdlms-const.js';
import { ClassId, ControlState, type SecurityEventKind } from './cosem-const.js';
import { arr, bool, dateTimeOf, dt, en, i16, i8, items, nul, num, obis, octets, os, st, u16, u8 } from './data.js';

const DENIED = DataAccessResult.READ_WRITE_DENIED;
const TYPE = DataAccessResult.TYPE_UNMATCHED;
const OTHER = DataAccessResult.OTHER_REASON;

/**
 * Access rights per role (index Role.PUBLIC = 0, Role.MANAGEMENT = 1):
 * [public attributes, management attributes, public methods, management methods].
 * Attribute string: one char per attribute from 1: '-' none, 'r' read, 'w' write, 'b' both.
 * Method string: one char per method from 1: '-' none, 'x' allowed.
 */
export type Rights = readonly [string, string, string?, string?];

export function attributeAccess(r: Rights, role: number, attr: number): number {
  return Math.max(0, '-rwb'.indexOf(r[role]?.[attr - 1] ?? '-'));
}
export function methodAccess(r: Rights, role: number, m: number): boolean {
  return r[2 + role]?.[m - 1] === 'x';
}

/** What the current association looks like, as seen by the objects. */
export interface AssociationInfo {
  sap: number;
  role: number;
  status: number;
  context: number;
  mechanism: number;
  conformance: number;
  /** Largest APDU the client accepts (its max-receive-pdu-size, bounded by ours). */
  maxSend: number;
  maxRecv: number;
  /** HLS completed (4-pass done), so privileged methods may run. */
  hls: boolean;
  clientTitle?: Uint8Array;
}

/** The server seen from an object (push setup reads other objects, Association LN runs HLS). */
export interface ServerApi {
  readonly objects: readonly CosemObject[];
  readAttribute(classId: number, ln: Uint8Array, attr: number, ctx: Ctx): Promise<DlmsData | number>;
  replyToHls(ctx: Ctx, reply: Uint8Array): DlmsData | number;
  event(kind: SecurityEventKind, detail: string): void;
}

export interface Ctx {
  assoc: AssociationInfo;
  srv: ServerApi;
}

type Maybe<T> = T | Promise<T>;
/** Data on success, a Data-Access-Result (or Action-Result) number on failure. */
export type Outcome = Maybe<DlmsData | number>;

export abstract class CosemObject {
  abstract readonly classId: number;
  readonly version: number = 0;
  abstract readonly attrCount: number;
  readonly methodCount: number = 0;
  readonly ln: Uint8Array;
  rights: Rights;
  constructor(ln: string | Uint8Array, rights: Rights) {
    this.ln = obis(ln);
    this.rights = rights;
  }
  /** Access selectors supported by an attribute (listed in object_list). */
  selectors(_attr: number): readonly number[] | undefined {
    return undefined;
  }
  get(attr: number, ctx: Ctx, sel?: AccessSelection): Outcome {
    if (sel && !this.selectors(attr)?.includes(sel.selector)) return DataAccessResult.SCOPE_OF_ACCESS_VIOLATED;
    return attr === 1 ? os(this.ln) : this.read(attr, ctx, sel);
  }
  protected abstract read(attr: number, ctx: Ctx, sel?: AccessSelection): Outcome;
  /**
   * An attribute already A-XDR encoded (the bytes encodeData() gives for get()'s Data), where the
   * object has a cheaper path (profile.ts: the table codec); undefined: get() answers it.
   */
  encoded(_attr: number, _ctx: Ctx, _sel?: AccessSelection): Maybe<Uint8Array | undefined> {
    return undefined;
  }
  set(_attr: number, _v: DlmsData, _ctx: Ctx): Maybe<number> {
    return DENIED;
  }
  /** Result: Data = success with return parameters, 0/void = success, other number = Action-Result. */
  act(_m: number, _p: DlmsData | undefined, _ctx: Ctx): Maybe<DlmsData | number | undefined> {
    return ActionResult.OBJECT_UNAVAILABLE;
  }
}

// ---- capture object definitions (profile generic capture_objects, push_object_list) ----

export interface CaptureDef {
  classId: number;
  ln: Uint8Array;
  attr: number;
  dataIndex: number;
}
export const captureData = (c: CaptureDef): DlmsData => st(u16(c.classId), os(c.ln), i8(c.attr), u16(c.dataIndex));
export function captureOf(d: DlmsData | undefined): CaptureDef | undefined {
  const f = items(d);
  const classId = num(f?.[0]),
    ln = octets(f?.[1]),
    attr = num(f?.[2]),
    dataIndex = num(f?.[3]);
  if (classId === undefined || ln?.length !== 6 || attr === undefined || dataIndex === undefined) return undefined;
  return { classId, ln, attr, dataIndex };
}
export function def(classId: number, ln: string, attr = 2, dataIndex = 0): CaptureDef {
  return { classId, ln: obis(ln), attr, dataIndex };
}

// ---- Data (class 1) ----

export interface DataOptions {
  value: DlmsData | (() => Maybe<DlmsData>);
  /** Makes the value writable (by roles with 'w'); return false to refuse. */
  onSet?(v: DlmsData): Maybe<boolean>;
}

export class CosemData extends CosemObject {
  readonly classId: number = ClassId.DATA;
  readonly attrCount: number = 2;
  constructor(
    ln: string | Uint8Array,
    rights: Rights,
    private readonly opts: DataOptions,
  ) {
    super(ln, rights);
  }
  protected read(): Outcome {
    const v = this.opts.value;
    return typeof v === 'function' ? v() : v;
  }
  override async set(_a: number, v: DlmsData): Promise<number> {
    const cur = this.opts.value;
    if (!this.opts.onSet) return DENIED;
    if (typeof cur !== 'function' && cur.type !== v.type) return TYPE;
    if (!(await this.opts.onSet(v))) return OTHER;
    if (typeof cur !== 'function') this.opts.value = v;
    return 0;
  }
}

// ---- Register (3) and Extended register (4) ----

export interface RegisterOptions {
  read(): Maybe<number>;
  /** Data type of the value; default double-long-unsigned. */
  type?: IntegerType | 'long64' | 'long64-unsigned' | 'float32';
  scaler?: number;
  unit: number;
  reset?(): Maybe<boolean>;
  /** Extended register only: status and capture time. */
  status?(): Maybe<DlmsData>;
  captureTime?(): Maybe<DateTimeValue>;
}

export function valueData(type: NonNullable<RegisterOptions['type']>, n: number): DlmsData {
  if (type === 'long64' || type === 'long64-unsigned') return { type, value: BigInt(Math.round(n)) };
  if (type === 'float32') return { type, value: n };
  return { type, value: Math.round(n) };
}

export class Register extends CosemObject {
  readonly classId: number = ClassId.REGISTER;
  readonly attrCount: number = 3;
  override readonly methodCount = 1;
  constructor(
    ln: string | Uint8Array,
    rights: Rights,
    protected readonly opts: RegisterOptions,
  ) {
    super(ln, rights);
  }
  protected async read(a: number): Promise<DlmsData | number> {
    const o = this.opts;
    switch (a) {
      case 2:
        return valueData(o.type ?? 'double-long-unsigned', await o.read());
      case 3:
        return st(i8(o.scaler ?? 0), en(o.unit));
      case 4:
        return o.status ? o.status() : nul;
      case 5: {
        const t = o.captureTime && (await o.captureTime());
        return t ? dt(t) : nul;
      }
    }
    return DataAccessResult.OBJECT_UNDEFINED;
  }
  override async act(m: number): Promise<number> {
    return m === 1 && this.opts.reset && (await this.opts.reset()) ? 0 : ActionResult.OTHER_REASON;
  }
}

export class ExtendedRegister extends Register {
  override readonly classId: number = ClassId.EXTENDED_REGISTER;
  override readonly attrCount: number = 5;
}

// ---- Clock (8) ----

export interface ClockHooks {
  now(): DateTimeValue;
  /** The legal part applies the new time and logs the clock-change event; false refuses it. */
  setTime(t: DateTimeValue): Maybe<boolean>;
  /** shift_time (method 6), -900..900 s. */
  shiftTime?(seconds: number): Maybe<boolean>;
}

const NOT_SPECIFIED_DT = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0x00, 0xff);

export class Clock extends CosemObject {
  readonly classId: number = ClassId.CLOCK;
  readonly attrCount: number = 9;
  override readonly methodCount = 6;
  timeZone = 0;
  dstBegin: Uint8Array = NOT_SPECIFIED_DT;
  dstEnd: Uint8Array = NOT_SPECIFIED_DT;
  dstDeviation = 60;
  dstEnabled = false;
  constructor(
    ln: string | Uint8Array,
    rights: Rights,
    private readonly hooks: ClockHooks,
  ) {
    super(ln, rights);
  }
  protected read(a: number): Outcome {
    switch (a) {
      case 2:
        return dt(this.hooks.now());
      case 3:
        return i16(this.timeZone);
      case 4:
        return u8(this.hooks.now().clockStatus & 0xff);
      case 5:
        return os(this.dstBegin);
      case 6:
        return os(this.dstEnd);
      case 7:
        return i8(this.dstDeviation);
      case 8:
        return bool(this.dstEnabled);
      case 9:
        return en(1); // internal crystal
    }
    return DataAccessResult.OBJECT_UNDEFINED;
  }
  override async set(a: number, v: DlmsData): Promise<number> {
    const n = num(v);
    switch (a) {
      case 2: {
        const t = dateTimeOf(v);
        if (!t || t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 || t.second > 59) return TYPE;
        return (await this.hooks.setTime(t)) ? 0 : OTHER;
      }
      case 3:
        if (v.type !== 'long' || n === undefined || (n !== -0x8000 && (n < -720 || n > 840))) return TYPE;
        this.timeZone = n;
        return 0;
      case 5:
      case 6: {
        if (octets(v)?.length !== 12) return TYPE;
        if (a === 5) this.dstBegin = octets(v) as Uint8Array;
        else this.dstEnd = octets(v) as Uint8Array;
        return 0;
      }
      case 7:
        if (v.type !== 'integer' || n === undefined || n < -120 || n > 120) return TYPE;
        this.dstDeviation = n;
        return 0;
      case 8:
        if (v.type !== 'boolean') return TYPE;
        this.dstEnabled = v.value;
        return 0;
    }
    return DENIED;
  }
  override async act(m: number, p?: DlmsData): Promise<number> {
    const s = num(p);
    if (m !== 6 || !this.hooks.shiftTime) return ActionResult.OTHER_REASON;
    if (p?.type !== 'long' || s === undefined || s < -900 || s > 900) return ActionResult.TYPE_UNMATCHED;
    return (await this.hooks.shiftTime(s)) ? 0 : ActionResult.OTHER_REASON;
  }
}

// ---- Disconnect control (70) ----

export interface Relay {
  open(): Maybe<boolean>;
  close(): Maybe<boolean>;
  isClosed(): boolean;
}

export class DisconnectControl extends CosemObject {
  readonly classId: number = ClassId.DISCONNECT_CONTROL;
  readonly attrCount: number = 4;
  override readonly methodCount = 2;
  state: number;
  mode = 1;
  constructor(
    ln: string | Uint8Array,
    rights: Rights,
    private readonly relay: Relay,
  ) {
    super(ln, rights);
    this.state = relay.isClosed() ? ControlState.CONNECTED : ControlState.DISCONNECTED;
  }
  /** The relay is LEGAL's (kept over a power cut): control_state follows what it reports. */
  private sync(): void {
    if (this.relay.isClosed()) this.state = ControlState.CONNECTED;
    else if (this.state === ControlState.CONNECTED) this.state = ControlState.DISCONNECTED;
  }
  protected read(a: number): Outcome {
    this.sync();
    return a === 2 ? bool(this.relay.isClosed()) : a === 3 ? en(this.state) : en(this.mode);
  }
  override set(a: number, v: DlmsData): number {
    const n = num(v);
    if (a !== 4) return DENIED;
    if (v.type !== 'enum' || n === undefined || n > 6) return TYPE;
    this.mode = n;
    return 0;
  }
  /** Remote disconnect/reconnect (Blue Book 4.5.8, simplified to remote transitions a, b, c, d). */
  override async act(m: number, _p: DlmsData | undefined, ctx: Ctx): Promise<number> {
    if (!ctx.assoc.hls) return ActionResult.READ_WRITE_DENIED;
    if (this.mode === 0) return ActionResult.TEMPORARY_FAILURE;
    this.sync();
    if (m === 1) {
      if (!(await this.relay.open())) return ActionResult.HARDWARE_FAULT;
      this.state = ControlState.DISCONNECTED;
      return 0;
    }
    if (this.state === ControlState.CONNECTED) return 0;
    // Modes 1, 3, 5: remote reconnection only arms the relay (transition a), the customer closes it.
    if (this.mode % 2 === 1) {
      this.state = ControlState.READY_FOR_RECONNECTION;
      return 0;
    }
    if (!(await this.relay.close())) return ActionResult.HARDWARE_FAULT;
    this.state = ControlState.CONNECTED;
    return 0;
  }
  /** Manual reconnection (transition e), e.g. from the meter's push button. */
  async manualReconnect(): Promise<boolean> {
    if (this.state !== ControlState.READY_FOR_RECONNECTION || !(await this.relay.close())) return false;
    this.state = ControlState.CONNECTED;
    return true;
  }
}

// ---- Push setup (40) ----

export interface PushOptions {
  /** Sends a DATA-NOTIFICATION APDU to the destination (the meter's push sender). */
  send(apdu: Uint8Array, destination: Uint8Array, transport: number): Maybe<boolean>;
  objects?: CaptureDef[];
  destination?: Uint8Array;
  /** transport_service enum: 0 TCP, 1 UDP, ... */
  transport?: number;
}

const MAX_PUSH_OBJECTS = 32;

export class PushSetup extends CosemObject {
  readonly classId: number = ClassId.PUSH_SETUP;
  readonly attrCount: number = 7;
  override readonly methodCount = 1;
  objects: CaptureDef[];
  destination: Uint8Array;
  transport: number;
  windows: DlmsData = arr([]);
  randomisation = 0;
  retries = 3;
  delay = 60;
  private invokeId = 0;
  constructor(
    ln: string | Uint8Array,
    rights: Rights,
    private readonly opts: PushOptions,
  ) {
    super(ln, rights);
    this.objects = opts.objects ?? [];
    this.destination = opts.destination ?? new Uint8Array(0);
    this.transport = opts.transport ?? 1;
  }
  protected read(a: number): Outcome {
    switch (a) {
      case 2:
        return arr(this.objects.map(captureData));
      case 3:
        return st(en(this.transport), os(this.destination), en(0));
      case 4:
        return this.windows;
      case 5:
        return u16(this.randomisation);
      case 6:
        return u8(this.retries);
      case 7:
        return u16(this.delay);
    }
    return DataAccessResult.OBJECT_UNDEFINED;
  }
  override set(a: number, v: DlmsData): number {
    const f = items(v),
      n = num(v);
    switch (a) {
      case 2: {
        const defs = (v.type === 'array' ? (f ?? []) : []).map(captureOf);
        if (v.type !== 'array' || defs.length > MAX_PUSH_OBJECTS || defs.some((d) => !d)) return TYPE;
        this.objects = defs as CaptureDef[];
        return 0;
      }
      case 3: {
        const t = num(f?.[0]),
          d = octets(f?.[1]);
        if (v.type !== 'structure' || t === undefined || !d || d.length > 64) return TYPE;
        this.transport = t;
        this.destination = d;
        return 0;
      }
      case 4:
        if (v.type !== 'array' || v.items.length > 8 || v.items.some((w) => items(w)?.length !== 2)) return TYPE;
        this.windows = v;
        return 0;
      case 5:
        if (v.type !== 'long-unsigned' || n === undefined) return TYPE;
        this.randomisation = n;
        return 0;
      case 6:
        if (v.type !== 'unsigned' || n === undefined) return TYPE;
        this.retries = n;
        return 0;
      case 7:
        if (v.type !== 'long-unsigned' || n === undefined) return TYPE;
        this.delay = n;
        return 0;
    }
    return DENIED;
  }
  override async act(m: number, _p: DlmsData | undefined, ctx: Ctx): Promise<number> {
    if (m !== 1) return ActionResult.OBJECT_UNDEFINED;
    const values: DlmsData[] = [];
    for (const o of this.objects) {
      const v = await ctx.srv.readAttribute(o.classId, o.ln, o.attr, ctx);
      values.push(typeof v === 'number' ? nul : v);
    }
    // DATA-NOTIFICATION (Green Book 9.5): tag 0x0F, long-invoke-id-and-priority, date-time absent, body.
    this.invokeId = (this.invokeId + 1) & 0xffffff;
    const w = new ByteWriter()
      .u8(0x0f)
      .u32be(this.invokeId)
      .u8(0)
      .bytes(encodeData(st(...values)));
    return (await this.opts.send(w.finish(), this.destination, this.transport)) ? 0 : ActionResult.TEMPORARY_FAILURE;
  }
}
