// GENERATED from the action table (backend/kpledger/core/actions.py) by scripts/console_actions.py: do not edit.
// `make console-actions` rewrites it; tests/pages/test_console.py fails while it differs from the table.
//
// What the console signs, pinned in its own code: every write action's EIP-712 primary type and field types, its
// contract (the domain's name, version EIP712_VERSION), path, and who signs it; the registry's role bits. The
// console compares GET /v1/actions with these rows and refuses an API that differs (console/deployment.js).

export const EIP712_VERSION = "1";

export const ROLES = {"authority": 1, "producer": 2, "exporter": 4, "importer": 8, "trader": 16, "manufacturer": 32};

export const ACTIONS = [
  {"action": "AdmitParticipant", "method": "POST", "path": "/v1/participants", "path_param": null, "contract": "KPRegistry", "primary_type": "AdmitParticipant", "signers": "governance", "signer_roles": [], "summary": "Admit a KP participant by ISO code",
    "types": {
      "AdmitParticipant": [{"name": "code", "type": "string"}, {"name": "name", "type": "string"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "SuspendParticipant", "method": "POST", "path": "/v1/participants/{code}/suspend", "path_param": "code", "contract": "KPRegistry", "primary_type": "SuspendParticipant", "signers": "governance", "signer_roles": [], "summary": "Suspend a participant",
    "types": {
      "SuspendParticipant": [{"name": "code", "type": "string"}, {"name": "reason", "type": "bytes32"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "ReinstateParticipant", "method": "POST", "path": "/v1/participants/{code}/reinstate", "path_param": "code", "contract": "KPRegistry", "primary_type": "ReinstateParticipant", "signers": "governance", "signer_roles": [], "summary": "Reinstate a suspended participant",
    "types": {
      "ReinstateParticipant": [{"name": "code", "type": "string"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "AppointAuthority", "method": "POST", "path": "/v1/participants/{participant}/authorities", "path_param": "participant", "contract": "KPRegistry", "primary_type": "AppointAuthority", "signers": "governance", "signer_roles": [], "summary": "Appoint an authority of a participant, by name",
    "types": {
      "AppointAuthority": [{"name": "participant", "type": "string"}, {"name": "account", "type": "address"}, {"name": "name", "type": "string"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "DismissAuthority", "method": "POST", "path": "/v1/participants/{participant}/authorities/dismiss", "path_param": "participant", "contract": "KPRegistry", "primary_type": "DismissAuthority", "signers": "governance", "signer_roles": [], "summary": "Dismiss an authority of a participant",
    "types": {
      "DismissAuthority": [{"name": "participant", "type": "string"}, {"name": "account", "type": "address"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "SetMaxCertificateValidity", "method": "POST", "path": "/v1/governance/certificate-validity", "path_param": null, "contract": "KPRegistry", "primary_type": "SetMaxCertificateValidity", "signers": "governance", "signer_roles": [], "summary": "Set the longest validity a KP certificate may have",
    "types": {
      "SetMaxCertificateValidity": [{"name": "maxValidity", "type": "uint64"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "LicenseOperator", "method": "POST", "path": "/v1/operators/license", "path_param": null, "contract": "KPRegistry", "primary_type": "LicenseOperator", "signers": "authority", "signer_roles": ["authority"], "summary": "License an operator under its legal name and national licence number",
    "types": {
      "LicenseOperator": [{"name": "account", "type": "address"}, {"name": "roles", "type": "uint8"}, {"name": "name", "type": "string"}, {"name": "licenceNumber", "type": "string"}, {"name": "registryRef", "type": "string"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "UpdateOperatorProfile", "method": "POST", "path": "/v1/operators/profile", "path_param": null, "contract": "KPRegistry", "primary_type": "UpdateOperatorProfile", "signers": "authority", "signer_roles": ["authority"], "summary": "Update an operator's public name, licence number or registry reference",
    "types": {
      "UpdateOperatorProfile": [{"name": "account", "type": "address"}, {"name": "name", "type": "string"}, {"name": "licenceNumber", "type": "string"}, {"name": "registryRef", "type": "string"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "RevokeOperator", "method": "POST", "path": "/v1/operators/revoke", "path_param": null, "contract": "KPRegistry", "primary_type": "RevokeOperator", "signers": "authority", "signer_roles": ["authority"], "summary": "Revoke an operator's roles",
    "types": {
      "RevokeOperator": [{"name": "account", "type": "address"}, {"name": "roles", "type": "uint8"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "RegisterParcel", "method": "POST", "path": "/v1/parcels", "path_param": null, "contract": "KPLedger", "primary_type": "RegisterParcel", "signers": "operator", "signer_roles": ["producer"], "summary": "Register a parcel at its mine",
    "types": {
      "RegisterParcel": [{"name": "points", "type": "uint48"}, {"name": "stones", "type": "uint32"}, {"name": "hsCode", "type": "uint32"}, {"name": "origin", "type": "string"}, {"name": "documentHash", "type": "bytes32"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "SplitParcel", "method": "POST", "path": "/v1/parcels/{parcelId}/split", "path_param": "parcelId", "contract": "KPLedger", "primary_type": "SplitParcel", "signers": "operator", "signer_roles": ["producer", "exporter", "importer", "trader", "manufacturer"], "summary": "Split a parcel",
    "types": {
      "SplitParcel": [{"name": "parcelId", "type": "uint256"}, {"name": "children", "type": "Child[]"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}],
      "Child": [{"name": "points", "type": "uint48"}, {"name": "stones", "type": "uint32"}, {"name": "hsCode", "type": "uint32"}, {"name": "documentHash", "type": "bytes32"}]
    }},
  {"action": "MergeParcels", "method": "POST", "path": "/v1/parcels/merge", "path_param": null, "contract": "KPLedger", "primary_type": "MergeParcels", "signers": "operator", "signer_roles": ["producer", "exporter", "importer", "trader", "manufacturer"], "summary": "Merge parcels into one",
    "types": {
      "MergeParcels": [{"name": "parcelIds", "type": "uint256[]"}, {"name": "documentHash", "type": "bytes32"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "SealConsignment", "method": "POST", "path": "/v1/consignments", "path_param": null, "contract": "KPLedger", "primary_type": "SealConsignment", "signers": "operator", "signer_roles": ["producer", "exporter", "importer", "trader", "manufacturer"], "summary": "Seal parcels into a consignment",
    "types": {
      "SealConsignment": [{"name": "parcelIds", "type": "uint256[]"}, {"name": "sealId", "type": "bytes32"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "OpenConsignment", "method": "POST", "path": "/v1/consignments/{consignmentId}/open", "path_param": "consignmentId", "contract": "KPLedger", "primary_type": "OpenConsignment", "signers": "operator", "signer_roles": ["producer", "exporter", "importer", "trader", "manufacturer"], "summary": "Open a consignment",
    "types": {
      "OpenConsignment": [{"name": "consignmentId", "type": "uint256"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "OfferCustody", "method": "POST", "path": "/v1/lots/{lotId}/offer", "path_param": "lotId", "contract": "KPLedger", "primary_type": "OfferCustody", "signers": "operator", "signer_roles": ["producer", "exporter", "importer", "trader", "manufacturer"], "summary": "Offer a lot to a named recipient",
    "types": {
      "OfferCustody": [{"name": "lotId", "type": "uint256"}, {"name": "recipient", "type": "address"}, {"name": "sealId", "type": "bytes32"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "WithdrawOffer", "method": "POST", "path": "/v1/lots/{lotId}/withdraw", "path_param": "lotId", "contract": "KPLedger", "primary_type": "WithdrawOffer", "signers": "operator", "signer_roles": ["producer", "exporter", "importer", "trader", "manufacturer"], "summary": "Withdraw one's open offer",
    "types": {
      "WithdrawOffer": [{"name": "lotId", "type": "uint256"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "AcceptCustody", "method": "POST", "path": "/v1/lots/{lotId}/accept", "path_param": "lotId", "contract": "KPLedger", "primary_type": "AcceptCustody", "signers": "operator", "signer_roles": ["producer", "exporter", "importer", "trader", "manufacturer"], "summary": "Accept an offered lot, attesting its seal",
    "types": {
      "AcceptCustody": [{"name": "lotId", "type": "uint256"}, {"name": "sealId", "type": "bytes32"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "RejectCustody", "method": "POST", "path": "/v1/lots/{lotId}/reject", "path_param": "lotId", "contract": "KPLedger", "primary_type": "RejectCustody", "signers": "operator", "signer_roles": ["producer", "exporter", "importer", "trader", "manufacturer"], "summary": "Reject an offered lot",
    "types": {
      "RejectCustody": [{"name": "lotId", "type": "uint256"}, {"name": "reason", "type": "uint16"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "IssueCertificate", "method": "POST", "path": "/v1/certificates", "path_param": null, "contract": "KPCertificates", "primary_type": "IssueCertificate", "signers": "authority", "signer_roles": ["authority"], "summary": "Issue a KP certificate for a sealed consignment",
    "types": {
      "IssueCertificate": [{"name": "number", "type": "string"}, {"name": "importer", "type": "string"}, {"name": "importerAccount", "type": "address"}, {"name": "consignmentId", "type": "uint256"}, {"name": "points", "type": "uint48"}, {"name": "parcelCount", "type": "uint32"}, {"name": "hsCodes", "type": "uint32[]"}, {"name": "origins", "type": "string[]"}, {"name": "issuedAt", "type": "uint64"}, {"name": "expiresAt", "type": "uint64"}, {"name": "documentHash", "type": "bytes32"}, {"name": "replaces", "type": "string"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "ConfirmImport", "method": "POST", "path": "/v1/certificates/{number}/confirm", "path_param": "number", "contract": "KPCertificates", "primary_type": "ConfirmImport", "signers": "authority", "signer_roles": ["authority"], "summary": "Confirm an import",
    "types": {
      "ConfirmImport": [{"name": "number", "type": "string"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "RecordDiscrepancy", "method": "POST", "path": "/v1/certificates/{number}/discrepancy", "path_param": "number", "contract": "KPCertificates", "primary_type": "RecordDiscrepancy", "signers": "authority", "signer_roles": ["authority"], "summary": "Record a discrepancy on an import",
    "types": {
      "RecordDiscrepancy": [{"name": "number", "type": "string"}, {"name": "reason", "type": "uint16"}, {"name": "evidenceHash", "type": "bytes32"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
  {"action": "VoidCertificate", "method": "POST", "path": "/v1/certificates/{number}/void", "path_param": "number", "contract": "KPCertificates", "primary_type": "VoidCertificate", "signers": "authority", "signer_roles": ["authority"], "summary": "Void a certificate before it is used",
    "types": {
      "VoidCertificate": [{"name": "number", "type": "string"}, {"name": "reason", "type": "uint16"}, {"name": "signer", "type": "address"}, {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}]
    }},
];
