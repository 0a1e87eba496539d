"""GS1 EPCIS 2.0 export of the ledger: identifiers, the mapping of each ledger event, event hashes (GS1's reference,
reproduced), the document envelopes (`envelope`), the JSON-LD contexts (offline loader) and the query interface."""
