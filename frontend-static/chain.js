// Trust-minimising check: read the contracts straight from a JSON-RPC node (eth_call), without the API.
// ABI encoding and decoding by hand: every view used here returns one static struct (7 or 11 words).

// Function selectors = first 4 bytes of keccak256(signature), computed once with
//   python -c "from eth_utils import function_signature_to_4byte_selector as f; print(f('parcel(uint256)').hex())"
// (eth_utils, as installed in .venv) and hard-coded so the page needs no keccak implementation.
export const SELECTORS = {
  parcel: "0x28d58f7f", // parcel(uint256) -> (address holder, uint48 points, uint40 consignmentId, uint8 status,
  //                       uint32 hsCode, uint192 origins, bool sealed_)
  consignment: "0xfe8ff031", // consignment(uint256) -> (address holder, uint32 parcelCount, uint8 status,
  //                            uint8 hsMask, bytes32 sealId, uint192 origins, uint48 points)
  certificate: "0xf4bf1c65", // certificate(string) -> (uint40 consignmentId, bytes2 exporter, bytes2 importer,
  //                            uint64 issuedAt, uint64 expiresAt, uint8 status, bytes32 documentHash,
  //                            address exporterAccount, address importerAccount, bytes32 replaces, bool superseded)
  certificates: "0x9b00b81f", // KPLedger.certificates() -> address of KPCertificates
};

export const PARCEL_STATUS = { 0: "none", 1: "live", 2: "closed" };
export const CONSIGNMENT_STATUS = { 0: "none", 1: "sealed", 2: "opened", 3: "compromised" };
export const CERTIFICATE_STATUS = { 0: "none", 1: "issued", 2: "delivered", 3: "confirmed", 4: "disputed", 5: "voided" };

function word(value) {
  return BigInt(value).toString(16).padStart(64, "0");
}

function encodeString(text) {
  const bytes = new TextEncoder().encode(text);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const paddedLength = Math.ceil(bytes.length / 32) * 64;
  return word(32) + word(bytes.length) + hex.padEnd(paddedLength, "0");
}

function words(hex, count) {
  const body = (hex || "").replace(/^0x/, "");
  if (body.length < count * 64) throw new Error(`short answer from the node (${body.length / 2} bytes)`);
  return Array.from({ length: count }, (_, i) => body.slice(i * 64, (i + 1) * 64));
}

const uint = (w) => BigInt(`0x${w}`);
const address = (w) => `0x${w.slice(24)}`;
const bytes32 = (w) => `0x${w}`;
const bytes2 = (w) => String.fromCharCode(parseInt(w.slice(0, 2), 16), parseInt(w.slice(2, 4), 16));

const NODE_KEY = "kp-viewer-node";

/** The JSON-RPC node the person typed last on this device (the node is their choice: a link cannot set it). */
export function savedNode() {
  try {
    return localStorage.getItem(NODE_KEY) || "";
  } catch {
    return ""; // storage refused (private mode, file://)
  }
}

export function saveNode(url) {
  try {
    localStorage.setItem(NODE_KEY, url);
  } catch {
    // storage refused: the node is typed again next time
  }
}

export class Rpc {
  constructor(url) {
    this.url = url;
    this.id = 0;
  }

  async call(method, params) {
    let response;
    try {
      response = await fetch(this.url, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }),
      });
    } catch (error) {
      throw new Error(`could not reach the node at ${this.url} (${error.message}; is CORS allowed?)`, { cause: error });
    }
    if (!response.ok) throw new Error(`the node answered HTTP ${response.status}`);
    const body = await response.json();
    if (body.error) throw new Error(`${method}: ${body.error.message || JSON.stringify(body.error)}`);
    return body.result;
  }

  chainId() {
    return this.call("eth_chainId", []).then((hex) => Number(BigInt(hex)));
  }

  blockNumber() {
    return this.call("eth_blockNumber", []).then((hex) => Number(BigInt(hex)));
  }

  ethCall(to, data) {
    return this.call("eth_call", [{ to, data }, "latest"]);
  }

  async certificatesAddress(ledger) {
    return address(words(await this.ethCall(ledger, SELECTORS.certificates), 1)[0]);
  }

  async parcel(ledger, id) {
    const w = words(await this.ethCall(ledger, SELECTORS.parcel + word(id)), 7);
    return {
      holder: address(w[0]), points: Number(uint(w[1])), consignmentId: Number(uint(w[2])),
      status: Number(uint(w[3])), hsCode: Number(uint(w[4])), origins: uint(w[5]), sealed: uint(w[6]) !== 0n,
    };
  }

  async consignment(ledger, id) {
    const w = words(await this.ethCall(ledger, SELECTORS.consignment + word(id)), 7);
    return {
      holder: address(w[0]), parcelCount: Number(uint(w[1])), status: Number(uint(w[2])),
      hsMask: Number(uint(w[3])), sealId: bytes32(w[4]), origins: uint(w[5]), points: Number(uint(w[6])),
    };
  }

  async certificate(certificates, number) {
    const w = words(await this.ethCall(certificates, SELECTORS.certificate + encodeString(number)), 11);
    return {
      consignmentId: Number(uint(w[0])), exporter: bytes2(w[1]), importer: bytes2(w[2]),
      issuedAt: Number(uint(w[3])), expiresAt: Number(uint(w[4])), status: Number(uint(w[5])),
      documentHash: bytes32(w[6]), exporterAccount: address(w[7]), importerAccount: address(w[8]),
      replaces: bytes32(w[9]), superseded: uint(w[10]) !== 0n,
    };
  }
}

/** Origins bitmask -> sorted ISO codes, given participant indexes (bit index-1, see KPLedger). */
export function originCodes(mask, participants) {
  const codes = [];
  for (const p of participants) {
    if ((mask >> BigInt(p.index - 1)) & 1n) codes.push(p.code);
  }
  return codes.sort();
}
