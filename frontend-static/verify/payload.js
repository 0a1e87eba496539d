// The signed payload of a certificate's QR code, read and checked in the browser: the same format as
// backend/kpledger/certificates/payload.py (version byte 1, the IssueCertificate struct's members in the action
// table's order as varints, strings, addresses and bytes32, then the 65-byte signature; RFC 4648 Base32 without
// padding). The struct's fields come from the console's pinned action table (console/actions.js): one table.
import { ACTIONS, EIP712_VERSION } from "../console/actions.js";
import { getAddress, hexlify, verifyTypedData } from "./vendor/ethers.min.js";

const ACTION = "IssueCertificate";
const SPEC = ACTIONS.find((a) => a.action === ACTION);
export const FIELDS = SPEC.types[ACTION];
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const MAX_CHARS = 1200;

export class PayloadError extends Error {}

function base32(text) {
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new PayloadError(`not a certificate payload: "${ch}" is not a Base32 letter or digit`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

class Reader {
  constructor(bytes) { this.bytes = bytes; this.at = 0; }

  take(n) {
    if (this.at + n > this.bytes.length) throw new PayloadError("not a certificate payload: it ends early");
    const chunk = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return chunk;
  }

  varint(bits) {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.take(1)[0];
      value |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (!(byte & 0x80)) break;
      if (shift > BigInt(bits + 7)) throw new PayloadError("not a certificate payload: a number is too long");
    }
    if (value >> BigInt(bits)) throw new PayloadError(`not a certificate payload: a number is above uint${bits}`);
    return value;
  }

  value(type) {
    if (type.endsWith("[]")) {
      const n = Number(this.varint(16));
      return Array.from({ length: n }, () => this.value(type.slice(0, -2)));
    }
    if (type === "string") return new TextDecoder("utf-8", { fatal: true }).decode(this.take(Number(this.varint(16))));
    if (type === "address") return getAddress(hexlify(this.take(20)));
    if (type === "bytes32") return hexlify(this.take(32));
    const uint = /^uint(\d+)$/.exec(type);
    if (uint) return this.varint(Number(uint[1]));
    throw new PayloadError(`unsupported type ${type}`);
  }
}

/** The payload in a scanned text: a verifier URL (…/verify/#PAYLOAD) or the payload alone; null if none. */
export function payloadOf(text) {
  const t = String(text || "").trim();
  const hash = t.lastIndexOf("#");
  const candidate = (hash >= 0 ? t.slice(hash + 1) : t).trim().toUpperCase();
  return /^[A-Z2-7]{20,}$/.test(candidate) && candidate.length <= MAX_CHARS ? candidate : null;
}

/** {message, signature} of a payload (the signature not checked here); throws PayloadError. */
export function decode(text) {
  const reader = new Reader(base32(text));
  if (reader.take(1)[0] !== 1) throw new PayloadError("not a certificate payload: unknown version");
  const message = {};
  for (const f of FIELDS) message[f.name] = reader.value(f.type);
  const signature = hexlify(reader.take(65));
  if (reader.at !== reader.bytes.length) throw new PayloadError("not a certificate payload: bytes after the signature");
  return { message, signature };
}

/** The address whose key signed the terms under the deployment's domain (from the trust list); null if none. */
export function recoverSigner({ message, signature }, domain) {
  const eip712Domain = { name: domain.name, version: domain.version || EIP712_VERSION, chainId: domain.chain_id,
    verifyingContract: domain.verifying_contract };
  try {
    return verifyTypedData(eip712Domain, { [ACTION]: FIELDS }, message, signature);
  } catch {
    return null;
  }
}
