// Values as the ledger records them: weights in points (hundredths of a carat, exact BigInt arithmetic, never
// floats), seal ids and short texts as bytes32, addresses in their EIP-55 form. Hashing comes from ethers.
import { getAddress, keccak256, toUtf8Bytes } from "../vendor/ethers.min.js";

/** A user input error: `key` is a text key of the language files, `params` its placeholders. */
export class InputError extends Error {
  constructor(key, params = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
export const SEAL_LABEL_MAX = 120; // characters of a seal's label the ledger keeps (kpledger.core.seals)
export const ZERO32 = `0x${"0".repeat(64)}`;

/**
 * Points from a carat amount typed by a person: "5000", "5000.5", "3 500,25" -> 500000n, 500050n, 350025n.
 * A dot or a comma marks the decimals (at most 2: the ledger keeps hundredths); spaces group thousands.
 */
export function parseCarats(text) {
  const raw = String(text ?? "").replace(/[\s\u00a0\u202f]/g, "");
  if (!raw) throw new InputError("err.required");
  const match = raw.match(/^(\d+)(?:[.,](\d*))?$/);
  if (!match) throw new InputError("err.carats");
  const decimals = match[2] ?? "";
  if (decimals.length > 2) throw new InputError("err.caratsDecimals");
  const points = BigInt(match[1]) * 100n + BigInt((decimals + "00").slice(0, 2));
  if (points <= 0n) throw new InputError("err.caratsPositive");
  return points;
}

/** "3,500.00 ct" (English) or "3 500,00 ct" (French) from points, exactly. */
export function formatCarats(points, locale) {
  const p = BigInt(points);
  const sign = p < 0n ? "-" : "";
  const abs = p < 0n ? -p : p;
  const whole = new Intl.NumberFormat(locale).format(abs / 100n);
  const decimal = new Intl.NumberFormat(locale, { minimumFractionDigits: 1 }).formatToParts(1.5)
    .find((part) => part.type === "decimal")?.value ?? ".";
  return `${sign}${whole}${decimal}${String(abs % 100n).padStart(2, "0")} ct`;
}

export function formatInteger(value, locale) {
  return new Intl.NumberFormat(locale).format(BigInt(value));
}

/** A non-negative whole number below 2**bits, from text. */
export function parseUint(text, bits = 256) {
  const raw = String(text ?? "").replace(/[\s\u00a0\u202f]/g, "");
  if (!raw) throw new InputError("err.required");
  if (!/^\d+$/.test(raw)) throw new InputError("err.integer");
  const value = BigInt(raw);
  if (value >= 1n << BigInt(bits)) throw new InputError("err.tooLarge", { bits });
  return value;
}

/** The bytes32 seal id of a seal label, as the CLI computes it (kpledger.client.seal_id). */
export function sealId(label) {
  const text = String(label ?? "");
  if (HEX32.test(text)) return text.toLowerCase();
  if (!text) throw new InputError("err.required");
  return keccak256(toUtf8Bytes(text));
}

/** A short text as bytes32: UTF-8, right-padded with zeros (kpledger.client.text_bytes32). */
export function textBytes32(text) {
  const value = String(text ?? "");
  if (HEX32.test(value)) return value.toLowerCase();
  const bytes = toUtf8Bytes(value);
  if (bytes.length > 32) throw new InputError("err.textTooLong", { max: 32 });
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").padEnd(64, "0")}`;
}

/** 0x-hex of exactly 32 bytes, lower case. */
export function parseBytes32(text) {
  const value = String(text ?? "").trim();
  if (!value) throw new InputError("err.required");
  if (!HEX32.test(value)) throw new InputError("err.bytes32");
  return value.toLowerCase();
}

/** The EIP-55 checksummed form of an address; refuses a wrong checksum or length. */
export function parseAddress(text) {
  const value = String(text ?? "").trim();
  if (!value) throw new InputError("err.required");
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new InputError("err.address");
  try {
    return getAddress(value);
  } catch {
    throw new InputError("err.addressChecksum");
  }
}

export const sameAddress = (a, b) => Boolean(a && b) && a.toLowerCase() === b.toLowerCase();
