"""`python -m kpledger.api`: serve the API (one process: the relayer owns its nonces)."""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from kpledger.api.main import create_app
from kpledger.core.config import describe, get_settings
from kpledger.ops import logs, memory


def main() -> None:
    try:
        settings = get_settings()
    except ValidationError as exc:  # one line naming the setting and why, never its value (a key)
        print(f"error InvalidSettings: {describe(exc)}", file=sys.stderr)
        raise SystemExit(2) from None
    if settings.malloc_arena_max:
        memory.limit_arenas(settings.malloc_arena_max)  # before any thread starts
    logs.configure(settings.log_level, settings.log_format)  # uvicorn's loggers too (log_config=None keeps them)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                log_level=settings.log_level, limit_concurrency=settings.max_connections)


if __name__ == "__main__":
    main()
