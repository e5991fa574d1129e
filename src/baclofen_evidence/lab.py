"""JupyterLab for exploring the notebooks: local only, behind a token, with this environment's kernel.

`make lab` runs `python -m baclofen_evidence lab`; the smoke test starts the very same command.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from baclofen_evidence import config

LAB_DIR = config.PROJECT_ROOT / ".jupyter"


def command(token: str, port: int = 8888, open_browser: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "jupyterlab", "--ip", "127.0.0.1", "--port", str(port),
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={config.PROJECT_ROOT}",
            "--ServerApp.default_url=/lab/tree/notebooks",
            "--ServerApp.port_retries=0"]
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # JupyterLab refuses to start as root otherwise (these machines run as root)
    return argv


def environment(scratch: Path = LAB_DIR) -> dict[str, str]:
    """Scratch Jupyter folders, so the server reads no user-wide settings and leaves nothing behind."""
    env = dict(os.environ)
    for name in ("config", "data", "runtime"):
        path = scratch / name
        path.mkdir(parents=True, exist_ok=True)
        env[f"JUPYTER_{name.upper()}_DIR"] = str(path)
    # The project's own kernel: ipykernel installed in this environment.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return env


def main(port: int = 8888, token: str | None = None) -> int:
    token = token or os.environ.get("LAB_TOKEN") or secrets.token_hex(16)
    print(f"JupyterLab: http://127.0.0.1:{port}/lab?token={token}", flush=True)
    os.execve(sys.executable, command(token, port), environment())
    return 0  # not reached
