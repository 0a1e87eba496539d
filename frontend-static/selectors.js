// GENERATED from the build (.build/__local__.json) and the contracts' interfaces by scripts/chain_selectors.py: do not
// edit. `make selectors` rewrites it; tests/pages/test_selectors.py fails while it differs from the build.
//
// What the viewer calls on the chain (chain.js): each view's selector (keccak256 of its signature, first 4 bytes) and
// the names of the 32-byte words it answers, in order (its one static struct flattened); the status enums' names,
// by value.

export const VIEWS = {
  parcel: {"contract": "KPLedger", "signature": "parcel(uint256)", "selector": "0x28d58f7f", "words": ["holder", "points", "consignmentId", "status", "hsCode", "origins", "sealed_"]},
  consignment: {"contract": "KPLedger", "signature": "consignment(uint256)", "selector": "0xfe8ff031", "words": ["holder", "parcelCount", "status", "hsMask", "sealId", "origins", "points"]},
  certificate: {"contract": "KPCertificates", "signature": "certificate(string)", "selector": "0xf4bf1c65", "words": ["consignmentId", "exporter", "importer", "issuedAt", "expiresAt", "status", "documentHash", "exporterAccount", "importerAccount", "replaces", "superseded"]},
  certificates: {"contract": "KPLedger", "signature": "certificates()", "selector": "0x9b00b81f", "words": ["value"]},
};

export const ENUMS = {
  ParcelStatus: ["none", "live", "closed"],
  ConsignmentStatus: ["none", "sealed", "opened", "compromised"],
  CertificateStatus: ["none", "issued", "delivered", "confirmed", "disputed", "voided"],
};
