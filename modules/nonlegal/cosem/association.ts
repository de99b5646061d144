// Association LN (class 15, version 1) and Security setup (class 64, version 0), Blue Book 4.4.
// One Association LN instance (0.0.40.0.0.255, "current association") serves every client: its
// attributes reflect the association of the caller. Client configurations live here.
import type { DlmsData } from '../dlms/axdr.js';
import type { SecurityKeys } from '../dlms/security.js';
import { ActionResult, DataAccessResult, DLMS_UA_OID_PREFIX } from '../dlms/xdlms-const.js';
import { ClassId, KeyId, SecurityPolicy } from './cosem-const.js';
import { arr, en, i8, items, lnKey, nul, num, obis, octets, os, st, u16, u8 } from './data.js';
import { attributeAccess, CosemObject, methodAccess, type Ctx, type Outcome, type Rights } from './objects.js';
import { aesKeyUnwrap, type AesBlock } from './keywrap.js';

export interface ClientConfig {
  /** Client SAP (HDLC client address / wrapper wPort). */
  sap: number;
  /** Role.PUBLIC or Role.MANAGEMENT: selects the access rights. */
  role: number;
  /** Required authentication mechanism (Mechanism.LOWEST, LOW or HIGH_GMAC). */
  mechanism: number;
  /** LLS password (mechanism 1). */
  secret?: Uint8Array;
  /** Accepted application contexts (ApplicationContext ids). Default [LN_NO_CIPHERING]. */
  contexts?: number[];
  /** Conformance offered to this client (ANDed with the proposal). Default: the server's. */
  conformance?: number;
}

const oid = (arc: number, id: number) => os(Uint8Array.of(...DLMS_UA_OID_PREFIX, arc, id));

export class AssociationLn extends CosemObject {
  readonly classId: number = ClassId.ASSOCIATION_LN;
  override readonly version: number = 1;
  readonly attrCount: number = 9;
  override readonly methodCount = 2;
  readonly clients: ClientConfig[];
  securitySetup: Uint8Array;
  constructor(ln: string | Uint8Array, rights: Rights, opts: { clients: ClientConfig[]; securitySetup?: string }) {
    super(ln, rights);
    this.clients = opts.clients;
    this.securitySetup = obis(opts.securitySetup ?? '0.0.43.0.0.255');
  }
  client(sap: number): ClientConfig | undefined {
    return this.clients.find((c) => c.sap === sap);
  }
  protected read(a: number, ctx: Ctx): Outcome {
    const s = ctx.assoc;
    switch (a) {
      case 2:
        return arr(ctx.srv.objects.filter((o) => attributeAccess(o.rights, s.role, 1) !== 0).map((o) => objectListEntry(o, s.role)));
      case 3:
        return st(i8(s.sap), u16(1));
      case 4:
        return oid(1, s.context);
      case 5: {
        const c = s.conformance;
        return st(
          { type: 'bit-string', bitLength: 24, value: Uint8Array.of(c >> 16, c >> 8, c) },
          u16(s.maxRecv),
          u16(s.maxSend),
          u8(6),
          i8(0),
          os(new Uint8Array(0)),
        );
      }
      case 6:
        return oid(2, s.mechanism);
      case 7:
        return DataAccessResult.READ_WRITE_DENIED; // secrets are never read
      case 8:
        return en(s.status);
      case 9:
        return os(this.securitySetup);
    }
    return DataAccessResult.OBJECT_UNDEFINED;
  }
  override set(a: number, v: DlmsData, ctx: Ctx): number {
    const c = this.client(ctx.assoc.sap),
      b = octets(v);
    if (a !== 7 || !c) return DataAccessResult.READ_WRITE_DENIED;
    if (!b || b.length < 1 || b.length > 64) return DataAccessResult.TYPE_UNMATCHED;
    c.secret = b;
    return 0;
  }
  override act(m: number, p: DlmsData | undefined, ctx: Ctx): DlmsData | number {
    const b = octets(p);
    if (!b) return ActionResult.TYPE_UNMATCHED;
    if (m === 1) return ctx.srv.replyToHls(ctx, b);
    // change_HLS_secret: the caller's own secret (used by LLS / HLS mechanisms with a secret).
    return this.set(7, p as DlmsData, ctx);
  }
}

/** object_list element (Blue Book 4.4.3, Association LN version 1). */
function objectListEntry(o: CosemObject, role: number): DlmsData {
  const attrs: DlmsData[] = [];
  for (let i = 1; i <= o.attrCount; i++) {
    const sel = o.selectors(i);
    attrs.push(st(i8(i), en(attributeAccess(o.rights, role, i)), sel ? arr(sel.map(i8)) : nul));
  }
  const meths: DlmsData[] = [];
  for (let i = 1; i <= o.methodCount; i++) meths.push(st(i8(i), en(methodAccess(o.rights, role, i) ? 1 : 0)));
  return st(u16(o.classId), u8(o.version), os(o.ln), st(arr(attrs), arr(meths)));
}

export interface SecuritySetupOptions {
  serverTitle: Uint8Array;
  keys: { encryptionKey: Uint8Array; authenticationKey: Uint8Array; masterKey: Uint8Array };
  aes: AesBlock;
  policy?: number;
  /** Last invocation counter used by the server (persisted by the meter). */
  invocationCounter?: number;
  /** Called with each transmit invocation counter before it is used (the meter persists it). */
  onInvocationCounter?(ic: number): void;
  /**
   * The last invocation counter accepted from a client before the reset (the meter keeps it in
   * its NVRAM area): a received counter must stay above it over power cuts (replay protection).
   */
  receivedIc?: { title: Uint8Array; ic: number };
  /**
   * Called with each received invocation counter accepted, before the APDU is served (the meter
   * persists it), and with undefined when a key change starts a new counter space.
   */
  onReceivedIc?(accepted: { title: Uint8Array; ic: number } | undefined): void;
  /** Called for each key a transfer applied (after onKeys). */
  onKeyChange?(keyId: number, key: Uint8Array): void;
  /**
   * Called once per global_key_transfer with the whole key set after it and the ids of the keys
   * it changed, before the received-counter floor is cleared: the meter saves them in one write.
   */
  onKeys?(keys: SecuritySetupOptions['keys'], ids: number[]): void;
}

/** Client system titles whose last received invocation counter is kept. */
export const MAX_CLIENT_TITLES = 8;

export class SecuritySetup extends CosemObject {
  readonly classId: number = ClassId.SECURITY_SETUP;
  readonly attrCount: number = 5;
  override readonly methodCount = 2;
  policy: number;
  clientTitle: Uint8Array = new Uint8Array(8);
  readonly serverTitle: Uint8Array;
  /** Server transmit invocation counter (last used). */
  txIc: number;
  /** Last invocation counter received per client system title (replay protection), at most
   * MAX_CLIENT_TITLES: only titles whose APDUs passed the GCM check get here, and a title beyond
   * the bound is refused rather than evicting another title's floor. */
  readonly rxIc = new Map<string, number>();
  private k: SecuritySetupOptions['keys'];
  private pending: [number, Uint8Array][] = [];
  constructor(
    ln: string | Uint8Array,
    rights: Rights,
    private readonly opts: SecuritySetupOptions,
  ) {
    super(ln, rights);
    this.serverTitle = opts.serverTitle;
    this.k = { ...opts.keys };
    this.policy = opts.policy ?? SecurityPolicy.AUTHENTICATED_ENCRYPTED;
    this.txIc = opts.invocationCounter ?? 0;
    if (opts.receivedIc) this.rxIc.set(lnKey(opts.receivedIc.title), opts.receivedIc.ic >>> 0);
  }
  get keys(): SecurityKeys {
    return this.k;
  }
  nextIc(): number {
    this.txIc = (this.txIc + 1) >>> 0;
    this.opts.onInvocationCounter?.(this.txIc);
    return this.txIc;
  }
  /** Accepts a received invocation counter only if it is above the last one from that system title. */
  acceptIc(title: Uint8Array, ic: number): boolean {
    const key = lnKey(title),
      last = this.rxIc.get(key);
    if (last !== undefined && ic <= last) return false;
    if (last === undefined && this.rxIc.size >= MAX_CLIENT_TITLES) return false;
    this.rxIc.set(key, ic);
    this.opts.onReceivedIc?.({ title, ic });
    return true;
  }
  lastIc(title: Uint8Array): number {
    return this.rxIc.get(lnKey(title)) ?? 0;
  }
  /** Why acceptIc() refused this counter, for the security event. */
  refusal(title: Uint8Array, ic: number): string {
    const last = this.rxIc.get(lnKey(title));
    return last === undefined ? `client system title beyond the ${MAX_CLIENT_TITLES} kept` : `invocation counter ${ic} not above ${last}`;
  }
  protected read(a: number): Outcome {
    return a === 2 ? en(this.policy) : a === 3 ? en(0) : os(a === 4 ? this.clientTitle : this.serverTitle);
  }
  override act(m: number, p: DlmsData | undefined, ctx: Ctx): number {
    if (m === 1) {
      // security_activate: the policy may only be strengthened (Blue Book 4.4.7, version 0).
      const n = num(p);
      if (p?.type !== 'enum' || n === undefined || n > 3 || n < this.policy) return ActionResult.TYPE_UNMATCHED;
      this.policy = n;
      return 0;
    }
    // global_key_transfer: array of { key_id enum, key_wrapped octet-string } wrapped with the master key.
    const list = p?.type === 'array' ? p.items : undefined;
    if (!list || list.length < 1 || list.length > 4) return ActionResult.TYPE_UNMATCHED;
    const next: [number, Uint8Array][] = [];
    for (const e of list) {
      const f = items(e),
        id = num(f?.[0]),
        w = octets(f?.[1]);
      if (id === undefined || !w || (id !== KeyId.GLOBAL_UNICAST && id !== KeyId.AUTHENTICATION && id !== KeyId.MASTER))
        return ActionResult.TYPE_UNMATCHED;
      const key = aesKeyUnwrap(this.opts.aes, this.k.masterKey, w);
      if (key?.length !== 16) {
        ctx.srv.event('deciphering-failure', 'global_key_transfer: key unwrap failed');
        return ActionResult.OTHER_REASON;
      }
      next.push([id, key]);
    }
    this.pending = next;
    return 0;
  }
  /** Applies transferred keys; the server calls this after the response is protected with the old keys. */
  commit(ctx: Ctx): void {
    const done = this.pending;
    if (!done.length) return;
    this.pending = [];
    for (const [id, key] of done) {
      if (id === KeyId.GLOBAL_UNICAST) this.k.encryptionKey = key;
      else if (id === KeyId.AUTHENTICATION) this.k.authenticationKey = key;
      else this.k.masterKey = key;
    }
    // All keys of one ACTION saved at once, before the floor is cleared (ic-store.ts: a cut
    // between the two writes leaves a floor of an older key generation, ignored at boot).
    this.opts.onKeys?.(
      { ...this.k },
      done.map(([id]) => id),
    );
    // New key, new counter space (Green Book 9.2.7.2.4.3).
    if (done.some(([id]) => id !== KeyId.MASTER) && this.rxIc.size) {
      this.rxIc.clear();
      this.opts.onReceivedIc?.(undefined);
    }
    for (const [id, key] of done) {
      this.opts.onKeyChange?.(id, key);
      ctx.srv.event('key-changed', `key ${id}`);
    }
  }
}
