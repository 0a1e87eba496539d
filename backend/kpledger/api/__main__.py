"""`python -m kpledger.api`: serve the API (one process: the relayer owns its nonces)."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from kpledger.api.main import create_app
from kpledger.api.server import server
from kpledger.core.config import describe, get_settings
from kpledger.ops import logs, memory


def main() -> int:
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"error InvalidSettings: {describe(exc)}", file=sys.stderr)
        return 2
    if settings.malloc_arena_max:
        memory.limit_arenas(settings.malloc_arena_max)  # before any thread starts
    logs.configure(settings.log_level, settings.log_format)  # uvicorn's loggers too (log_config=None keeps them)
    server(create_app(settings), settings, log_level=settings.log_level).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
