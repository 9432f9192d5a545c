"""Durability on disk: a directory's entries (a new or renamed file's name) fsynced."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_directory"]


def fsync_directory(directory: Path) -> None:
    """Make the names in ``directory`` durable: after a create or rename, before relying on it."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
