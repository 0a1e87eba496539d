"""`python -m kpledger.api`: serve the API (one process: the relayer owns its nonces)."""

from __future__ import annotations

import uvicorn

from kpledger.api.main import create_app
from kpledger.core.config import get_settings
from kpledger.ops import logs, memory


def main() -> None:
    settings = get_settings()
    if settings.malloc_arena_max:
        memory.limit_arenas(settings.malloc_arena_max)  # before any thread starts
    logs.configure(settings.log_level, settings.log_format)  # uvicorn's loggers too (log_config=None keeps them)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                log_level=settings.log_level, limit_concurrency=settings.max_connections)


if __name__ == "__main__":
    main()
