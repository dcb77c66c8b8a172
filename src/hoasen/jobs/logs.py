"""Structured logs of the workers: one JSON object per line (time, level, event and fields),
so a log shipper or `jq` can follow runs across machines."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

HANDLER = "hoasen-structured"


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line; fields given as `extra={"fields": {...}}` are merged."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON."""
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update(fields)
        if record.exc_info:
            doc["error"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def configure(level: str = "info", fmt: str = "json") -> logging.Handler:
    """Send hoasen's and Huey's logs to stderr as JSON lines (or plain text); the handler."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.set_name(HANDLER)
    for name in ("hoasen", "huey"):
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        for old in [h for h in logger.handlers if h.get_name() == HANDLER]:
            logger.removeHandler(old)  # configured before (e.g. a second server in one process)
        logger.addHandler(handler)
        logger.propagate = False
    return handler
