"""What build this is: the package version, the git revision when known, and the schema head."""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def package_version() -> str:
    try:
        return version("triangle")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"


@lru_cache
def git_revision() -> str | None:
    """`TRIANGLE_GIT_REVISION` (set by an image build), or the checkout's HEAD; None when neither."""
    configured = os.environ.get("TRIANGLE_GIT_REVISION")
    if configured:
        return configured
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(  # noqa: S603
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=2,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def build_info() -> dict[str, str | None]:
    from app.core.migrations import head_revision

    return {"version": package_version(), "git_revision": git_revision(), "schema_revision": head_revision()}
