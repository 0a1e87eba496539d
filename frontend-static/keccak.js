// Keccak-256 (the Ethereum variant: padding 0x01, not SHA-3's 0x06) of a text's UTF-8 bytes, as the ledger's seal
// ids are made from the labels printed on seals (kpledger.core.seals.seal_id_of; the console's ethers.id). Small and
// plain (64-bit lanes as BigInt): the viewer hashes a handful of labels per page, and needs no library for it.

const MASK = (1n << 64n) - 1n;
const ROUNDS = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n, 0x000000000000808bn,
  0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n, 0x000000000000008an, 0x0000000000000088n,
  0x0000000080008009n, 0x000000008000000an, 0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n,
  0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];
// rotation offsets r[x][y] and the pi step's lane order, for lane index x + 5y
const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];
const RATE = 136; // bytes: 1088 bits for a 256-bit output

const rotl = (v, n) => (n === 0 ? v : ((v << BigInt(n)) | (v >> BigInt(64 - n))) & MASK);

function permute(a) {
  for (const rc of ROUNDS) {
    const c = [0, 1, 2, 3, 4].map((x) => a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20]);
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (let y = 0; y < 25; y += 5) a[x + y] ^= d;
    }
    const b = new Array(25);
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], ROT[x + 5 * y]);
    }
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) a[x + y] = b[x + y] ^ (~b[((x + 1) % 5) + y] & MASK & b[((x + 2) % 5) + y]);
    }
    a[0] ^= rc;
  }
}

/** "0x" + 64 hex digits: keccak-256 of `text`'s UTF-8 bytes. */
export function keccak256Text(text) {
  const data = new TextEncoder().encode(String(text));
  const padded = new Uint8Array(Math.ceil((data.length + 1) / RATE) * RATE);
  padded.set(data);
  padded[data.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  const state = new Array(25).fill(0n);
  for (let off = 0; off < padded.length; off += RATE) {
    for (let i = 0; i < RATE / 8; i++) {
      let lane = 0n;
      for (let j = 7; j >= 0; j--) lane = (lane << 8n) | BigInt(padded[off + 8 * i + j]);
      state[i] ^= lane;
    }
    permute(state);
  }
  let hex = "0x";
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 8; j++) hex += Number((state[i] >> BigInt(8 * j)) & 0xffn).toString(16).padStart(2, "0");
  }
  return hex;
}

/** Whether a seal label hashes to the seal id (keccak-256 of its UTF-8 bytes). */
export function labelMatches(label, sealId) {
  return Boolean(label) && Boolean(sealId) && keccak256Text(label) === String(sealId).toLowerCase();
}
