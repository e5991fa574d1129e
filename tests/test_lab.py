"""`make lab` serves JupyterLab on 127.0.0.1 behind its token, with the notebooks in view."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from baclofen_evidence import lab


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_lab_serves_the_notebooks_only_with_the_token(tmp_path):
    port, token = free_port(), "test-token-0123456789"
    proc = subprocess.Popen(lab.command(token, port), env=lab.environment(tmp_path / "jupyter"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/notebooks"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = get(url, token)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.3)
        assert status == 200
        names = {item["name"] for item in json.loads(body)["content"]}
        assert {"meta_analysis.ipynb", "evidence_map.ipynb", "claims.ipynb"} <= names
        assert get(url)[0] == 403  # no token, no access
        kernels = json.loads(get(f"http://127.0.0.1:{port}/api/kernelspecs", token)[1])
        assert "python3" in kernels["kernelspecs"]
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode is not None
