// Signed requests for off-chain documents (backend/kpledger/signing/requests.py): the wallet signs (personal_sign, EIP-191) a
// readable text naming the method, the host, the path, the chain, the time, the content type and the SHA-256 of the
// body; the API accepts it once, within a short window. The text is the backend's `request_text`, character for
// character (tests/pages/test_console.py checks both give the same).
import { ApiError, apiBase } from "../api.js";
import { sha256 } from "../sha256.js";
import * as wallet from "./wallet.js";

/** What the wallet signs for one request (kpledger.signing.requests.request_text). */
export async function requestText(method, host, target, chainId, timestamp, body = new Uint8Array(), contentType = "") {
  const { hash } = await sha256(body);
  return `KP Ledger request\n${method.toUpperCase()} ${target}\nhost: ${host.toLowerCase()}\nchain: ${chainId}\n`
    + `timestamp: ${timestamp}\ncontent-type: ${contentType}\nbody-sha256: ${hash.slice(2)}`;
}

/**
 * One request to the API signed by `account`'s wallet: the Response when the API accepts it, else the API's refusal
 * as an ApiError (a WalletError when the wallet declines or fails). `body` is sent byte for byte.
 */
export async function signedFetch(method, path, { account, chainId, body = null, contentType = "" }) {
  const url = new URL(apiBase() + path);
  const bytes = body === null ? new Uint8Array() : body;
  const timestamp = Math.floor(Date.now() / 1000);
  const text = await requestText(method, url.host, url.pathname + url.search, chainId, timestamp, bytes, contentType);
  const signature = await wallet.personalSign(account, text);
  const headers = { Accept: "application/json, application/pdf", "X-KP-Signer": account,
    "X-KP-Timestamp": String(timestamp), "X-KP-Signature": signature };
  if (contentType) headers["Content-Type"] = contentType;
  let response;
  try {
    response = await fetch(url.href, { method, headers, body: body === null ? undefined : bytes });
  } catch (error) {
    throw new ApiError("NetworkError", `could not reach the API at ${apiBase()} (${error.message})`);
  }
  if (!response.ok) {
    let refusal;
    try {
      refusal = await response.json();
    } catch {
      refusal = null;
    }
    if (refusal && refusal.code) throw new ApiError(refusal.code, refusal.message || "", response.status, refusal.details);
    throw new ApiError(`HTTP${response.status}`, `${response.statusText || "error"} from ${url.href}`, response.status);
  }
  return response;
}
