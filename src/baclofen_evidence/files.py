"""Writing files so that readers never see half a file: a temporary file beside the target, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Set by the batch renderer inside a report's kernel: figures are written to this folder and moved
# into place only when the whole report has rendered (render.promote).
STAGE_ENV = "BACLOFEN_FIGURE_STAGING"


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def atomic_write(target: Path, data: bytes) -> None:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp creates 0600 files; reports are meant to be shared, so apply the user's umask as open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
