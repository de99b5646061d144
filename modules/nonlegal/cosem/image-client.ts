// The client's side of Image transfer (class 18, image-transfer.ts): initiate, then only the
// blocks the server's bitmap lacks (so a transfer cut by a loss or a reboot of either end resumes
// where it stopped), verify, activate. Used by the concentrator and by tests over any link.
import type { DlmsData } from '../dlms/axdr.js';
import type { DlmsClient } from './client.js';
import { ClassId } from './cosem-const.js';
import { i8, num, os, st, u32 } from './data.js';
import { ImageStatus } from './image-transfer.js';

export const IMAGE_TRANSFER_LN = '0.0.44.0.0.255';

export interface ImageSendResult {
  readonly blockSize: number;
  readonly blocks: number;
  /** Blocks sent in this call (the others the server held already). */
  readonly sent: number;
}

/** Whether bit n (MSB first) of a bit-string is set. */
export function bitSet(d: DlmsData, n: number): boolean {
  return d.type === 'bit-string' && n < d.bitLength && ((d.value[n >> 3] ?? 0) & (0x80 >> (n & 7))) !== 0;
}

/** image_transfer_status of the server (ImageStatus). */
export async function imageStatus(c: DlmsClient, ln = IMAGE_TRANSFER_LN): Promise<number> {
  return num(await c.get(ClassId.IMAGE_TRANSFER, ln, 6)) ?? -1;
}

/** An image the client reads block by block (from RAM, or from flash on the concentrator). */
export interface ImageSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}
const source = (b: Uint8Array | ImageSource): ImageSource =>
  b instanceof Uint8Array ? { size: b.length, read: (o, n) => b.subarray(o, o + n) } : b;

/**
 * Initiates the transfer of image (the same identifier and size resume the one in progress) and
 * sends the blocks the server does not hold; onBlock after each one sent.
 */
export async function sendImage(
  c: DlmsClient,
  image: Uint8Array | ImageSource,
  identifier: Uint8Array,
  onBlock?: (n: number, sent: number) => void | Promise<void>,
  ln = IMAGE_TRANSFER_LN,
): Promise<ImageSendResult> {
  const img = source(image);
  const blockSize = num(await c.get(ClassId.IMAGE_TRANSFER, ln, 2)) ?? 0;
  if (blockSize < 1) throw new RangeError(`image_block_size ${blockSize}`);
  await c.action(ClassId.IMAGE_TRANSFER, ln, 1, st(os(identifier), u32(img.size)));
  const blocks = Math.ceil(img.size / blockSize);
  const held = await c.get(ClassId.IMAGE_TRANSFER, ln, 3);
  let sent = 0;
  for (let n = 0; n < blocks; n++) {
    if (bitSet(held, n)) continue;
    const at = n * blockSize;
    await c.action(ClassId.IMAGE_TRANSFER, ln, 2, st(u32(n), os(img.read(at, Math.min(img.size - at, blockSize)))));
    sent++;
    await onBlock?.(n, sent);
  }
  return { blockSize, blocks, sent };
}

/** image_verify; rejects with the server's Action-Result when the image is refused. */
export async function verifyImage(c: DlmsClient, ln = IMAGE_TRANSFER_LN): Promise<void> {
  await c.action(ClassId.IMAGE_TRANSFER, ln, 3, i8(0));
}

/** image_activate; the server answers before it swaps the image in. */
export async function activateImage(c: DlmsClient, ln = IMAGE_TRANSFER_LN): Promise<void> {
  await c.action(ClassId.IMAGE_TRANSFER, ln, 4, i8(0));
}

export { ImageStatus };
