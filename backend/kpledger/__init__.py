"""Kimberley Process chain-of-custody ledger: Python side (intents, chain access, backend)."""
