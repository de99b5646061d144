// The meter's store behind the Image transfer object (cosem/image-transfer.ts): blocks go into
// NON-LEGAL's candidate slot on the SPI NOR (area nonlegal-slot), the transfer's state into the
// area image-transfer (one 4 KB sector), where a reboot or a power cut does not lose it. Every
// state change is a program of bytes from 0xff to 0x00 (or of a field into erased bytes), done
// after what it records, so a cut leaves each step done or not done (docs/firmware-update.md):
//   0..3 magic "IT18" (programmed last at initiate), 4..7 size, 8..11 block size, 12 identifier
//   length, 16..79 identifier; 80 verified, 81 verification failed, 82 activation asked;
//   96..127 version of the verified image; 128..191 why verification failed;
//   256..511 one byte per slot sector, 0x00 once erased for this transfer;
//   512.. one byte per block, 0x00 once the block is in the slot (the bitmap).
// A slot sector is erased when the first block that falls in it arrives, so initiate costs one
// erase and the erases spread over the transfer. Verification and activation are GENERIC's
// (RunService fw.verify, fw.activate: modules/generic/fwupdate.ts), for NON-LEGAL's own slot only.
import type { RunServiceFn } from '../../generic/services.js';
import type { FlashArea, FlashDriver } from 'drivers/spinor/flash';
import { ImageStatus, type ImageState, type ImageStore } from '../cosem/image-transfer.js';

export interface ImageTransferConfig {
  /** image_block_size, octets (a divisor of 4096; the APDU with it must fit the server's PDU). */
  readonly blockSize: number;
  /** Largest image accepted, octets (at most the slot's size). */
  readonly maxImageSize: number;
  /** Longest image_identifier, octets (at most 64). */
  readonly maxIdentifier: number;
}

const SECTOR = 4096;
const MAGIC = 0x38315449; // "IT18" little-endian
const AT_ID = 16,
  AT_MARKS = 80,
  AT_VERSION = 96,
  AT_REASON = 128,
  AT_SECTORS = 256,
  AT_BITMAP = 512;
const MARK_VERIFIED = 0,
  MARK_FAILED = 1,
  MARK_ACTIVATE = 2;
const MAX_SECTORS = AT_BITMAP - AT_SECTORS;
const MAX_BLOCKS = SECTOR - AT_BITMAP;
const ZERO = Uint8Array.of(0);

const text = (b: Uint8Array) => {
  let s = '';
  for (const c of b) {
    if (c === 0xff) break;
    s += String.fromCharCode(c);
  }
  return s;
};
const bytes = (s: string, n: number) => {
  const b = new Uint8Array(Math.min(s.length, n));
  for (let i = 0; i < b.length; i++) b[i] = s.charCodeAt(i) & 0x7f;
  return b;
};

/** Checks the config against the areas; the problem, or undefined. */
export function checkImageConfig(cfg: ImageTransferConfig, slot: FlashArea, state: FlashArea): string | undefined {
  const { blockSize, maxImageSize, maxIdentifier } = cfg;
  if (!Number.isInteger(blockSize) || blockSize < 16 || SECTOR % blockSize) return `blockSize ${blockSize}: a divisor of 4096, 16 or more`;
  if (!Number.isInteger(maxImageSize) || maxImageSize < 1 || maxImageSize > slot.size)
    return `maxImageSize ${maxImageSize}: 1..${slot.size}`;
  if (Math.ceil(maxImageSize / blockSize) > MAX_BLOCKS || Math.ceil(maxImageSize / SECTOR) > MAX_SECTORS)
    return `maxImageSize ${maxImageSize}: more than ${MAX_BLOCKS} blocks of ${blockSize}`;
  if (!Number.isInteger(maxIdentifier) || maxIdentifier < 1 || maxIdentifier > AT_MARKS - AT_ID)
    return `maxIdentifier ${maxIdentifier}: 1..64`;
  if (state.size < SECTOR) return `area ${state.name}: ${state.size} bytes, one 4 KB sector needed`;
  return undefined;
}

/** The running NON-LEGAL's version, x.y.z. */
type RunningVersion = () => string;

export function createImageStore(
  rs: RunServiceFn,
  cfg: ImageTransferConfig,
  yieldLoop: () => Promise<void>,
  trace: (level: number, text: string) => void,
): ImageStore | undefined {
  let flash: FlashDriver;
  try {
    flash = rs('driver.get', 'flash') as FlashDriver;
  } catch {
    // no SPI NOR on this board (or its table refused): said once by GENERIC's flash trace
    trace(3, 'image transfer: no flash areas: no Image transfer object');
    return undefined;
  }
  if (!flash.areas().includes('image-transfer') || !flash.areas().includes('nonlegal-slot')) {
    trace(2, 'image transfer: no image-transfer or nonlegal-slot area');
    return undefined;
  }
  const area = flash.open('image-transfer');
  const slot = flash.open('nonlegal-slot');
  const problem = checkImageConfig(cfg, slot, area);
  if (problem) {
    trace(1, `image transfer: config.optical.imageTransfer ${problem}`);
    return undefined;
  }
  const running: RunningVersion = () => rs('misc.versions').find((v) => v.part === 'NON-LEGAL')?.version ?? '';
  let activating = false; // activation asked in this run: the swap has not come yet
  let enabled = true;
  let cached: ImageState | undefined;
  let loaded = false;

  const readState = (): ImageState | undefined => {
    const head = new Uint8Array(AT_BITMAP);
    area.read(0, head);
    const v = new DataView(head.buffer);
    if (v.getUint32(0, true) !== MAGIC) return undefined;
    const size = v.getUint32(4, true),
      blockSize = v.getUint32(8, true),
      idLen = head[12]!;
    // a state another configuration wrote (or a torn header): not this transfer
    if (blockSize !== cfg.blockSize || size < 1 || size > cfg.maxImageSize || idLen < 1 || idLen > cfg.maxIdentifier) return undefined;
    const blocks = Math.ceil(size / blockSize);
    const map = new Uint8Array(blocks);
    area.read(AT_BITMAP, map);
    const version = text(head.subarray(AT_VERSION, AT_REASON));
    let status: number = ImageStatus.INITIATED;
    if (head[AT_MARKS + MARK_ACTIVATE] === 0)
      status = activating
        ? ImageStatus.ACTIVATION_INITIATED
        : running() === version.split('+')[0]
          ? ImageStatus.ACTIVATION_SUCCESSFUL
          : ImageStatus.ACTIVATION_FAILED;
    else if (head[AT_MARKS + MARK_VERIFIED] === 0) status = ImageStatus.VERIFICATION_SUCCESSFUL;
    else if (head[AT_MARKS + MARK_FAILED] === 0) status = ImageStatus.VERIFICATION_FAILED;
    return {
      identifier: head.slice(AT_ID, AT_ID + idLen),
      size,
      status,
      blocks,
      has: (n) => map[n] === 0,
      reason: text(head.subarray(AT_REASON, AT_SECTORS)),
      version,
    };
  };
  const state = () => {
    if (!loaded) {
      cached = readState();
      loaded = true;
    }
    return cached;
  };
  const changed = () => {
    loaded = false;
  };
  const mark = (at: number) => {
    area.program(at, ZERO);
    changed();
  };

  const store: ImageStore = {
    blockSize: cfg.blockSize,
    maxSize: cfg.maxImageSize,
    maxIdentifier: cfg.maxIdentifier,
    get enabled() {
      return enabled;
    },
    set enabled(v: boolean) {
      enabled = v;
    },
    state,
    async initiate(identifier, size) {
      const s = state();
      // the same image again while its blocks come: resume from the bitmap
      if (
        s?.status === ImageStatus.INITIATED &&
        s.size === size &&
        s.identifier.length === identifier.length &&
        s.identifier.every((b, i) => b === identifier[i])
      )
        return undefined;
      if (activating) return 'activation in progress';
      // the slot holds the previous image until the running one is confirmed: a revert needs it
      if (rs('fw.testing')) return 'the running image is in test state: confirm it first';
      area.erase(0);
      changed();
      await yieldLoop();
      const head = new Uint8Array(AT_MARKS);
      head.fill(0xff, 0, 4);
      const v = new DataView(head.buffer);
      v.setUint32(4, size, true);
      v.setUint32(8, cfg.blockSize, true);
      head[12] = identifier.length;
      head.set(identifier, AT_ID);
      area.program(4, head.subarray(4));
      const magic = new Uint8Array(4);
      new DataView(magic.buffer).setUint32(0, MAGIC, true);
      area.program(0, magic); // last: a cut before it leaves no transfer
      changed();
      trace(3, `image transfer: initiated ${text(identifier)} size=${size} blocks=${Math.ceil(size / cfg.blockSize)}`);
      return undefined;
    },
    async write(n, data) {
      const at = n * cfg.blockSize;
      const sector = Math.floor(at / SECTOR);
      const erased = new Uint8Array(1);
      area.read(AT_SECTORS + sector, erased);
      if (erased[0] !== 0) {
        slot.erase(sector * SECTOR);
        area.program(AT_SECTORS + sector, ZERO);
        await yieldLoop(); // LEGAL's second, the UARTs
      }
      slot.program(at, data);
      mark(AT_BITMAP + n);
      return undefined;
    },
    verify() {
      const r = rs('fw.verify');
      if (r.ok) {
        area.program(AT_VERSION, bytes(r.version, AT_REASON - AT_VERSION));
        mark(AT_MARKS + MARK_VERIFIED);
      } else {
        area.program(AT_REASON, bytes(r.reason, AT_SECTORS - AT_REASON));
        mark(AT_MARKS + MARK_FAILED);
      }
      trace(r.ok ? 3 : 2, `image transfer: verify ${r.ok ? `ok ${r.version}` : `refused: ${r.reason}`}`);
      return { ok: r.ok, reason: r.reason };
    },
    activate() {
      const why = rs('fw.activate');
      if (why) {
        trace(2, `image transfer: activate refused: ${why}`);
        return why;
      }
      activating = true;
      mark(AT_MARKS + MARK_ACTIVATE);
      trace(3, 'image transfer: activation asked');
      return undefined;
    },
  };
  return store;
}
