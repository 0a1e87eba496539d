// EIP-712 typed data of an action, built generically from its row of the console's pinned action table (actions.js,
// generated from the backend's table) and the deployment's domain (deployment.js). ethers does the encoding, hashing
// and signature recovery.
import { TypedDataEncoder, getAddress, verifyTypedData } from "../vendor/ethers.min.js";

// fields the console fills itself, whatever the action
const AUTHORIZATION = new Set(["nonce", "deadline", "signer"]);

/** The business fields of an action (those a person fills), in the order of its primary type. */
export function businessFields(action) {
  return action.types[action.primary_type].filter((f) => !AUTHORIZATION.has(f.name));
}

/** The typed data (types without EIP712Domain, domain, message) for ethers and for the wallet. */
export function typedData(action, fields, { signer, nonce, deadline }) {
  const message = {};
  for (const { name } of action.types[action.primary_type]) {
    if (name === "nonce") message.nonce = BigInt(nonce);
    else if (name === "deadline") message.deadline = BigInt(deadline);
    else if (name === "signer") message.signer = getAddress(signer);
    else if (name in fields) message[name] = fields[name];
    else throw new Error(`missing field ${name} of ${action.primary_type}`);
  }
  for (const { name, type } of action.types[action.primary_type]) message[name] = normalise(type, message[name], action.types);
  const types = {};
  for (const [name, members] of Object.entries(action.types)) {
    types[name] = members.map(({ name: n, type }) => ({ name: n, type }));
  }
  return { domain: { ...action.domain }, types, primaryType: action.primary_type, message };
}

/** A value in the form the write API and ethers take: uints as BigInt, addresses checksummed, hex lower case. */
function normalise(type, value, types) {
  if (type.endsWith("[]")) return value.map((item) => normalise(type.slice(0, -2), item, types));
  if (types[type]) return Object.fromEntries(types[type].map((f) => [f.name, normalise(f.type, value[f.name], types)]));
  if (/^u?int\d*$/.test(type)) return BigInt(value);
  if (type === "address") return getAddress(value);
  if (/^bytes\d*$/.test(type)) return String(value).toLowerCase();
  return value;
}

/** What eth_signTypedData_v4 receives: the JSON payload with EIP712Domain (as ethers' own signer sends it). */
export function walletPayload(typed) {
  return TypedDataEncoder.getPayload(typed.domain, typed.types, typed.message);
}

/** The EIP-712 digest the contracts verify. */
export function digest(typed) {
  return TypedDataEncoder.hash(typed.domain, typed.types, typed.message);
}

/** The address that made `signature` over the typed data (to catch a wallet that signed something else). */
export function recoverSigner(typed, signature) {
  return verifyTypedData(typed.domain, typed.types, typed.message, signature);
}

/** JSON with BigInt values written as plain JSON numbers (the write API takes uint256 as numbers). */
export function toJson(value) {
  const marked = JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? `\u0000big:${v}` : v));
  return marked.replace(/"\\u0000big:(\d+)"/g, "$1");
}

/** The request body of a write (docs/pages/writes.md): the business fields, then the authorization (signer, nonce,
 * deadline, signature) in the envelope, where the backend takes them from, whether or not the type signs them;
 * `extras` beside them (a seal's label, `seal_label`: not signed, checked by the ledger against the signed id). */
export function writeBody(typed, signer, signature, extras = {}) {
  const message = {};
  for (const [name, value] of Object.entries(typed.message)) {
    if (!AUTHORIZATION.has(name)) message[name] = value;
  }
  return toJson({ message, signer, nonce: typed.message.nonce, deadline: typed.message.deadline, signature, ...extras });
}

/** The action's path with its path parameter filled from the message. */
export function actionPath(action, message) {
  if (!action.path_param) return action.path;
  return action.path.replace(`{${action.path_param}}`, encodeURIComponent(String(message[action.path_param])));
}
