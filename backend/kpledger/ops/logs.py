"""Structured logs: one JSON object per line (or plain text), the level and format from Settings, uvicorn's own
loggers in the same format.

A component adds fields to a record with `extra={"fields": {...}}`; the relayed-write event (`log_write`) is one
line per write with its request id, signer, action, transaction, outcome and timings. Never log a key, a
signature or a document's content: the write event is built from named fields only, never from a request body.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

WRITES = logging.getLogger("kpledger.writes")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time (UTC, ms), level, logger, message, then its `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name}
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args  # uvicorn's access line, as fields
            out.update({"msg": "http", "client": client, "method": method, "path": path, "http": version,
                        "status": status})
        else:
            out["msg"] = record.getMessage()
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """A readable line, with the record's `fields` as key=value after the message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return line


def configure(level: str, fmt: str, *, access: bool = True) -> None:
    """Sends every log record (the backend's and uvicorn's) to stderr in `fmt` ("json" or "text") at `level`;
    `access=False` leaves out uvicorn's access lines (a terminal running `make run`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.captureWarnings(True)  # Python warnings as records, in the same format
    for name in UVICORN_LOGGERS:  # uvicorn's loggers go through the root's handler, in the same format
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(level.upper() if access or name != "uvicorn.access" else "WARNING")


def log_write(fields: dict[str, Any]) -> None:
    """The one event of a relayed write (fields: request_id, signer, action, tx_hash, outcome, duplicate, *_ms)."""
    if WRITES.isEnabledFor(logging.INFO):
        WRITES.info("write", extra={"fields": fields})
