// xDLMS APDUs with LN referencing, IEC 62056-5-3 (Green Book 9.5, A-XDR encoded COSEMpdu).
import { ByteReader, ByteWriter } from './bytes.js';
import { EncodeError } from './errors.js';
import { AxdrDecoder, AxdrEncoder, readLength, writeLength, type AxdrOptions, type DlmsData } from './axdr.js';
import { AXDR_DEFAULT_MAX_LENGTH } from './axdr-const.js';
import {
  ApduTag,
  ActionRequestType,
  ActionResponseType,
  GetRequestType,
  GetResponseType,
  SetRequestType,
  SetResponseType,
  ServiceError,
} from './xdlms-const.js';
import {
  encodeCipheredApdu,
  encodeGeneralCipheredApdu,
  isCipheredTag,
  readCipheredApdu,
  type CipheredApdu,
  type GeneralCipheredApdu,
} from './security.js';

/** Invoke-Id-And-Priority byte: bit 7 high priority, bit 6 confirmed, bits 0-3 invoke id. */
export interface InvokeIdAndPriority {
  invokeId: number;
  confirmed: boolean;
  highPriority: boolean;
}

export function encodeInvoke(p: InvokeIdAndPriority): number {
  if (p.invokeId < 0 || p.invokeId > 15) throw new EncodeError(`invoke id ${p.invokeId} out of 0..15`);
  return (p.highPriority ? 0x80 : 0) | (p.confirmed ? 0x40 : 0) | p.invokeId;
}

export function decodeInvoke(b: number): InvokeIdAndPriority {
  return { invokeId: b & 0x0f, confirmed: (b & 0x40) !== 0, highPriority: (b & 0x80) !== 0 };
}

/** Cosem-Attribute-Descriptor: class-id, instance-id (OBIS, 6 bytes), attribute-id. */
export interface AttributeDescriptor {
  classId: number;
  instance: Uint8Array;
  attributeId: number;
}
export interface MethodDescriptor {
  classId: number;
  instance: Uint8Array;
  methodId: number;
}
/** Selective-Access-Descriptor. */
export interface AccessSelection {
  selector: number;
  parameters: DlmsData;
}
export interface AttributeWithSelection {
  attribute: AttributeDescriptor;
  access?: AccessSelection;
}
export type GetDataResult = { data: DlmsData } | { error: number };
/** DataBlock-G result: raw-data octets or a data-access-result. */
export type BlockResult = { raw: Uint8Array } | { error: number };

export interface InitiateRequest {
  kind: 'initiate-request';
  dedicatedKey?: Uint8Array;
  responseAllowed: boolean;
  proposedQualityOfService?: number;
  proposedDlmsVersion: number;
  proposedConformance: number;
  clientMaxReceivePduSize: number;
}
export interface InitiateResponse {
  kind: 'initiate-response';
  negotiatedQualityOfService?: number;
  negotiatedDlmsVersion: number;
  negotiatedConformance: number;
  serverMaxReceivePduSize: number;
  vaaName: number;
}

export type Apdu =
  | InitiateRequest
  | InitiateResponse
  | { kind: 'confirmed-service-error'; service: number; errorKind: number; error: number }
  | { kind: 'get-request-normal'; invoke: InvokeIdAndPriority; attribute: AttributeDescriptor; access?: AccessSelection }
  | { kind: 'get-request-next'; invoke: InvokeIdAndPriority; blockNumber: number }
  | { kind: 'get-request-with-list'; invoke: InvokeIdAndPriority; attributes: AttributeWithSelection[] }
  | { kind: 'get-response-normal'; invoke: InvokeIdAndPriority; result: GetDataResult }
  | { kind: 'get-response-with-datablock'; invoke: InvokeIdAndPriority; lastBlock: boolean; blockNumber: number; result: BlockResult }
  | { kind: 'get-response-with-list'; invoke: InvokeIdAndPriority; results: GetDataResult[] }
  | { kind: 'set-request-normal'; invoke: InvokeIdAndPriority; attribute: AttributeDescriptor; access?: AccessSelection; value: DlmsData }
  | {
      kind: 'set-request-with-first-datablock';
      invoke: InvokeIdAndPriority;
      attribute: AttributeDescriptor;
      access?: AccessSelection;
      lastBlock: boolean;
      blockNumber: number;
      raw: Uint8Array;
    }
  | { kind: 'set-request-with-datablock'; invoke: InvokeIdAndPriority; lastBlock: boolean; blockNumber: number; raw: Uint8Array }
  | { kind: 'set-request-with-list'; invoke: InvokeIdAndPriority; attributes: AttributeWithSelection[]; values: DlmsData[] }
  | { kind: 'set-response-normal'; invoke: InvokeIdAndPriority; result: number }
  | { kind: 'set-response-datablock'; invoke: InvokeIdAndPriority; blockNumber: number }
  | { kind: 'set-response-last-datablock'; invoke: InvokeIdAndPriority; result: number; blockNumber: number }
  | { kind: 'set-response-with-list'; invoke: InvokeIdAndPriority; results: number[] }
  | { kind: 'action-request-normal'; invoke: InvokeIdAndPriority; method: MethodDescriptor; parameters?: DlmsData }
  | { kind: 'action-response-normal'; invoke: InvokeIdAndPriority; result: number; returnParameters?: GetDataResult }
  | { kind: 'exception-response'; stateError: number; serviceError: number; invocationCounter?: number }
  | CipheredApdu
  | GeneralCipheredApdu;

export interface XdlmsOptions extends AxdrOptions {}

// ---- encoder ----

export class XdlmsEncoder {
  private readonly data: AxdrEncoder;
  constructor(options: XdlmsOptions = {}) {
    this.data = new AxdrEncoder(options);
  }

  encode(a: Apdu): Uint8Array {
    // The commonest request, GET.request-normal without selective access (13 bytes), straight
    // into its own bytes: no writer, no copy. The same bytes as the general case below.
    if (a.kind === 'get-request-normal' && !a.access) {
      const d = a.attribute;
      if (d.instance.length !== 6) throw new EncodeError('instance-id must be 6 bytes (OBIS)');
      const out = new Uint8Array(13);
      out[0] = ApduTag.GET_REQUEST;
      out[1] = GetRequestType.NORMAL;
      out[2] = encodeInvoke(a.invoke);
      out[3] = (d.classId >>> 8) & 0xff;
      out[4] = d.classId & 0xff;
      out.set(d.instance, 5);
      out[11] = d.attributeId & 0xff;
      return out;
    }
    const w = new ByteWriter();
    switch (a.kind) {
      case 'initiate-request':
        w.u8(ApduTag.INITIATE_REQUEST);
        if (a.dedicatedKey) {
          w.u8(1);
          writeLength(w, a.dedicatedKey.length);
          w.bytes(a.dedicatedKey);
        } else w.u8(0);
        // response-allowed BOOLEAN DEFAULT TRUE: the default is sent as "absent".
        if (a.responseAllowed) w.u8(0);
        else w.u8(1).u8(0);
        if (a.proposedQualityOfService !== undefined) w.u8(1).u8(a.proposedQualityOfService);
        else w.u8(0);
        w.u8(a.proposedDlmsVersion);
        writeConformance(w, a.proposedConformance);
        w.u16be(a.clientMaxReceivePduSize);
        break;
      case 'initiate-response':
        w.u8(ApduTag.INITIATE_RESPONSE);
        if (a.negotiatedQualityOfService !== undefined) w.u8(1).u8(a.negotiatedQualityOfService);
        else w.u8(0);
        w.u8(a.negotiatedDlmsVersion);
        writeConformance(w, a.negotiatedConformance);
        w.u16be(a.serverMaxReceivePduSize).u16be(a.vaaName);
        break;
      case 'confirmed-service-error':
        w.u8(ApduTag.CONFIRMED_SERVICE_ERROR).u8(a.service).u8(a.errorKind).u8(a.error);
        break;
      case 'get-request-normal':
        w.u8(ApduTag.GET_REQUEST).u8(GetRequestType.NORMAL).u8(encodeInvoke(a.invoke));
        this.attributeWithSelection(w, a.attribute, a.access);
        break;
      case 'get-request-next':
        w.u8(ApduTag.GET_REQUEST).u8(GetRequestType.NEXT).u8(encodeInvoke(a.invoke)).u32be(a.blockNumber);
        break;
      case 'get-request-with-list':
        w.u8(ApduTag.GET_REQUEST).u8(GetRequestType.WITH_LIST).u8(encodeInvoke(a.invoke));
        writeLength(w, a.attributes.length);
        for (const x of a.attributes) this.attributeWithSelection(w, x.attribute, x.access);
        break;
      case 'get-response-normal':
        w.u8(ApduTag.GET_RESPONSE).u8(GetResponseType.NORMAL).u8(encodeInvoke(a.invoke));
        this.getDataResult(w, a.result);
        break;
      case 'get-response-with-datablock':
        w.u8(ApduTag.GET_RESPONSE).u8(GetResponseType.WITH_DATABLOCK).u8(encodeInvoke(a.invoke));
        w.u8(a.lastBlock ? 1 : 0).u32be(a.blockNumber);
        if ('raw' in a.result) {
          w.u8(0);
          writeLength(w, a.result.raw.length);
          w.bytes(a.result.raw);
        } else w.u8(1).u8(a.result.error);
        break;
      case 'get-response-with-list':
        w.u8(ApduTag.GET_RESPONSE).u8(GetResponseType.WITH_LIST).u8(encodeInvoke(a.invoke));
        writeLength(w, a.results.length);
        for (const r of a.results) this.getDataResult(w, r);
        break;
      case 'set-request-normal':
        w.u8(ApduTag.SET_REQUEST).u8(SetRequestType.NORMAL).u8(encodeInvoke(a.invoke));
        this.attributeWithSelection(w, a.attribute, a.access);
        this.data.encodeInto(w, a.value);
        break;
      case 'set-request-with-first-datablock':
        w.u8(ApduTag.SET_REQUEST).u8(SetRequestType.WITH_FIRST_DATABLOCK).u8(encodeInvoke(a.invoke));
        this.attributeWithSelection(w, a.attribute, a.access);
        writeDataBlockSA(w, a.lastBlock, a.blockNumber, a.raw);
        break;
      case 'set-request-with-datablock':
        w.u8(ApduTag.SET_REQUEST).u8(SetRequestType.WITH_DATABLOCK).u8(encodeInvoke(a.invoke));
        writeDataBlockSA(w, a.lastBlock, a.blockNumber, a.raw);
        break;
      case 'set-request-with-list':
        if (a.attributes.length !== a.values.length) throw new EncodeError('set-request-with-list: attribute and value counts differ');
        w.u8(ApduTag.SET_REQUEST).u8(SetRequestType.WITH_LIST).u8(encodeInvoke(a.invoke));
        writeLength(w, a.attributes.length);
        for (const x of a.attributes) this.attributeWithSelection(w, x.attribute, x.access);
        writeLength(w, a.values.length);
        for (const v of a.values) this.data.encodeInto(w, v);
        break;
      case 'set-response-normal':
        w.u8(ApduTag.SET_RESPONSE).u8(SetResponseType.NORMAL).u8(encodeInvoke(a.invoke)).u8(a.result);
        break;
      case 'set-response-datablock':
        w.u8(ApduTag.SET_RESPONSE).u8(SetResponseType.DATABLOCK).u8(encodeInvoke(a.invoke)).u32be(a.blockNumber);
        break;
      case 'set-response-last-datablock':
        w.u8(ApduTag.SET_RESPONSE).u8(SetResponseType.LAST_DATABLOCK).u8(encodeInvoke(a.invoke)).u8(a.result).u32be(a.blockNumber);
        break;
      case 'set-response-with-list':
        w.u8(ApduTag.SET_RESPONSE).u8(SetResponseType.WITH_LIST).u8(encodeInvoke(a.invoke));
        writeLength(w, a.results.length);
        for (const r of a.results) w.u8(r);
        break;
      case 'action-request-normal':
        w.u8(ApduTag.ACTION_REQUEST).u8(ActionRequestType.NORMAL).u8(encodeInvoke(a.invoke));
        writeDescriptor(w, a.method.classId, a.method.instance, a.method.methodId);
        if (a.parameters) {
          w.u8(1);
          this.data.encodeInto(w, a.parameters);
        } else w.u8(0);
        break;
      case 'action-response-normal':
        w.u8(ApduTag.ACTION_RESPONSE).u8(ActionResponseType.NORMAL).u8(encodeInvoke(a.invoke)).u8(a.result);
        if (a.returnParameters) {
          w.u8(1);
          this.getDataResult(w, a.returnParameters);
        } else w.u8(0);
        break;
      case 'exception-response':
        w.u8(ApduTag.EXCEPTION_RESPONSE).u8(a.stateError).u8(a.serviceError);
        if (a.serviceError === ServiceError.INVOCATION_COUNTER_ERROR) w.u32be(a.invocationCounter ?? 0);
        break;
      case 'ciphered':
        return encodeCipheredApdu(a);
      case 'general-ciphering':
        return encodeGeneralCipheredApdu(a);
    }
    return w.finish();
  }

  private attributeWithSelection(w: ByteWriter, d: AttributeDescriptor, access?: AccessSelection): void {
    writeDescriptor(w, d.classId, d.instance, d.attributeId);
    if (access) {
      w.u8(1).u8(access.selector);
      this.data.encodeInto(w, access.parameters);
    } else w.u8(0);
  }

  private getDataResult(w: ByteWriter, r: GetDataResult): void {
    if ('data' in r) {
      w.u8(0);
      this.data.encodeInto(w, r.data);
    } else w.u8(1).u8(r.error);
  }
}

function writeDescriptor(w: ByteWriter, classId: number, instance: Uint8Array, id: number): void {
  if (instance.length !== 6) throw new EncodeError('instance-id must be 6 bytes (OBIS)');
  w.u16be(classId)
    .bytes(instance)
    .u8(id & 0xff);
}

function writeDataBlockSA(w: ByteWriter, last: boolean, block: number, raw: Uint8Array): void {
  w.u8(last ? 1 : 0).u32be(block);
  writeLength(w, raw.length);
  w.bytes(raw);
}

function writeConformance(w: ByteWriter, c: number): void {
  // [APPLICATION 31] IMPLICIT BIT STRING (SIZE(24)): 5F 1F, length 4, 0 unused bits, 3 bytes.
  w.u8(0x5f)
    .u8(0x1f)
    .u8(0x04)
    .u8(0x00)
    .u8((c >>> 16) & 0xff)
    .u16be(c & 0xffff);
}

// ---- decoder ----

export class XdlmsDecoder {
  private readonly data: AxdrDecoder;
  private readonly maxLength: number;
  constructor(options: XdlmsOptions = {}) {
    this.data = new AxdrDecoder(options);
    this.maxLength = options.maxLength ?? AXDR_DEFAULT_MAX_LENGTH;
  }

  /** Decodes one whole APDU; trailing bytes are a DecodeError, a short APDU NeedMoreData. */
  decode(bytes: Uint8Array): Apdu {
    const r = new ByteReader(bytes);
    const a = this.read(r);
    if (r.remaining !== 0) r.fail('apdu.trailing', `${r.remaining} byte(s) after ${a.kind}`);
    return a;
  }

  read(r: ByteReader): Apdu {
    const at = r.pos;
    const tag = r.peek('apdu.tag');
    if (isCipheredTag(tag) || tag === ApduTag.GENERAL_GLO_CIPHERING || tag === ApduTag.GENERAL_DED_CIPHERING)
      return readCipheredApdu(r, this.maxLength);
    r.pos++;
    switch (tag) {
      case ApduTag.INITIATE_REQUEST: {
        const dedicatedKey = r.u8('initiate-request.dedicated-key')
          ? r.take(readLength(r, 'initiate-request.dedicated-key.length', 64), 'initiate-request.dedicated-key')
          : undefined;
        const responseAllowed = r.u8('initiate-request.response-allowed') ? r.u8('initiate-request.response-allowed') !== 0 : true;
        const proposedQualityOfService = r.u8('initiate-request.qos') ? r.u8('initiate-request.qos') : undefined;
        const proposedDlmsVersion = r.u8('initiate-request.dlms-version');
        const proposedConformance = readConformance(r);
        const clientMaxReceivePduSize = r.u16be('initiate-request.max-pdu-size');
        const a: InitiateRequest = {
          kind: 'initiate-request',
          responseAllowed,
          proposedDlmsVersion,
          proposedConformance,
          clientMaxReceivePduSize,
        };
        if (dedicatedKey) a.dedicatedKey = dedicatedKey;
        if (proposedQualityOfService !== undefined) a.proposedQualityOfService = proposedQualityOfService;
        return a;
      }
      case ApduTag.INITIATE_RESPONSE: {
        const qos = r.u8('initiate-response.qos') ? r.u8('initiate-response.qos') : undefined;
        const negotiatedDlmsVersion = r.u8('initiate-response.dlms-version');
        const negotiatedConformance = readConformance(r);
        const serverMaxReceivePduSize = r.u16be('initiate-response.max-pdu-size');
        const vaaName = r.u16be('initiate-response.vaa-name');
        const a: InitiateResponse = {
          kind: 'initiate-response',
          negotiatedDlmsVersion,
          negotiatedConformance,
          serverMaxReceivePduSize,
          vaaName,
        };
        if (qos !== undefined) a.negotiatedQualityOfService = qos;
        return a;
      }
      case ApduTag.CONFIRMED_SERVICE_ERROR:
        return {
          kind: 'confirmed-service-error',
          service: r.u8('confirmed-service-error.service'),
          errorKind: r.u8('confirmed-service-error.kind'),
          error: r.u8('confirmed-service-error.value'),
        };
      case ApduTag.GET_REQUEST:
        return this.getRequest(r);
      case ApduTag.GET_RESPONSE:
        return this.getResponse(r);
      case ApduTag.SET_REQUEST:
        return this.setRequest(r);
      case ApduTag.SET_RESPONSE:
        return this.setResponse(r);
      case ApduTag.ACTION_REQUEST: {
        const t = r.u8('action-request.type');
        if (t !== ActionRequestType.NORMAL) r.fail('action-request.type', `unsupported type ${t}`, r.pos - 1);
        const invoke = decodeInvoke(r.u8('action-request.invoke'));
        const classId = r.u16be('action-request.class-id');
        const instance = r.take(6, 'action-request.instance-id');
        const methodId = r.u8('action-request.method-id');
        const has = this.optional(r, 'action-request.parameters');
        const a: Apdu = { kind: 'action-request-normal', invoke, method: { classId, instance, methodId } };
        if (has) a.parameters = this.data.read(r);
        return a;
      }
      case ApduTag.ACTION_RESPONSE: {
        const t = r.u8('action-response.type');
        if (t !== ActionResponseType.NORMAL) r.fail('action-response.type', `unsupported type ${t}`, r.pos - 1);
        const invoke = decodeInvoke(r.u8('action-response.invoke'));
        const result = r.u8('action-response.result');
        const a: Apdu = { kind: 'action-response-normal', invoke, result };
        if (this.optional(r, 'action-response.return-parameters'))
          a.returnParameters = this.getDataResult(r, 'action-response.return-parameters');
        return a;
      }
      case ApduTag.EXCEPTION_RESPONSE: {
        const stateError = r.u8('exception-response.state-error');
        const serviceError = r.u8('exception-response.service-error');
        const a: Apdu = { kind: 'exception-response', stateError, serviceError };
        if (serviceError === ServiceError.INVOCATION_COUNTER_ERROR) a.invocationCounter = r.u32be('exception-response.invocation-counter');
        return a;
      }
      default:
        return r.fail('apdu.tag', `unsupported APDU tag 0x${tag.toString(16)}`, at);
    }
  }

  private optional(r: ByteReader, what: string): boolean {
    const b = r.u8(what);
    if (b > 1) r.fail(what, `OPTIONAL flag ${b}`, r.pos - 1);
    return b === 1;
  }

  private attributeWithSelection(r: ByteReader, what: string): AttributeWithSelection {
    const classId = r.u16be(what + '.class-id');
    const instance = r.take(6, what + '.instance-id');
    const attributeId = r.u8(what + '.attribute-id');
    const x: AttributeWithSelection = { attribute: { classId, instance, attributeId } };
    if (this.optional(r, what + '.access-selection'))
      x.access = { selector: r.u8(what + '.access-selector'), parameters: this.data.read(r) };
    return x;
  }

  private getDataResult(r: ByteReader, what: string): GetDataResult {
    const c = r.u8(what);
    if (c === 0) return { data: this.data.read(r) };
    if (c === 1) return { error: r.u8(what + '.data-access-result') };
    return r.fail(what, `Get-Data-Result choice ${c}`, r.pos - 1);
  }

  private count(r: ByteReader, what: string): number {
    return readLength(r, what, this.maxLength);
  }

  private getRequest(r: ByteReader): Apdu {
    const t = r.u8('get-request.type');
    const invoke = decodeInvoke(r.u8('get-request.invoke'));
    switch (t) {
      case GetRequestType.NORMAL: {
        const x = this.attributeWithSelection(r, 'get-request');
        const a: Apdu = { kind: 'get-request-normal', invoke, attribute: x.attribute };
        if (x.access) a.access = x.access;
        return a;
      }
      case GetRequestType.NEXT:
        return { kind: 'get-request-next', invoke, blockNumber: r.u32be('get-request.block-number') };
      case GetRequestType.WITH_LIST: {
        const n = this.count(r, 'get-request.list.count');
        const attributes: AttributeWithSelection[] = [];
        for (let i = 0; i < n; i++) attributes.push(this.attributeWithSelection(r, 'get-request.list'));
        return { kind: 'get-request-with-list', invoke, attributes };
      }
      default:
        return r.fail('get-request.type', `unknown type ${t}`, r.pos - 2);
    }
  }

  private getResponse(r: ByteReader): Apdu {
    const t = r.u8('get-response.type');
    const invoke = decodeInvoke(r.u8('get-response.invoke'));
    switch (t) {
      case GetResponseType.NORMAL:
        return { kind: 'get-response-normal', invoke, result: this.getDataResult(r, 'get-response.result') };
      case GetResponseType.WITH_DATABLOCK: {
        const lastBlock = r.u8('get-response.last-block') !== 0;
        const blockNumber = r.u32be('get-response.block-number');
        const c = r.u8('get-response.block-result');
        let result: BlockResult;
        if (c === 0) result = { raw: r.take(this.count(r, 'get-response.raw-data.length'), 'get-response.raw-data') };
        else if (c === 1) result = { error: r.u8('get-response.data-access-result') };
        else return r.fail('get-response.block-result', `choice ${c}`, r.pos - 1);
        return { kind: 'get-response-with-datablock', invoke, lastBlock, blockNumber, result };
      }
      case GetResponseType.WITH_LIST: {
        const n = this.count(r, 'get-response.list.count');
        const results: GetDataResult[] = [];
        for (let i = 0; i < n; i++) results.push(this.getDataResult(r, 'get-response.list'));
        return { kind: 'get-response-with-list', invoke, results };
      }
      default:
        return r.fail('get-response.type', `unknown type ${t}`, r.pos - 2);
    }
  }

  private dataBlockSA(r: ByteReader): { lastBlock: boolean; blockNumber: number; raw: Uint8Array } {
    const lastBlock = r.u8('set-request.last-block') !== 0;
    const blockNumber = r.u32be('set-request.block-number');
    const raw = r.take(this.count(r, 'set-request.raw-data.length'), 'set-request.raw-data');
    return { lastBlock, blockNumber, raw };
  }

  private setRequest(r: ByteReader): Apdu {
    const t = r.u8('set-request.type');
    const invoke = decodeInvoke(r.u8('set-request.invoke'));
    switch (t) {
      case SetRequestType.NORMAL: {
        const x = this.attributeWithSelection(r, 'set-request');
        const value = this.data.read(r);
        const a: Apdu = { kind: 'set-request-normal', invoke, attribute: x.attribute, value };
        if (x.access) a.access = x.access;
        return a;
      }
      case SetRequestType.WITH_FIRST_DATABLOCK: {
        const x = this.attributeWithSelection(r, 'set-request');
        const a: Apdu = { kind: 'set-request-with-first-datablock', invoke, attribute: x.attribute, ...this.dataBlockSA(r) };
        if (x.access) a.access = x.access;
        return a;
      }
      case SetRequestType.WITH_DATABLOCK:
        return { kind: 'set-request-with-datablock', invoke, ...this.dataBlockSA(r) };
      case SetRequestType.WITH_LIST: {
        const n = this.count(r, 'set-request.list.count');
        const attributes: AttributeWithSelection[] = [];
        for (let i = 0; i < n; i++) attributes.push(this.attributeWithSelection(r, 'set-request.list'));
        const m = this.count(r, 'set-request.values.count');
        if (m !== n) r.fail('set-request.values.count', `${m} values for ${n} attributes`);
        const values: DlmsData[] = [];
        for (let i = 0; i < m; i++) values.push(this.data.read(r));
        return { kind: 'set-request-with-list', invoke, attributes, values };
      }
      default:
        return r.fail('set-request.type', `unsupported type ${t}`, r.pos - 2);
    }
  }

  private setResponse(r: ByteReader): Apdu {
    const t = r.u8('set-response.type');
    const invoke = decodeInvoke(r.u8('set-response.invoke'));
    switch (t) {
      case SetResponseType.NORMAL:
        return { kind: 'set-response-normal', invoke, result: r.u8('set-response.result') };
      case SetResponseType.DATABLOCK:
        return { kind: 'set-response-datablock', invoke, blockNumber: r.u32be('set-response.block-number') };
      case SetResponseType.LAST_DATABLOCK:
        return {
          kind: 'set-response-last-datablock',
          invoke,
          result: r.u8('set-response.result'),
          blockNumber: r.u32be('set-response.block-number'),
        };
      case SetResponseType.WITH_LIST: {
        const n = this.count(r, 'set-response.list.count');
        const results: number[] = [];
        for (let i = 0; i < n; i++) results.push(r.u8('set-response.list'));
        return { kind: 'set-response-with-list', invoke, results };
      }
      default:
        return r.fail('set-response.type', `unsupported type ${t}`, r.pos - 2);
    }
  }
}

function readConformance(r: ByteReader): number {
  const at = r.pos;
  r.need(7, 'conformance');
  const t1 = r.u8('conformance'),
    t2 = r.u8('conformance'),
    len = r.u8('conformance'),
    unused = r.u8('conformance');
  if (t1 !== 0x5f || t2 !== 0x1f) r.fail('conformance.tag', `expected 5F 1F, got ${t1.toString(16)} ${t2.toString(16)}`, at);
  if (len !== 4 || unused !== 0) r.fail('conformance.length', `length ${len}, unused bits ${unused}`, at + 2);
  return (r.u8('conformance') << 16) | r.u16be('conformance');
}

const defaultEncoder = new XdlmsEncoder();
const defaultDecoder = new XdlmsDecoder();

export function encodeApdu(a: Apdu): Uint8Array {
  return defaultEncoder.encode(a);
}

export function decodeApdu(bytes: Uint8Array, options?: XdlmsOptions): Apdu {
  return (options ? new XdlmsDecoder(options) : defaultDecoder).decode(bytes);
}
