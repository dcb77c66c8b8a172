"""Shared loaders for word segmenters (their start-up is slow and chatty)."""

from __future__ import annotations

import logging
from typing import Any


def new_jieba_tokenizer() -> Any:
    """A fresh, initialised jieba Tokenizer, without jieba's start-up log lines on stderr."""
    import jieba

    logger = logging.getLogger("jieba")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
    finally:
        logger.setLevel(level)
    return tokenizer
