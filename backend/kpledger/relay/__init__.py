"""Relayed writes: signed intents checked, journaled and submitted exactly once from the relayer account."""
