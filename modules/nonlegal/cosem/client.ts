// DLMS/COSEM client, LN referencing: association (public, LLS, HLS-GMAC 4-pass, with or without
// ciphering), GET with block-transfer reassembly, GET with-list, SET (with datablocks when
// large), ACTION, profile reads by range or entry, release. Runs over any ApduLink.
import { AxdrDecoder, encodeData, readLength, type DateTimeValue, type DlmsData } from '../dlms/axdr.js';
import { ByteReader, concat } from '../dlms/bytes.js';
import { decodeAcse, encodeAcse } from '../dlms/acse.js';
import { decryptApdu, encryptApdu, hlsGmac, isCipheredTag, verifyHlsGmac, type Gcm, type SecurityKeys } from '../dlms/security.js';
import { ApplicationContext, Conformance, DLMS_VERSION, Mechanism } from '../dlms/xdlms-const.js';
import { decodeApdu, encodeApdu, type AccessSelection, type Apdu, type GetDataResult, type InvokeIdAndPriority } from '../dlms/xdlms.js';
import { ClassId } from './cosem-const.js';
import { arr, dt, items, obis, octets, os, st, u16, u32 } from './data.js';
import { captureData, def, type CaptureDef } from './objects.js';
import type { ApduLink } from '../dlms/link.js';

export interface DlmsClientOptions {
  link: ApduLink;
  /** Needed for HLS-GMAC and ciphering. */
  gcm?: Gcm;
  keys?: SecurityKeys;
  systemTitle?: Uint8Array;
  /** Last invocation counter used with these keys (the next one sent is +1). */
  invocationCounter?: number;
  /** Called with each invocation counter before it is sent (to persist it). */
  onInvocationCounter?(ic: number): void;
  random?(n: number): Uint8Array;
  /** client-max-receive-pdu-size. Default 1024. */
  maxPduSize?: number;
  conformance?: number;
  /** Bounds on GET block transfer: blocks and reassembled bytes. Defaults 1024 and 1 MiB. */
  maxBlocks?: number;
  maxBytes?: number;
  /** Deepest nesting of arrays/structures accepted in the server's Data. Default 16 (AXDR_DEFAULT_MAX_DEPTH). */
  maxDepth?: number;
}

/** A client's persistent security state (meter/ic-store.ts keeps the concentrator's in NVRAM). */
export interface ClientSecurity {
  /** Random bytes for the CtoS challenge. */
  random(n: number): Uint8Array;
  /** The last invocation counter used (every one sent from now on is above it). */
  invocationCounter(): number;
  /** A counter about to be sent (persisted before it goes out). */
  used(ic: number): void;
}

export interface AssociateOptions {
  /** Mechanism.LOWEST (default), LOW (with password) or HIGH_GMAC. */
  mechanism?: number;
  password?: Uint8Array;
  /** Application context LN with ciphering: every xDLMS APDU is glo- protected (SC 0x30). */
  ciphered?: boolean;
}

/** A service failed: code is the Data-Access-Result / Action-Result / service error / ACSE diagnostic. */
export class DlmsError extends Error {
  override name = 'DlmsError';
  constructor(
    readonly code: number,
    what: string,
  ) {
    super(`${what} (${code})`);
  }
}

const ALL =
  Conformance.GET |
  Conformance.SET |
  Conformance.ACTION |
  Conformance.SELECTIVE_ACCESS |
  Conformance.MULTIPLE_REFERENCES |
  Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ |
  Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE;
const CLOCK = def(ClassId.CLOCK, '0.0.1.0.0.255');

export class DlmsClient {
  serverTitle: Uint8Array | undefined;
  serverMaxPdu = 0;
  conformance = 0;
  associated = false;
  /** Last invocation counter used by the client. */
  ic: number;
  private serverIc = -1;
  private ciphered = false;
  private invokeId = 0;
  private readonly decoder: AxdrDecoder;
  constructor(private readonly o: DlmsClientOptions) {
    this.ic = o.invocationCounter ?? 0;
    this.decoder = new AxdrDecoder({ maxLength: o.maxBytes ?? 1 << 20, ...(o.maxDepth === undefined ? {} : { maxDepth: o.maxDepth }) });
  }

  /** The last invocation counter received from the server (-1: none yet). */
  get serverInvocationCounter(): number {
    return this.serverIc;
  }

  private nextIc(): number {
    this.ic = (this.ic + 1) >>> 0;
    this.o.onInvocationCounter?.(this.ic);
    return this.ic;
  }

  private sec(): { gcm: Gcm; keys: SecurityKeys; title: Uint8Array } {
    const { gcm, keys, systemTitle } = this.o;
    if (!gcm || !keys || systemTitle?.length !== 8) throw new DlmsError(0, 'gcm, keys and an 8-byte system title are needed');
    return { gcm, keys, title: systemTitle };
  }

  async associate(opt: AssociateOptions = {}): Promise<void> {
    const mech = opt.mechanism ?? Mechanism.LOWEST,
      hls = mech === Mechanism.HIGH_GMAC,
      ciphered = !!opt.ciphered;
    await this.o.link.open?.();
    this.associated = this.ciphered = false;
    this.serverIc = -1;
    let ui = encodeApdu({
      kind: 'initiate-request',
      responseAllowed: true,
      proposedDlmsVersion: DLMS_VERSION,
      proposedConformance: this.o.conformance ?? ALL,
      clientMaxReceivePduSize: this.o.maxPduSize ?? 1024,
    });
    const s = ciphered || hls ? this.sec() : undefined;
    if (s && ciphered) ui = encryptApdu(s.gcm, s.keys, s.title, 0x30, this.nextIc(), ui);
    const ctos = hls ? (this.o.random ?? ((n: number) => new Uint8Array(n).map(() => (Math.random() * 256) | 0)))(16) : undefined;
    const av = mech === Mechanism.LOW ? opt.password : ctos;
    const q = encodeAcse({
      kind: 'aarq',
      applicationContext: ciphered ? ApplicationContext.LN_WITH_CIPHERING : ApplicationContext.LN_NO_CIPHERING,
      ...(s ? { callingApTitle: s.title } : {}),
      ...(mech ? { authentication: true, mechanism: mech } : {}),
      ...(av ? { authenticationValue: av } : {}),
      userInformation: ui,
    });
    const r = decodeAcse(await this.o.link.request(q));
    if (r.kind !== 'aare') throw new DlmsError(0, 'no AARE');
    if (r.result !== 0) {
      let e: Apdu | undefined;
      try {
        e = r.userInformation && decodeApdu(r.userInformation);
      } catch {
        /* plain diagnostic */
      }
      throw e?.kind === 'confirmed-service-error'
        ? new DlmsError(e.error, 'initiate refused')
        : new DlmsError(r.diagnostic, 'association rejected');
    }
    this.serverTitle = r.respondingApTitle;
    let info = r.userInformation;
    if (!info) throw new DlmsError(0, 'AARE without initiate response');
    if (s && ciphered) info = this.unprotect(info);
    const ir = decodeApdu(info);
    if (ir.kind !== 'initiate-response') throw new DlmsError(ir.kind === 'confirmed-service-error' ? ir.error : 0, 'initiate refused');
    this.serverMaxPdu = ir.serverMaxReceivePduSize || 0xffff;
    this.conformance = ir.negotiatedConformance;
    this.ciphered = ciphered;
    if (s && hls) {
      const stoc = r.authenticationValue;
      if (!stoc || !ctos || !this.serverTitle) throw new DlmsError(0, 'AARE without StoC');
      const reply = octets(
        await this.action(ClassId.ASSOCIATION_LN, '0.0.40.0.0.255', 1, os(hlsGmac(s.gcm, s.keys, s.title, this.nextIc(), stoc))),
      );
      if (!reply || verifyHlsGmac(s.gcm, s.keys, this.serverTitle, ctos, reply) === null) throw new DlmsError(0, 'server f(CtoS) wrong');
    }
    this.associated = true;
  }

  async release(): Promise<void> {
    try {
      const r = decodeAcse(await this.o.link.request(encodeAcse({ kind: 'rlrq', reason: 0 })));
      if (r.kind !== 'rlre') throw new DlmsError(0, 'no RLRE');
    } finally {
      this.associated = false;
      await this.o.link.close?.();
    }
  }

  private unprotect(b: Uint8Array): Uint8Array {
    const s = this.sec();
    const d = decryptApdu(s.gcm, s.keys, this.serverTitle, b);
    if (d.apdu.invocationCounter <= this.serverIc) throw new DlmsError(0, 'server invocation counter replayed');
    this.serverIc = d.apdu.invocationCounter;
    return d.plaintext;
  }

  private invoke(): InvokeIdAndPriority {
    this.invokeId = (this.invokeId + 1) & 15;
    return { invokeId: this.invokeId, confirmed: true, highPriority: true };
  }

  /** Sends one xDLMS APDU (protected when ciphered) and returns the decoded response. */
  async exchange(a: Apdu): Promise<Apdu> {
    let b = encodeApdu(a);
    if (this.ciphered) {
      const s = this.sec();
      b = encryptApdu(s.gcm, s.keys, s.title, 0x30, this.nextIc(), b);
    }
    let r = await this.o.link.request(b);
    if (this.ciphered && r[0] !== undefined && isCipheredTag(r[0])) r = this.unprotect(r);
    const x = decodeApdu(r, {
      maxLength: this.o.maxBytes ?? 1 << 20,
      ...(this.o.maxDepth === undefined ? {} : { maxDepth: this.o.maxDepth }),
    });
    if (x.kind === 'exception-response') throw new DlmsError(x.serviceError, 'exception-response');
    return x;
  }

  private overhead(): number {
    return this.ciphered ? 21 : 0;
  }

  /** Collects GET-Response-With-Datablock blocks (first already received). */
  private async blocks(first: Apdu, invoke: InvokeIdAndPriority): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let r = first,
      size = 0;
    for (let n = 1; ; n++) {
      if (r.kind !== 'get-response-with-datablock') throw new DlmsError(0, `unexpected ${r.kind}`);
      if ('error' in r.result) throw new DlmsError(r.result.error, 'block transfer');
      if (r.blockNumber !== n || n > (this.o.maxBlocks ?? 1024)) throw new DlmsError(0, `block ${r.blockNumber}`);
      size += r.result.raw.length;
      if (size > (this.o.maxBytes ?? 1 << 20)) throw new DlmsError(0, 'block transfer too long');
      parts.push(r.result.raw);
      if (r.lastBlock) return concat(...parts);
      r = await this.exchange({ kind: 'get-request-next', invoke, blockNumber: n });
    }
  }

  async get(classId: number, ln: string | Uint8Array, attributeId: number, access?: AccessSelection): Promise<DlmsData> {
    const invoke = this.invoke();
    const q: Apdu = { kind: 'get-request-normal', invoke, attribute: { classId, instance: obis(ln), attributeId } };
    if (access) q.access = access;
    const r = await this.exchange(q);
    if (r.kind === 'get-response-normal') {
      if ('error' in r.result) throw new DlmsError(r.result.error, 'get');
      return r.result.data;
    }
    return this.decoder.decode(await this.blocks(r, invoke));
  }

  async getList(list: [classId: number, ln: string | Uint8Array, attributeId: number][]): Promise<GetDataResult[]> {
    const invoke = this.invoke();
    const r = await this.exchange({
      kind: 'get-request-with-list',
      invoke,
      attributes: list.map(([classId, ln, attributeId]) => ({ attribute: { classId, instance: obis(ln), attributeId } })),
    });
    if (r.kind === 'get-response-with-list') return r.results;
    if (r.kind === 'get-response-normal' && 'error' in r.result) throw new DlmsError(r.result.error, 'get-with-list');
    const raw = await this.blocks(r, invoke),
      rd = new ByteReader(raw),
      out: GetDataResult[] = [];
    const n = readLength(rd, 'get-with-list.count', list.length);
    for (let i = 0; i < n; i++)
      out.push(rd.u8('get-with-list.choice') === 0 ? { data: this.decoder.read(rd) } : { error: rd.u8('get-with-list.result') });
    return out;
  }

  async set(classId: number, ln: string | Uint8Array, attributeId: number, value: DlmsData): Promise<void> {
    const invoke = this.invoke(),
      attribute = { classId, instance: obis(ln), attributeId };
    const raw = encodeData(value),
      room = this.serverMaxPdu - this.overhead() - 32;
    if (raw.length + 16 + this.overhead() <= this.serverMaxPdu || !(this.conformance & Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE)) {
      const r = await this.exchange({ kind: 'set-request-normal', invoke, attribute, value });
      if (r.kind !== 'set-response-normal' || r.result !== 0) throw new DlmsError(r.kind === 'set-response-normal' ? r.result : 0, 'set');
      return;
    }
    for (let n = 1, o = 0; ; n++, o += room) {
      const chunk = raw.subarray(o, o + room),
        lastBlock = o + room >= raw.length;
      const r = await this.exchange(
        n === 1
          ? { kind: 'set-request-with-first-datablock', invoke, attribute, lastBlock, blockNumber: n, raw: chunk }
          : { kind: 'set-request-with-datablock', invoke, lastBlock, blockNumber: n, raw: chunk },
      );
      if (r.kind === 'set-response-last-datablock') {
        if (r.result !== 0 || !lastBlock) throw new DlmsError(r.result, 'set');
        return;
      }
      if (r.kind !== 'set-response-datablock' || r.blockNumber !== n || lastBlock) throw new DlmsError(0, 'set datablock');
    }
  }

  async action(classId: number, ln: string | Uint8Array, methodId: number, parameters?: DlmsData): Promise<DlmsData | undefined> {
    const q: Apdu = { kind: 'action-request-normal', invoke: this.invoke(), method: { classId, instance: obis(ln), methodId } };
    if (parameters) q.parameters = parameters;
    const r = await this.exchange(q);
    if (r.kind !== 'action-response-normal') throw new DlmsError(0, `unexpected ${r.kind}`);
    if (r.result !== 0) throw new DlmsError(r.result, 'action');
    if (r.returnParameters && 'error' in r.returnParameters) throw new DlmsError(r.returnParameters.error, 'action');
    return r.returnParameters?.data;
  }

  /** Profile generic buffer by range (selector 1) on the clock column; columns empty = all. */
  async readProfileByRange(
    ln: string | Uint8Array,
    from: DateTimeValue,
    to: DateTimeValue,
    columns: CaptureDef[] = [],
    restricting: CaptureDef = CLOCK,
  ): Promise<DlmsData[]> {
    const d = await this.get(ClassId.PROFILE_GENERIC, ln, 2, {
      selector: 1,
      parameters: st(captureData(restricting), dt(from), dt(to), arr(columns.map(captureData))),
    });
    return items(d) ?? [];
  }

  /** Profile generic buffer by entry (selector 2), 1-based, 0 = to the last entry / column. */
  async readProfileByEntry(ln: string | Uint8Array, fromEntry: number, toEntry = 0, fromColumn = 1, toColumn = 0): Promise<DlmsData[]> {
    const d = await this.get(ClassId.PROFILE_GENERIC, ln, 2, {
      selector: 2,
      parameters: st(u32(fromEntry), u32(toEntry), u16(fromColumn), u16(toColumn)),
    });
    return items(d) ?? [];
  }
}
