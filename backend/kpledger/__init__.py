"""Kimberley Process chain-of-custody ledger: Python side (intents, chain access, backend)."""

import os

if "ETH_HASH_BACKEND" not in os.environ:  # before any keccak: eth-hash picks its backend on first use
    try:
        import sha3  # noqa: F401 - safe-pysha3: C keccak, about 5x faster than pycryptodome's, and it keeps the
        # GIL (pycryptodome's ctypes calls release it at every hash: a convoy when many request threads hash)

        os.environ["ETH_HASH_BACKEND"] = "pysha3"
    except ImportError:
        pass
