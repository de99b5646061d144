// DLMS/COSEM server application layer, LN referencing (IEC 62056-5-3 / Green Book 9.3-9.4):
// association control (AARQ/AARE, RLRQ/RLRE, LLS, HLS-GMAC 4-pass), security suite 0 with
// invocation counters, GET (normal, with-list, block transfer), SET (normal, with-list,
// datablock), ACTION. handle() never throws: bad input gives an exception-response or a drop.
import { AxdrDecoder, encodeData, writeLength, type DlmsData } from '../dlms/axdr.js';
import { ByteWriter, bytesEqual, concat } from '../dlms/bytes.js';
import { decodeAcse, encodeAcse, type Aare } from '../dlms/acse.js';
import {
  AuthenticationFailed,
  decodeSecurityControl,
  decryptApdu,
  encryptApdu,
  hlsGmac,
  verifyHlsGmac,
  type Gcm,
} from '../dlms/security.js';
import {
  AcseServiceUserDiagnostic as Diag,
  ActionResult,
  ApduTag,
  ApplicationContext,
  AssociationResult,
  Conformance,
  DataAccessResult,
  DLMS_VERSION,
  GetResponseType,
  InitiateError,
  Mechanism,
  ServiceError,
  StateError,
  VAA_NAME_LN,
  ConfirmedService,
  ServiceErrorKind,
} from '../dlms/xdlms-const.js';
import {
  XdlmsDecoder,
  encodeApdu,
  decodeApdu,
  type AccessSelection,
  type Apdu,
  type AttributeDescriptor,
  type GetDataResult,
  type InvokeIdAndPriority,
  encodeInvoke,
} from '../dlms/xdlms.js';
import {
  AssociationStatus,
  ClassId,
  COSEM_DEFAULT_MAX_BLOCKS,
  COSEM_DEFAULT_MAX_DATA_DEPTH,
  COSEM_DEFAULT_MAX_LIST,
  COSEM_DEFAULT_MAX_PDU,
  COSEM_DEFAULT_MAX_SET_BYTES,
  COSEM_MIN_PDU,
  type SecurityEventKind,
} from './cosem-const.js';
import { lnKey, os } from './data.js';
import { attributeAccess, methodAccess, type AssociationInfo, type CosemObject, type Ctx, type ServerApi } from './objects.js';
import { AssociationLn, SecuritySetup } from './association.js';

export interface CosemServerOptions {
  objects: CosemObject[];
  gcm: Gcm;
  /** Random bytes (StoC challenge). */
  random(n: number): Uint8Array;
  onSecurityEvent?(kind: SecurityEventKind, detail: string): void;
  /** server-max-receive-pdu-size, also the largest APDU sent. Default 1024. */
  maxPduSize?: number;
  /** Longest GET/SET with-list. Default 16. */
  maxListLength?: number;
  /** Most blocks in one long GET or SET. Default 512. */
  maxBlocks?: number;
  /** Largest value reassembled from SET datablocks. Default 4096. */
  maxSetBytes?: number;
  /** Conformance the server supports. */
  conformance?: number;
  /** Associations open at once over every link (AARQ beyond it is rejected). Default 8. */
  maxAssociations?: number;
  /** Deepest nesting of arrays/structures in client Data (selective access, SET, ACTION). Default 8. */
  maxDataDepth?: number;
}

export const SERVER_CONFORMANCE =
  Conformance.GET |
  Conformance.SET |
  Conformance.ACTION |
  Conformance.SELECTIVE_ACCESS |
  Conformance.MULTIPLE_REFERENCES |
  Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ |
  Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE;

/** glo- tag, length (<= 3 bytes), SC, IC, GCM tag. */
const CIPHER_OVERHEAD = 21;
/** GET-Response-With-Datablock header: tag, type, invoke, last, block number, choice, length. */
const BLOCK_HEADER = 12;

interface Assoc extends AssociationInfo {
  /** Association table key: the link's peer and the client SAP (see key()). */
  key: number;
  stoc?: Uint8Array | undefined;
  ctos?: Uint8Array | undefined;
  long?: { raw: Uint8Array; block: number; size: number } | undefined;
  lset?: { attr: AttributeDescriptor; parts: Uint8Array[]; size: number; block: number } | undefined;
}

type Reply = Apdu | Uint8Array | number; // Uint8Array: the APDU encoded; number: service-error of an exception-response

export class CosemServer implements ServerApi {
  readonly objects: readonly CosemObject[];
  readonly association: AssociationLn;
  readonly security: SecuritySetup;
  /** Dropped or refused input by reason (readable from the shell). */
  readonly drops = { malformed: 0, unassociated: 0, deciphering: 0, replay: 0, rejected: 0, internal: 0, tooLong: 0 };
  /** GET results the object encoded itself (CosemObject.encoded(): a profile buffer by the table codec). */
  readonly encodedGets = { count: 0 };
  private readonly byLn = new Map<string, CosemObject>();
  private readonly assocs = new Map<number, Assoc>();
  private readonly maxPdu: number;
  private readonly xdlms: XdlmsDecoder;
  private readonly maxDepth: number;

  constructor(private readonly opts: CosemServerOptions) {
    this.objects = opts.objects;
    for (const o of opts.objects) this.byLn.set(lnKey(o.ln), o);
    const find = (c: number) => opts.objects.find((o) => o.classId === c);
    const a = find(ClassId.ASSOCIATION_LN),
      s = find(ClassId.SECURITY_SETUP);
    if (!(a instanceof AssociationLn) || !(s instanceof SecuritySetup))
      throw new Error('cosem: Association LN and Security setup required');
    this.association = a;
    this.security = s;
    this.maxPdu = Math.max(COSEM_MIN_PDU, Math.min(opts.maxPduSize ?? COSEM_DEFAULT_MAX_PDU, 0xffff));
    this.maxDepth = opts.maxDataDepth ?? COSEM_DEFAULT_MAX_DATA_DEPTH;
    this.xdlms = new XdlmsDecoder({ maxLength: this.maxPdu, maxDepth: this.maxDepth });
  }

  event(kind: SecurityEventKind, detail: string): void {
    try {
      this.opts.onSecurityEvent?.(kind, detail);
    } catch {
      /* a logging failure must not break the server */
    }
  }

  /** The association state of a client SAP (of link peer `peer`), if any. */
  associationOf(sap: number, peer = 0): Readonly<AssociationInfo> | undefined {
    return this.assocs.get(key(sap, peer));
  }

  /** Associations open now. */
  get associations(): number {
    return this.assocs.size;
  }

  /** The link to this client closed (HDLC DISC, TCP close, UDP inactivity): its association ends. */
  release(sap: number, peer = 0): void {
    this.assocs.delete(key(sap, peer));
  }

  /**
   * One APDU from client `sap`; returns the response APDU or null (dropped). Never throws.
   * `peer` tells apart clients with the same SAP on different links (0: the optical HDLC link;
   * the UDP wrapper gives one per remote address and port).
   */
  async handle(sap: number, apdu: Uint8Array, peer = 0): Promise<Uint8Array | null> {
    try {
      // Go on from a promise job at the bottom of the XS stack, not under the link's call chain:
      // decoding and serving then have the stack's margin (docs/dlms-bounds.md).
      await undefined;
      return await this.dispatch(sap, apdu, key(sap, peer));
    } catch {
      this.drops.internal++;
      return exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OTHER_REASON);
    }
  }

  private async dispatch(sap: number, bytes: Uint8Array, k: number): Promise<Uint8Array | null> {
    const tag = bytes[0];
    if (tag === undefined) {
      this.drops.malformed++;
      return null;
    }
    if (bytes.length > this.maxPdu) {
      this.drops.tooLong++;
      return exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG);
    }
    if (tag === ApduTag.AARQ) return this.aarq(sap, bytes, k);
    if (tag === ApduTag.RLRQ) {
      try {
        decodeAcse(bytes, { maxLength: this.maxPdu });
      } catch {
        this.drops.malformed++;
        return null;
      }
      this.assocs.delete(k);
      return encodeAcse({ kind: 'rlre', reason: 0 });
    }
    const a = this.assocs.get(k);
    if (!a) {
      this.drops.unassociated++;
      return exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE);
    }
    let plain: Uint8Array = bytes,
      sc = -1;
    const ciphered = a.context === ApplicationContext.LN_WITH_CIPHERING;
    if (tag >= ApduTag.GLO_GET_REQUEST && tag <= ApduTag.GENERAL_DED_CIPHERING) {
      if (!ciphered || !a.clientTitle) return exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE);
      const d = this.decipher(a.clientTitle, bytes);
      if (typeof d === 'number')
        return exception(
          StateError.SERVICE_NOT_ALLOWED,
          d,
          d === ServiceError.INVOCATION_COUNTER_ERROR ? this.security.lastIc(a.clientTitle) + 1 : undefined,
        );
      [plain, sc] = d;
    } else if (ciphered && this.security.policy !== 0) {
      this.drops.deciphering++;
      return exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE);
    }
    let req: Apdu;
    try {
      req = this.xdlms.decode(plain);
    } catch {
      this.drops.malformed++;
      return exception(StateError.SERVICE_UNKNOWN, ServiceError.OTHER_REASON);
    }
    const ctx: Ctx = { assoc: a, srv: this };
    if (
      a.status === AssociationStatus.PENDING &&
      !(req.kind === 'action-request-normal' && req.method.classId === ClassId.ASSOCIATION_LN && req.method.methodId === 1)
    ) {
      return exception(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE);
    }
    const r = await this.service(a, ctx, req, sc >= 0);
    if (typeof r === 'number') return exception(StateError.SERVICE_UNKNOWN, r);
    let out = r instanceof Uint8Array ? r : encodeApdu(r);
    if (sc >= 0) out = encryptApdu(this.opts.gcm, this.security.keys, this.security.serverTitle, sc, this.security.nextIc(), out);
    this.security.commit(ctx);
    return out;
  }

  /** Unprotects a ciphered APDU: [plaintext, SC] or a ServiceError; emits the security event. */
  private decipher(title: Uint8Array, bytes: Uint8Array): [Uint8Array, number] | number {
    let d: ReturnType<typeof decryptApdu>;
    try {
      d = decryptApdu(this.opts.gcm, this.security.keys, title, bytes, this.maxPdu);
    } catch (e) {
      this.drops.deciphering++;
      if (e instanceof AuthenticationFailed) this.event('deciphering-failure', 'GCM tag mismatch');
      return ServiceError.DECIPHERING_ERROR;
    }
    const c = decodeSecurityControl(d.apdu.securityControl),
      p = this.security.policy;
    if (d.apdu.kind === 'general-ciphering' && !bytesEqual(d.apdu.systemTitle, title)) {
      this.drops.deciphering++;
      return ServiceError.DECIPHERING_ERROR;
    }
    if ((p & 1 && !c.authenticated) || (p & 2 && !c.encrypted)) {
      this.drops.deciphering++;
      return ServiceError.DECIPHERING_ERROR;
    }
    if (!this.security.acceptIc(title, d.apdu.invocationCounter)) {
      this.drops.replay++;
      this.event('replay', this.security.refusal(title, d.apdu.invocationCounter));
      return ServiceError.INVOCATION_COUNTER_ERROR;
    }
    return [d.plaintext, d.apdu.securityControl];
  }

  // ---- association control ----

  private aarq(sap: number, bytes: Uint8Array, k: number): Uint8Array | null {
    let q: ReturnType<typeof decodeAcse>;
    try {
      q = decodeAcse(bytes, { maxLength: this.maxPdu });
    } catch {
      this.drops.malformed++;
      return null;
    }
    if (q.kind !== 'aarq') {
      this.drops.malformed++;
      return null;
    }
    this.assocs.delete(k);
    const cfg = this.association.client(sap),
      ctxId = q.applicationContext,
      title = q.callingApTitle;
    const aare = (diag: number, extra: Partial<Aare> = {}) =>
      encodeAcse({
        kind: 'aare',
        applicationContext: ctxId,
        result:
          diag === Diag.NULL || diag === Diag.AUTHENTICATION_REQUIRED ? AssociationResult.ACCEPTED : AssociationResult.REJECTED_PERMANENT,
        diagnosticSource: 'user',
        diagnostic: diag,
        ...extra,
      });
    const reject = (diag: number, why: string, ui?: Uint8Array) => {
      this.drops.rejected++;
      if (diag !== Diag.AUTHENTICATION_FAILURE) this.event('association-rejected', `SAP ${sap}: ${why}`);
      return aare(diag, ui ? { userInformation: ui } : {});
    };
    if (!cfg) return reject(Diag.NO_REASON_GIVEN, 'unknown client');
    if (this.assocs.size >= (this.opts.maxAssociations ?? 8)) return reject(Diag.NO_REASON_GIVEN, 'association table full');
    if (!(cfg.contexts ?? [ApplicationContext.LN_NO_CIPHERING]).includes(ctxId))
      return reject(Diag.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED, `context ${ctxId}`);
    const mech = q.mechanism ?? Mechanism.LOWEST;
    if (mech !== cfg.mechanism)
      return reject(
        q.mechanism === undefined ? Diag.AUTHENTICATION_MECHANISM_NAME_REQUIRED : Diag.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED,
        `mechanism ${mech}`,
      );
    const ciphered = ctxId === ApplicationContext.LN_WITH_CIPHERING,
      hls = mech === Mechanism.HIGH_GMAC;
    if ((ciphered || hls) && title?.length !== 8) return reject(Diag.CALLING_AP_TITLE_NOT_RECOGNIZED, 'system title');
    let ui = q.userInformation;
    if (ui && ciphered) {
      if (ui[0] !== ApduTag.GLO_INITIATE_REQUEST) return reject(Diag.NO_REASON_GIVEN, 'initiate request not ciphered');
      const d = this.decipher(title as Uint8Array, ui);
      if (typeof d === 'number') return reject(Diag.NO_REASON_GIVEN, 'glo-initiate-request');
      ui = d[0];
    }
    let ir: Apdu | undefined;
    try {
      ir = ui && decodeApdu(ui);
    } catch {
      /* handled below */
    }
    if (ir?.kind !== 'initiate-request') return reject(Diag.NO_REASON_GIVEN, 'no initiate request');
    const initiateError = (e: number) =>
      reject(
        Diag.NO_REASON_GIVEN,
        `initiate error ${e}`,
        encodeApdu({
          kind: 'confirmed-service-error',
          service: ConfirmedService.INITIATE_ERROR,
          errorKind: ServiceErrorKind.INITIATE,
          error: e,
        }),
      );
    const conformance = ir.proposedConformance & (cfg.conformance ?? this.opts.conformance ?? SERVER_CONFORMANCE);
    const clientMax = ir.clientMaxReceivePduSize;
    if (ir.proposedDlmsVersion < DLMS_VERSION) return initiateError(InitiateError.DLMS_VERSION_TOO_LOW);
    if (clientMax !== 0 && clientMax < COSEM_MIN_PDU) return initiateError(InitiateError.PDU_SIZE_TOO_SHORT);
    if (conformance === 0) return initiateError(InitiateError.INCOMPATIBLE_CONFORMANCE);
    const av = q.authenticationValue;
    if (mech === Mechanism.LOW && !(cfg.secret && av && bytesEqual(cfg.secret, av))) {
      this.drops.rejected++;
      this.event('authentication-failure', `LLS password from SAP ${sap}`);
      return aare(Diag.AUTHENTICATION_FAILURE);
    }
    if (hls && (!av || av.length < 8 || av.length > 64)) return reject(Diag.AUTHENTICATION_FAILURE, 'CtoS length');
    if (mech !== Mechanism.LOWEST && mech !== Mechanism.LOW && !hls)
      return reject(Diag.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED, `mechanism ${mech}`);
    const stoc = hls ? this.opts.random(16) : undefined;
    const a: Assoc = {
      key: k,
      sap,
      role: cfg.role,
      status: hls ? AssociationStatus.PENDING : AssociationStatus.ASSOCIATED,
      context: ctxId,
      mechanism: mech,
      conformance,
      maxSend: Math.min(clientMax || 0xffff, this.maxPdu),
      maxRecv: this.maxPdu,
      hls: false,
      clientTitle: title,
      stoc,
      ctos: av,
    };
    this.assocs.set(k, a);
    if (title) this.security.clientTitle = title;
    let resp = encodeApdu({
      kind: 'initiate-response',
      negotiatedDlmsVersion: DLMS_VERSION,
      negotiatedConformance: conformance,
      serverMaxReceivePduSize: this.maxPdu,
      vaaName: VAA_NAME_LN,
    });
    const s = this.security;
    if (ciphered) resp = encryptApdu(this.opts.gcm, s.keys, s.serverTitle, 0x30, s.nextIc(), resp);
    const extra: Partial<Aare> = { userInformation: resp };
    if (ciphered || hls) extra.respondingApTitle = s.serverTitle;
    if (stoc) Object.assign(extra, { authentication: true, mechanism: mech, authenticationValue: stoc });
    return aare(hls ? Diag.AUTHENTICATION_REQUIRED : Diag.NULL, extra);
  }

  /** Association LN method 1 (reply_to_HLS_authentication): checks f(StoC), returns f(CtoS). */
  replyToHls(ctx: Ctx, reply: Uint8Array): DlmsData | number {
    const a = ctx.assoc as Assoc,
      s = this.security;
    if (a.status !== AssociationStatus.PENDING || !a.stoc || !a.ctos || !a.clientTitle) return ActionResult.OBJECT_UNAVAILABLE;
    const ic = verifyHlsGmac(this.opts.gcm, s.keys, a.clientTitle, a.stoc, reply);
    // StoC is fresh, so f(StoC) cannot be replayed; its IC is checked only when no ciphered APDU carried it.
    if (ic === null || (a.context !== ApplicationContext.LN_WITH_CIPHERING && !s.acceptIc(a.clientTitle, ic))) {
      this.assocs.delete(a.key);
      this.drops.rejected++;
      this.event(ic === null ? 'authentication-failure' : 'replay', `HLS-GMAC f(StoC) from SAP ${a.sap}`);
      return ActionResult.OTHER_REASON;
    }
    a.status = AssociationStatus.ASSOCIATED;
    a.hls = true;
    a.stoc = undefined;
    return os(hlsGmac(this.opts.gcm, s.keys, s.serverTitle, s.nextIc(), a.ctos));
  }

  // ---- services ----

  private target(classId: number, ln: Uint8Array, id: number, method: boolean): CosemObject | number {
    const o = this.byLn.get(lnKey(ln));
    if (!o) return DataAccessResult.OBJECT_UNDEFINED;
    if (o.classId !== classId) return DataAccessResult.OBJECT_CLASS_INCONSISTENT;
    return id < 1 || id > (method ? o.methodCount : o.attrCount) ? DataAccessResult.OBJECT_UNDEFINED : o;
  }

  /** Reads an attribute for the server itself (push setup), without access rights. */
  async readAttribute(classId: number, ln: Uint8Array, attr: number, ctx: Ctx, sel?: AccessSelection): Promise<DlmsData | number> {
    const o = this.target(classId, ln, attr, false);
    if (typeof o === 'number') return o;
    try {
      return await o.get(attr, ctx, sel);
    } catch {
      return DataAccessResult.TEMPORARY_FAILURE;
    }
  }

  private get(a: Assoc, ctx: Ctx, d: AttributeDescriptor, sel?: AccessSelection): Promise<DlmsData | number> | number {
    const o = this.target(d.classId, d.instance, d.attributeId, false);
    if (typeof o === 'number') return o;
    if (!(attributeAccess(o.rights, a.role, d.attributeId) & 1)) return DataAccessResult.READ_WRITE_DENIED;
    if (sel && !(a.conformance & Conformance.SELECTIVE_ACCESS)) return DataAccessResult.SCOPE_OF_ACCESS_VIOLATED;
    return this.readAttribute(d.classId, d.instance, d.attributeId, ctx, sel);
  }

  /** The attribute as the object encodes it (CosemObject.encoded()), or undefined: get() answers. */
  private async encoded(a: Assoc, ctx: Ctx, d: AttributeDescriptor, sel?: AccessSelection): Promise<Uint8Array | undefined> {
    const o = this.target(d.classId, d.instance, d.attributeId, false);
    if (typeof o === 'number' || !(attributeAccess(o.rights, a.role, d.attributeId) & 1)) return undefined;
    if (sel && !(a.conformance & Conformance.SELECTIVE_ACCESS)) return undefined;
    try {
      const r = await o.encoded(d.attributeId, ctx, sel);
      if (r) this.encodedGets.count++;
      return r;
    } catch {
      return undefined;
    }
  }

  private async set(a: Assoc, ctx: Ctx, d: AttributeDescriptor, v: DlmsData): Promise<number> {
    const o = this.target(d.classId, d.instance, d.attributeId, false);
    if (typeof o === 'number') return o;
    if (!(attributeAccess(o.rights, a.role, d.attributeId) & 2)) return DataAccessResult.READ_WRITE_DENIED;
    try {
      return await o.set(d.attributeId, v, ctx);
    } catch {
      return DataAccessResult.TEMPORARY_FAILURE;
    }
  }

  private overhead(ciphered: boolean): number {
    return ciphered ? CIPHER_OVERHEAD : 0;
  }

  private async service(a: Assoc, ctx: Ctx, q: Apdu, ciphered: boolean): Promise<Reply> {
    const c = a.conformance,
      maxList = this.opts.maxListLength ?? COSEM_DEFAULT_MAX_LIST;
    if (q.kind !== 'get-request-next') a.long = undefined;
    if (q.kind !== 'set-request-with-datablock') a.lset = undefined;
    switch (q.kind) {
      case 'get-request-normal': {
        if (!(c & Conformance.GET)) break;
        const e = await this.encoded(a, ctx, q.attribute, q.access);
        if (e)
          return this.blocks(
            a,
            q.invoke,
            e,
            withHeader([ApduTag.GET_RESPONSE, GetResponseType.NORMAL, encodeInvoke(q.invoke), 0], e),
            4,
            ciphered,
          );
        const r = await this.get(a, ctx, q.attribute, q.access);
        if (typeof r === 'number') return { kind: 'get-response-normal', invoke: q.invoke, result: { error: r } };
        return this.blocks(a, q.invoke, encodeData(r), { kind: 'get-response-normal', invoke: q.invoke, result: { data: r } }, 4, ciphered);
      }
      case 'get-request-with-list': {
        if (!(c & Conformance.MULTIPLE_REFERENCES)) break;
        if (q.attributes.length > maxList) return ServiceError.PDU_TOO_LONG;
        const results: GetDataResult[] = [];
        const w = new ByteWriter();
        writeLength(w, q.attributes.length);
        let encoded = false;
        for (const x of q.attributes) {
          const e = await this.encoded(a, ctx, x.attribute, x.access);
          if (e) {
            encoded = true;
            w.u8(0).bytes(e);
            continue;
          }
          const r = await this.get(a, ctx, x.attribute, x.access);
          if (typeof r === 'number') {
            results.push({ error: r });
            w.u8(1).u8(r);
          } else {
            results.push({ data: r });
            w.u8(0).bytes(encodeData(r));
          }
        }
        const raw = w.finish();
        // with a result encoded by its object, the whole APDU is the list's bytes after the header
        const whole: Apdu | Uint8Array = encoded
          ? withHeader([ApduTag.GET_RESPONSE, GetResponseType.WITH_LIST, encodeInvoke(q.invoke)], raw)
          : { kind: 'get-response-with-list', invoke: q.invoke, results };
        return this.blocks(a, q.invoke, raw, whole, 3, ciphered);
      }
      case 'get-request-next': {
        const l = a.long;
        if (!l || q.blockNumber !== l.block) {
          a.long = undefined;
          const error = l ? DataAccessResult.DATA_BLOCK_NUMBER_INVALID : DataAccessResult.NO_LONG_GET_IN_PROGRESS;
          return { kind: 'get-response-with-datablock', invoke: q.invoke, lastBlock: true, blockNumber: q.blockNumber, result: { error } };
        }
        return this.nextBlock(a, q.invoke);
      }
      case 'set-request-normal':
        if (!(c & Conformance.SET)) break;
        return {
          kind: 'set-response-normal',
          invoke: q.invoke,
          result: q.access ? DataAccessResult.SCOPE_OF_ACCESS_VIOLATED : await this.set(a, ctx, q.attribute, q.value),
        };
      case 'set-request-with-list': {
        if (!(c & Conformance.SET) || !(c & Conformance.MULTIPLE_REFERENCES)) break;
        if (q.attributes.length > maxList) return ServiceError.PDU_TOO_LONG;
        const results: number[] = [];
        for (let i = 0; i < q.attributes.length; i++)
          results.push(await this.set(a, ctx, (q.attributes[i] as { attribute: AttributeDescriptor }).attribute, q.values[i] as DlmsData));
        return { kind: 'set-response-with-list', invoke: q.invoke, results };
      }
      case 'set-request-with-first-datablock':
      case 'set-request-with-datablock': {
        if (!(c & Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE)) break;
        const done = (result: number) => {
          a.lset = undefined;
          return { kind: 'set-response-last-datablock' as const, invoke: q.invoke, result, blockNumber: q.blockNumber };
        };
        let l = a.lset;
        if (q.kind === 'set-request-with-first-datablock') {
          const o = this.target(q.attribute.classId, q.attribute.instance, q.attribute.attributeId, false);
          if (typeof o === 'number') return done(o);
          if (!(attributeAccess(o.rights, a.role, q.attribute.attributeId) & 2)) return done(DataAccessResult.READ_WRITE_DENIED);
          if (q.blockNumber !== 1) return done(DataAccessResult.DATA_BLOCK_NUMBER_INVALID);
          l = a.lset = { attr: q.attribute, parts: [], size: 0, block: 0 };
        }
        if (!l) return done(DataAccessResult.NO_LONG_SET_IN_PROGRESS);
        if (q.blockNumber !== l.block + 1) return done(DataAccessResult.DATA_BLOCK_NUMBER_INVALID);
        l.block++;
        l.size += q.raw.length;
        l.parts.push(q.raw);
        if (l.size > (this.opts.maxSetBytes ?? COSEM_DEFAULT_MAX_SET_BYTES) || l.block > (this.opts.maxBlocks ?? COSEM_DEFAULT_MAX_BLOCKS))
          return done(DataAccessResult.LONG_SET_ABORTED);
        if (!q.lastBlock) return { kind: 'set-response-datablock', invoke: q.invoke, blockNumber: q.blockNumber };
        let v: DlmsData;
        try {
          v = new AxdrDecoder({ maxLength: this.opts.maxSetBytes ?? COSEM_DEFAULT_MAX_SET_BYTES, maxDepth: this.maxDepth }).decode(
            concat(...l.parts),
          );
        } catch {
          return done(DataAccessResult.TYPE_UNMATCHED);
        }
        return done(await this.set(a, ctx, l.attr, v));
      }
      case 'action-request-normal': {
        const m = q.method;
        if (!(c & Conformance.ACTION) && a.status !== AssociationStatus.PENDING) break;
        const reply = (result: number, data?: DlmsData): Apdu =>
          data
            ? { kind: 'action-response-normal', invoke: q.invoke, result, returnParameters: { data } }
            : { kind: 'action-response-normal', invoke: q.invoke, result };
        const o = this.target(m.classId, m.instance, m.methodId, true);
        if (typeof o === 'number') return reply(o);
        if (!methodAccess(o.rights, a.role, m.methodId)) return reply(ActionResult.READ_WRITE_DENIED);
        let r: DlmsData | number | undefined;
        try {
          r = await o.act(m.methodId, q.parameters, ctx);
        } catch {
          r = ActionResult.TEMPORARY_FAILURE;
        }
        if (r === undefined || typeof r === 'number') return reply(r ?? 0);
        return encodeData(r).length + 8 + this.overhead(ciphered) > a.maxSend ? reply(ActionResult.OTHER_REASON) : reply(0, r);
      }
      default:
        break;
    }
    return ServiceError.SERVICE_NOT_SUPPORTED;
  }

  /** Sends `whole` if it fits the client's PDU size, else starts GET block transfer of `raw`. */
  private blocks(
    a: Assoc,
    invoke: InvokeIdAndPriority,
    raw: Uint8Array,
    whole: Apdu | Uint8Array,
    header: number,
    ciphered: boolean,
  ): Apdu | Uint8Array {
    const room = a.maxSend - this.overhead(ciphered);
    if (raw.length + header <= room) return whole;
    const size = room - BLOCK_HEADER;
    const fail = (error: number): Apdu => ({ kind: 'get-response-normal', invoke, result: { error } });
    if (!(a.conformance & Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ)) return fail(DataAccessResult.OTHER_REASON);
    if (Math.ceil(raw.length / size) > (this.opts.maxBlocks ?? COSEM_DEFAULT_MAX_BLOCKS)) return fail(DataAccessResult.LONG_GET_ABORTED);
    a.long = { raw, block: 0, size };
    return this.nextBlock(a, invoke);
  }

  private nextBlock(a: Assoc, invoke: InvokeIdAndPriority): Apdu {
    const l = a.long as NonNullable<Assoc['long']>;
    const start = l.block++ * l.size,
      end = start + l.size,
      lastBlock = end >= l.raw.length;
    if (lastBlock) a.long = undefined;
    return { kind: 'get-response-with-datablock', invoke, lastBlock, blockNumber: l.block, result: { raw: l.raw.subarray(start, end) } };
  }
}

/** Association table key: SAPs are below 0x10000, peers are small non-negative integers. */
function key(sap: number, peer: number): number {
  return peer * 0x10000 + (sap & 0xffff);
}

/** `header` then `body`, in one buffer. */
function withHeader(header: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

function exception(stateError: number, serviceError: number, invocationCounter?: number): Uint8Array {
  const a: Apdu = { kind: 'exception-response', stateError, serviceError };
  if (invocationCounter !== undefined) a.invocationCounter = invocationCounter >>> 0;
  return encodeApdu(a);
}
