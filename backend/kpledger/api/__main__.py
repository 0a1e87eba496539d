"""`python -m kpledger.api`: serve the API (one process: the relayer owns its nonces)."""

from __future__ import annotations

import uvicorn

from kpledger.api.main import create_app
from kpledger.core.config import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                limit_concurrency=settings.max_connections)


if __name__ == "__main__":
    main()
