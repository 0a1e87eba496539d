// The participant's wallet through the standard EIP-1193 provider (window.ethereum): accounts, chain,
// eth_signTypedData_v4 for writes and personal_sign (EIP-191) for signed requests of documents. The key never leaves
// the wallet; the console only sees addresses and signatures. What goes wrong here is the wallet's: a WalletError
// (its code WalletRejected, WalletWrongChain, ...) is said as the wallet's words, never as the ledger's.
import { getAddress, hexlify, toUtf8Bytes } from "../vendor/ethers.min.js";

export class WalletError extends Error {
  constructor(key, detail = "") {
    super(detail || key);
    this.key = key; // text key of the explanation; `code` is the stable name shown with it
    this.code = `Wallet${key.charAt(7).toUpperCase()}${key.slice(8)}`;
    this.detail = detail;
  }
}

export function provider() {
  return globalThis.ethereum ?? null;
}

function explain(error) {
  // EIP-1193 codes: 4001 user rejected, 4100 unauthorised, 4900/4901 disconnected; EIP-3326: 4902 unknown chain
  if (error && error.code === 4001) return new WalletError("wallet.rejected", error.message);
  if (error && (error.code === 4900 || error.code === 4901)) return new WalletError("wallet.disconnected", error.message);
  if (error && error.code === 4902) return new WalletError("wallet.unknownChain", error.message);
  return new WalletError("wallet.failed", (error && error.message) || String(error));
}

async function call(method, params) {
  const eth = provider();
  if (!eth) throw new WalletError("wallet.missing");
  try {
    return await eth.request(params === undefined ? { method } : { method, params });
  } catch (error) {
    throw explain(error);
  }
}

/** Asks the wallet for its accounts (it may show a prompt); the first one, checksummed. */
export async function connect() {
  const accounts = await call("eth_requestAccounts");
  if (!accounts || !accounts.length) throw new WalletError("wallet.noAccount");
  return getAddress(accounts[0]);
}

/** The connected account without prompting, or null. */
export async function currentAccount() {
  if (!provider()) return null;
  const accounts = await call("eth_accounts");
  return accounts && accounts.length ? getAddress(accounts[0]) : null;
}

export async function chainId() {
  return Number(BigInt(await call("eth_chainId")));
}

/** Asks the wallet to switch to chain `id` (EIP-3326; the wallet asks its user). */
export async function switchChain(id) {
  await call("wallet_switchEthereumChain", [{ chainId: `0x${id.toString(16)}` }]);
}

/** WalletWrongChain unless the wallet is on chain `id` (asked now: a wallet may switch without telling). */
export async function requireChain(id) {
  const current = await chainId();
  if (current !== id) throw new WalletError("wallet.wrongChain", String(current));
  return current;
}

/** eth_signTypedData_v4: the wallet shows the typed fields and signs their EIP-712 digest. */
export async function signTypedData(address, payload) {
  return call("eth_signTypedData_v4", [address, JSON.stringify(payload)]);
}

/** personal_sign (EIP-191): the wallet shows `text` and signs it (the message goes as hex of its UTF-8 bytes). */
export async function personalSign(address, text) {
  return call("personal_sign", [hexlify(toUtf8Bytes(text)), address]);
}

/** Calls `onAccounts` when the wallet's account changes and `onChain(chainId)` when its chain does. */
export function onChange(onAccounts, onChain = onAccounts) {
  const eth = provider();
  if (!eth || typeof eth.on !== "function") return;
  eth.on("accountsChanged", () => onAccounts());
  eth.on("chainChanged", (id) => onChain(id === undefined || id === null ? null : Number(BigInt(id))));
}
