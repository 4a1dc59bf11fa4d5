"""The real SQL Server backups in ../shared/backups (see its PROVENANCE.md), with one rule.

They live beside the repository, not in it. Where they are missing, a test that needs them
fails under CI (CI must provide them) and is skipped with a message elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1].parent / "shared" / "backups"


def folder() -> Path:
    if not FOLDER.is_dir():
        message = f"real SQL Server backups not found at {FOLDER}"
        if "CI" in os.environ:
            pytest.fail(f"{message}; CI must provide them (see PROVENANCE.md)", pytrace=False)
        pytest.skip(f"{message}; these tests need the shared sample backups")
    return FOLDER


def read(name: str) -> bytes:
    """The bytes of one real backup, by its path under the folder."""
    path = folder() / name
    if not path.is_file():
        pytest.fail(f"{path} is missing from the shared sample backups", pytrace=False)
    return path.read_bytes()
