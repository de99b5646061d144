// Module "crc" in Moddable's shape: new CRC16(polynomial, initial, reflectInput, reflectOutput,
// xorOutput); checksum(bytes) continues the running CRC and returns it; reset() starts again.
// CRC32 is this firmware's addition. The C side (drivers/crc/xs_crc.c) keeps its state in a
// validated host chunk.
// Common parameter sets: CRC-16/KERMIT (IEEE 802.15.4 FCS) 0x1021,0,true,true,0;
// CRC-16/X-25 (HDLC) 0x1021,0xFFFF,true,true,0xFFFF; CRC-32 0x04C11DB7,0xFFFFFFFF,true,true,0xFFFFFFFF.

interface CrcState {
  readonly brand: unique symbol;
}
const create =
  native<(width: number, poly: number, init: number, refin: boolean, refout: boolean, xorout: number) => CrcState>('xs_crc_create');
const checksum = native<(state: CrcState, bytes: BufferLike) => number>('xs_crc_checksum');
const reset = native<(state: CrcState) => void>('xs_crc_reset');

class CRC {
  #state: CrcState | undefined;
  constructor(width: number, polynomial: number, initial = 0, reflectInput = false, reflectOutput = false, xorOutput = 0) {
    this.#state = create(width, polynomial, initial, reflectInput, reflectOutput, xorOutput);
  }
  checksum(bytes: BufferLike): number {
    if (!this.#state) throw new Error('closed');
    return checksum(this.#state, bytes);
  }
  reset(): this {
    if (!this.#state) throw new Error('closed');
    reset(this.#state);
    return this;
  }
  close(): void {
    this.#state = undefined;
  }
}

export class CRC8 extends CRC {
  constructor(polynomial: number, initial = 0, reflectInput = false, reflectOutput = false, xorOutput = 0) {
    super(8, polynomial, initial, reflectInput, reflectOutput, xorOutput);
  }
}
export class CRC16 extends CRC {
  constructor(polynomial: number, initial = 0, reflectInput = false, reflectOutput = false, xorOutput = 0) {
    super(16, polynomial, initial, reflectInput, reflectOutput, xorOutput);
  }
}
export class CRC32 extends CRC {
  constructor(polynomial: number, initial = 0, reflectInput = false, reflectOutput = false, xorOutput = 0) {
    super(32, polynomial, initial, reflectInput, reflectOutput, xorOutput);
  }
}
export default CRC8;
