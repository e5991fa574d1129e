"""JupyterLab for exploring the notebooks: local only, behind a token, on working copies.

The notebooks in notebooks/ are nbval's baseline, and JupyterLab autosaves an open notebook about
every two minutes: exploring them in place would change the baseline without anyone saving. So
`make lab` serves working copies in .lab/notebooks/ (ignored by git), made from notebooks/ the first
time and kept afterwards, so explorations survive a restart. Only `make baseline` writes notebooks/.

`make lab` runs `python -m baclofen_evidence lab`; the tests start the very same command.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
from pathlib import Path

from baclofen_evidence import config

LAB_DIR = config.PROJECT_ROOT / ".jupyter"
WORKSPACE = config.PROJECT_ROOT / ".lab"
DEFAULT_PORT = 8888
PORTS_TRIED = 20
# JupyterLab's notification plugin fetches a news feed and checks for updates over the network;
# these machines have none, and a reader exploring a report needs neither.
QUIET_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                  {"fetchNews": "false", "checkForUpdates": False}}


class LabError(Exception):
    """The lab cannot start; the message says why."""


def working_copies(workspace: Path = WORKSPACE, source: Path = config.NOTEBOOKS_DIR) -> Path:
    """Copy every notebook not yet in the workspace; never overwrite one a person has been editing."""
    target = workspace / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    for nb in sorted(source.glob("*.ipynb")):
        copy = target / nb.name
        if not copy.exists():
            shutil.copy2(nb, copy)
    return target


def free_port(preferred: int | None = None) -> int:
    """The preferred port if given (and free), else the first free one from 8888 on."""
    candidates = [preferred] if preferred else range(DEFAULT_PORT, DEFAULT_PORT + PORTS_TRIED)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    if preferred:
        raise LabError(f"PORT={preferred} is in use; choose another, or leave PORT unset to take the first free one")
    raise LabError(f"no free port between {DEFAULT_PORT} and {DEFAULT_PORT + PORTS_TRIED - 1}; set PORT=")


def command(port: int = DEFAULT_PORT, open_browser: bool = False, root: Path = WORKSPACE) -> list[str]:
    """The server command. The token is not on it: it travels in JUPYTER_TOKEN (see environment),
    so `ps` shows no secret."""
    argv = [sys.executable, "-m", "jupyterlab", "--ip", "127.0.0.1", "--port", str(port),
            f"--ServerApp.root_dir={root}", "--ServerApp.default_url=/lab/tree/notebooks",
            "--ServerApp.port_retries=0"]
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # JupyterLab refuses to start as root otherwise (these machines run as root)
    return argv


def environment(token: str, scratch: Path = LAB_DIR) -> dict[str, str]:
    """Scratch Jupyter folders, so the server reads no user-wide settings and leaves nothing behind."""
    env = dict(os.environ)
    for name in ("config", "data", "runtime"):
        path = scratch / name
        path.mkdir(parents=True, exist_ok=True)
        env[f"JUPYTER_{name.upper()}_DIR"] = str(path)
    settings = scratch / "lab-settings"
    for name, values in QUIET_SETTINGS.items():
        plugin, _, file = name.rpartition("/")
        (settings / plugin).mkdir(parents=True, exist_ok=True)
        (settings / plugin / file).write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(scratch / "lab-workspaces")
    # The project's own kernel: ipykernel installed in this environment.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    env["JUPYTER_TOKEN"] = token
    return env


def main(port: int | None = None, token: str | None = None) -> int:
    token = token or os.environ.get("LAB_TOKEN") or secrets.token_hex(16)
    port = free_port(port or (int(os.environ["PORT"]) if os.environ.get("PORT", "").isdigit() else None))
    notebooks = working_copies()
    print(f"Working copies of notebooks/ in {notebooks.relative_to(config.PROJECT_ROOT)}/ (notebooks/ stays untouched)")
    print(f"JupyterLab: http://127.0.0.1:{port}/lab/tree/notebooks?token={token}", flush=True)
    os.execve(sys.executable, command(port), environment(token))
    return 0  # not reached
