// Image transfer (interface class 18, version 0, IEC 62056-6-2 4.4.6): a client initiates a
// transfer (identifier, size), sends the image in blocks of image_block_size octets in any order,
// asks the server to verify it and then to activate it. The server keeps which blocks it holds
// (image_transferred_blocks_status, a bit-string, bit n = block n) where a reboot or a power cut
// does not lose it, so a transfer resumes from the blocks still missing. Where the blocks and the
// bitmap are kept, how an image is verified and activated: the ImageStore (meter/image-store.ts).
import type { DlmsData } from '../dlms/axdr.js';
import { ActionResult, DataAccessResult } from '../dlms/xdlms-const.js';
import { ClassId } from './cosem-const.js';
import { arr, bool, en, items, num, octets, os, st, u32 } from './data.js';
import { CosemObject, type Ctx, type Outcome, type Rights } from './objects.js';

/** image_transfer_status (attribute 6). */
export const ImageStatus = Object.freeze({
  NOT_INITIATED: 0,
  INITIATED: 1,
  VERIFICATION_INITIATED: 2,
  VERIFICATION_SUCCESSFUL: 3,
  VERIFICATION_FAILED: 4,
  ACTIVATION_INITIATED: 5,
  ACTIVATION_SUCCESSFUL: 6,
  ACTIVATION_FAILED: 7,
} as const);

/** What the store holds of the transfer in progress (or the last one). */
export interface ImageState {
  readonly identifier: Uint8Array;
  readonly size: number;
  readonly status: number;
  /** Number of blocks: ceil(size / blockSize). */
  readonly blocks: number;
  /** Whether block n is held. */
  has(n: number): boolean;
  /** Text of why verification or activation failed, '' otherwise. */
  readonly reason: string;
  /** Version of the verified image (image_to_activate_info's signature field carries it). */
  readonly version: string;
}

type Maybe<T> = T | Promise<T>;

/** Where the blocks go and how the image is checked and run (bounds come from the manifest). */
export interface ImageStore {
  readonly blockSize: number;
  /** Largest image accepted, octets (the candidate slot's size, or less). */
  readonly maxSize: number;
  /** Longest image_identifier accepted, octets. */
  readonly maxIdentifier: number;
  state(): ImageState | undefined;
  /** Starts a transfer: forgets the blocks held, prepares the slot. Error text, or undefined. */
  initiate(identifier: Uint8Array, size: number): Maybe<string | undefined>;
  /** Keeps block n (its length checked by the caller). Error text, or undefined. */
  write(n: number, data: Uint8Array): Maybe<string | undefined>;
  /** Checks the whole image (signature, part, role, security counter): ok, or why not. */
  verify(): Maybe<{ ok: boolean; reason: string }>;
  /** Asks for the image to be run; the answer goes out first, the swap follows. */
  activate(): Maybe<string | undefined>;
  /** image_transfer_enabled (attribute 5). */
  enabled: boolean;
}

const TYPE = DataAccessResult.TYPE_UNMATCHED;

export class ImageTransfer extends CosemObject {
  readonly classId: number = ClassId.IMAGE_TRANSFER;
  readonly attrCount: number = 7;
  override readonly methodCount = 4;
  /** Counted refusals (shown by `DLMS IMAGE`). */
  readonly refused = { disabled: 0, state: 0, bounds: 0, type: 0, store: 0 };
  blocksReceived = 0;
  constructor(
    ln: string | Uint8Array,
    rights: Rights,
    readonly store: ImageStore,
  ) {
    super(ln, rights);
  }

  /** image_first_not_transferred_block_number: the first block missing (blocks when none is). */
  firstMissing(s = this.store.state()): number {
    if (!s) return 0;
    for (let n = 0; n < s.blocks; n++) if (!s.has(n)) return n;
    return s.blocks;
  }

  /** The bitmap as a bit-string of `blocks` bits, bit n (MSB first) = block n held. */
  bitmap(s = this.store.state()): DlmsData {
    const blocks = s?.blocks ?? 0;
    const value = new Uint8Array((blocks + 7) >> 3);
    for (let n = 0; n < blocks; n++) if (s!.has(n)) value[n >> 3]! |= 0x80 >> (n & 7);
    return { type: 'bit-string', bitLength: blocks, value };
  }

  protected read(a: number): Outcome {
    const s = this.store.state();
    switch (a) {
      case 2:
        return u32(this.store.blockSize);
      case 3:
        return this.bitmap(s);
      case 4:
        return u32(this.firstMissing(s));
      case 5:
        return bool(this.store.enabled);
      case 6:
        return en(s?.status ?? ImageStatus.NOT_INITIATED);
      case 7: {
        const verified = s && s.status >= ImageStatus.VERIFICATION_SUCCESSFUL && s.status !== ImageStatus.VERIFICATION_FAILED;
        return arr(verified ? [st(u32(s.size), os(s.identifier), os(ascii(s.version)))] : []);
      }
    }
    return DataAccessResult.OBJECT_UNDEFINED;
  }

  override set(a: number, v: DlmsData): number {
    if (a !== 5) return DataAccessResult.READ_WRITE_DENIED;
    if (v.type !== 'boolean') return TYPE;
    this.store.enabled = v.value;
    return 0;
  }

  override async act(m: number, p: DlmsData | undefined, _ctx: Ctx): Promise<number> {
    if (m < 1 || m > 4) return ActionResult.OBJECT_UNDEFINED;
    if (!this.store.enabled) {
      this.refused.disabled++;
      return ActionResult.TEMPORARY_FAILURE;
    }
    const s = this.store.state();
    switch (m) {
      case 1: {
        const f = items(p);
        const id = octets(f?.[0]),
          size = num(f?.[1]);
        if (p?.type !== 'structure' || !id || size === undefined || f?.[1]?.type !== 'double-long-unsigned') return this.type();
        if (id.length === 0 || id.length > this.store.maxIdentifier || size < 1 || size > this.store.maxSize) {
          this.refused.bounds++;
          return ActionResult.OTHER_REASON;
        }
        return this.done(await this.store.initiate(id, size));
      }
      case 2: {
        const f = items(p);
        const n = num(f?.[0]),
          data = octets(f?.[1]);
        if (p?.type !== 'structure' || n === undefined || !data || f?.[0]?.type !== 'double-long-unsigned') return this.type();
        if (!s || s.status !== ImageStatus.INITIATED) {
          this.refused.state++;
          return ActionResult.TEMPORARY_FAILURE;
        }
        const expected = n === s.blocks - 1 ? s.size - n * this.store.blockSize : this.store.blockSize;
        if (n >= s.blocks || data.length !== expected) {
          this.refused.bounds++;
          return ActionResult.OTHER_REASON;
        }
        if (s.has(n)) return 0; // a repeated block (its answer was lost): held already
        this.blocksReceived++;
        return this.done(await this.store.write(n, data));
      }
      case 3: {
        if (p && (p.type !== 'integer' || p.value !== 0)) return this.type();
        if (s?.status === ImageStatus.VERIFICATION_SUCCESSFUL) return 0;
        if (!s || s.status !== ImageStatus.INITIATED || this.firstMissing(s) < s.blocks) {
          this.refused.state++;
          return ActionResult.TEMPORARY_FAILURE;
        }
        const r = await this.store.verify();
        return r.ok ? 0 : ActionResult.OTHER_REASON;
      }
      default: {
        if (p && (p.type !== 'integer' || p.value !== 0)) return this.type();
        if (s?.status !== ImageStatus.VERIFICATION_SUCCESSFUL) {
          this.refused.state++;
          return ActionResult.TEMPORARY_FAILURE;
        }
        return this.done(await this.store.activate());
      }
    }
  }

  private type(): number {
    this.refused.type++;
    return ActionResult.TYPE_UNMATCHED;
  }
  private done(error: string | undefined): number {
    if (error === undefined) return 0;
    this.refused.store++;
    return ActionResult.OTHER_REASON;
  }
}

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0x7f;
  return b;
}
