/**
 * CRC-64 as Redis computes the RDB checksum: the "Jones" polynomial 0xad93d23594c935a9, reflected,
 * initial value 0, no final xor (crc64("123456789") = 0xe9c6d914c4b8d9ca).
 *
 * JavaScript has no fast 64-bit integers (BigInt allocates), so the register is kept as two
 * unsigned 32-bit halves and the tables hold the halves of each entry. Slicing-by-8: eight table
 * lookups consume eight bytes per step, which keeps the checksum far from being the parser's
 * bottleneck (it sees every byte of the RDB).
 */
const POLY_HI = 0xad93d235;
const POLY_LO = 0x94c935a9;

/** Reflected polynomial: the bit order of the 64-bit constant reversed. */
function reflect64(hi: number, lo: number): [number, number] {
  let rHi = 0;
  let rLo = 0;
  for (let i = 0; i < 32; i++) {
    // Bit i of lo goes to bit 63-i (bit 31-i of the high half), bit i of hi to bit 31-i of the low half.
    rHi |= ((lo >>> i) & 1) << (31 - i);
    rLo |= ((hi >>> i) & 1) << (31 - i);
  }
  return [rHi >>> 0, rLo >>> 0];
}

const TABLE_HI: Uint32Array[] = [];
const TABLE_LO: Uint32Array[] = [];

function buildTables(): void {
  const [pHi, pLo] = reflect64(POLY_HI, POLY_LO);
  const hi0 = new Uint32Array(256);
  const lo0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let hi = 0;
    let lo = n;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        hi = (hi ^ pHi) >>> 0;
        lo = (lo ^ pLo) >>> 0;
      }
    }
    hi0[n] = hi;
    lo0[n] = lo;
  }
  TABLE_HI.push(hi0);
  TABLE_LO.push(lo0);
  for (let t = 1; t < 8; t++) {
    const prevHi = TABLE_HI[t - 1] as Uint32Array;
    const prevLo = TABLE_LO[t - 1] as Uint32Array;
    const hi = new Uint32Array(256);
    const lo = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      const h = prevHi[n] as number;
      const l = prevLo[n] as number;
      // One more zero byte through the register: crc = T0[crc & 0xff] ^ (crc >>> 8).
      const idx = l & 0xff;
      hi[n] = ((hi0[idx] as number) ^ (h >>> 8)) >>> 0;
      lo[n] = ((lo0[idx] as number) ^ ((l >>> 8) | ((h & 0xff) << 24))) >>> 0;
    }
    TABLE_HI.push(hi);
    TABLE_LO.push(lo);
  }
}
buildTables();

const [H0, H1, H2, H3, H4, H5, H6, H7] = TABLE_HI as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
const [L0, L1, L2, L3, L4, L5, L6, L7] = TABLE_LO as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/** A running CRC-64 (Jones); feed bytes with update(), read the value with hex() or equals(). */
export class Crc64 {
  hi = 0;
  lo = 0;

  update(buf: Uint8Array, start: number, end: number): void {
    let hi = this.hi;
    let lo = this.lo;
    let i = start;
    const fast = end - 8;
    while (i <= fast) {
      const l = lo ^ ((buf[i] as number) | ((buf[i + 1] as number) << 8) | ((buf[i + 2] as number) << 16) | ((buf[i + 3] as number) << 24));
      const h = hi ^ ((buf[i + 4] as number) | ((buf[i + 5] as number) << 8) | ((buf[i + 6] as number) << 16) | ((buf[i + 7] as number) << 24));
      hi =
        (H7[l & 0xff] as number) ^ (H6[(l >>> 8) & 0xff] as number) ^ (H5[(l >>> 16) & 0xff] as number) ^ (H4[l >>> 24] as number) ^
        (H3[h & 0xff] as number) ^ (H2[(h >>> 8) & 0xff] as number) ^ (H1[(h >>> 16) & 0xff] as number) ^ (H0[h >>> 24] as number);
      lo =
        (L7[l & 0xff] as number) ^ (L6[(l >>> 8) & 0xff] as number) ^ (L5[(l >>> 16) & 0xff] as number) ^ (L4[l >>> 24] as number) ^
        (L3[h & 0xff] as number) ^ (L2[(h >>> 8) & 0xff] as number) ^ (L1[(h >>> 16) & 0xff] as number) ^ (L0[h >>> 24] as number);
      i += 8;
    }
    for (; i < end; i++) {
      const idx = (lo ^ (buf[i] as number)) & 0xff;
      lo = (L0[idx] as number) ^ ((lo >>> 8) | ((hi & 0xff) << 24));
      hi = (H0[idx] as number) ^ (hi >>> 8);
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }

  /** True when the 8 bytes at `offset` (little-endian, as Redis writes them) are this CRC. */
  matches(buf: Uint8Array, offset: number): boolean {
    const lo = ((buf[offset] as number) | ((buf[offset + 1] as number) << 8) | ((buf[offset + 2] as number) << 16) | ((buf[offset + 3] as number) << 24)) >>> 0;
    const hi = ((buf[offset + 4] as number) | ((buf[offset + 5] as number) << 8) | ((buf[offset + 6] as number) << 16) | ((buf[offset + 7] as number) << 24)) >>> 0;
    return hi === this.hi && lo === this.lo;
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

/** CRC-64 of a whole buffer as 16 hex digits (tests, writers). */
export function crc64Hex(buf: Uint8Array): string {
  const crc = new Crc64();
  crc.update(buf, 0, buf.length);
  return crc.hex();
}
