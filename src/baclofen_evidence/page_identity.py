"""What every rendered page says about where it came from: the data package version and the code's commit.

No wall-clock time: two renders of the same data and code must stay byte-identical. The commit is
read once per batch (one `git` call), not once per page.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from baclofen_evidence import config

# Uncommitted changes here change what a page shows; reports/ and figures/ are output, not source.
SOURCE_FOLDERS = ("src", "notebooks", "data")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class PageIdentity:
    data_version: str
    commit: str

    def footer(self) -> str:
        return f"Data package version {self.data_version} · code commit {self.commit}"


def data_version(descriptor: dict | None) -> str:
    version = (descriptor or {}).get("version")
    return str(version) if isinstance(version, (str, int, float)) and str(version).strip() else "unversioned"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def code_commit(root: Path = config.PROJECT_ROOT) -> str:
    """The short hash of HEAD, with '+ local changes' when src/, notebooks/ or data/ differ from it; 'unknown' outside git."""
    head = _git(root, "rev-parse", "--short", "HEAD")
    if not head or not head.strip():
        return UNKNOWN
    status = _git(root, "status", "--porcelain", "--untracked-files=normal", "--", *SOURCE_FOLDERS)
    return head.strip() + (" + local changes" if status is None or status.strip() else "")
