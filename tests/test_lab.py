"""`make lab`: JupyterLab on 127.0.0.1 behind its token, on working copies, so exploring never
touches notebooks/ (nbval's baseline). The last test drives the real JupyterLab UI in Chromium."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from baclofen_evidence import config, lab
from tests.test_reports import ARTIFACTS, CHROMIUM, FLAGS

TOKEN = "test-token-0123456789"


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


@contextmanager
def server(tmp_path: Path):
    workspace = tmp_path / "lab"
    lab.working_copies(workspace)
    port = lab.free_port()
    proc = subprocess.Popen(lab.command(port, root=workspace), env=lab.environment(TOKEN, tmp_path / "jupyter"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if get(f"{url}/api/status", TOKEN)[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.3)
        else:
            pytest.fail("JupyterLab did not answer within 90 s")
        yield url, workspace, proc
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_lab_serves_working_copies_only_with_the_token(tmp_path):
    with server(tmp_path) as (url, workspace, proc):
        status, body = get(f"{url}/api/contents/notebooks", TOKEN)
        assert status == 200
        names = {item["name"] for item in json.loads(body)["content"]}
        assert {p.name for p in config.NOTEBOOKS_DIR.glob("*.ipynb")} == names
        assert get(f"{url}/api/contents/notebooks")[0] == 403  # no token, no access
        kernels = json.loads(get(f"{url}/api/kernelspecs", TOKEN)[1])
        assert "python3" in kernels["kernelspecs"]
        # The token is not on the command line, so `ps` shows no secret.
        assert TOKEN not in " ".join(lab.command(8888)) and TOKEN not in Path(f"/proc/{proc.pid}/cmdline").read_text(errors="replace")
        # The news feed and update check are off in the settings the server reads.
        settings = json.loads(get(f"{url}/lab/api/settings/@jupyterlab/apputils-extension:notification", TOKEN)[1])
        assert settings["settings"]["fetchNews"] == "false"
    assert proc.returncode is not None


def test_working_copies_are_made_once_and_never_overwritten(tmp_path):
    copies = lab.working_copies(tmp_path / "lab")
    edited = copies / "meta_analysis.ipynb"
    edited.write_text("{}", encoding="utf-8")
    lab.working_copies(tmp_path / "lab")
    assert edited.read_text(encoding="utf-8") == "{}"


def test_a_busy_port_is_refused_by_name_or_skipped():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        busy = s.getsockname()[1]
        with pytest.raises(lab.LabError, match=f"PORT={busy} is in use"):
            lab.free_port(busy)
        assert lab.free_port() != busy


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.ipynb"))}


def test_exploring_a_notebook_in_jupyterlab_leaves_the_baseline_untouched(tmp_path):
    """Open a notebook, change `outcome`, run all, wait for the figures, save: no error output, and
    notebooks/ byte-identical (git status clean) while the working copy holds the change."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (make browser)")
    from playwright.sync_api import sync_playwright

    before = digests(config.NOTEBOOKS_DIR)
    with server(tmp_path) as (url, workspace, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/notebooks/meta_analysis.ipynb?token={TOKEN}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
            editor = page.locator(".jp-Notebook .jp-CodeCell").first.locator(".cm-content")
            editor.click()
            page.keyboard.press("Control+Home")
            page.keyboard.press("Shift+End")
            page.keyboard.type('outcome: str = "dropout"')  # a closing quote the editor added itself is typed over
            assert 'outcome: str = "dropout"' in editor.inner_text()
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_text("Run All Cells", exact=True).click()
            # Cells off screen are not in the DOM (JupyterLab renders the notebook in windows), so
            # completion and outputs are judged on the saved working copy, as a person would reopen it.
            copy = workspace / "notebooks" / "meta_analysis.ipynb"
            deadline = time.monotonic() + 240
            saved: dict = {}
            while time.monotonic() < deadline:
                time.sleep(2)
                if page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() == 0:
                    continue
                page.keyboard.press("Control+s")
                page.wait_for_selector(".jp-mod-current.jp-mod-dirty", state="detached", timeout=30_000)
                try:
                    saved = json.loads(copy.read_text(encoding="utf-8"))
                except json.JSONDecodeError:  # caught mid-save (the server writes in place): look again
                    continue
                code = [c for c in saved["cells"] if c["cell_type"] == "code"]
                counts = [c.get("execution_count") for c in saved["cells"] if c["cell_type"] == "code"]
                # the baseline's counts are 1..n too: only the new headline tells this run apart
                if all(counts) and counts == sorted(counts) and "Dropout:" in json.dumps(code[1].get("outputs", [])):
                    break
            else:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "lab-timeout.png"))
                pytest.fail("the notebook did not finish running within 240 s")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "lab-after-run-all.png"))
        finally:
            browser.close()
    outputs = [o for c in saved["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert [o for o in outputs if o["output_type"] == "error"] == []
    parameters = [c for c in saved["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert 'outcome: str = "dropout"' in "".join(parameters[0]["source"])
    text = " ".join("".join(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    assert "Dropout:" in text  # the headline of the outcome chosen in the UI
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3  # forest, subgroups, cumulative
    assert digests(config.NOTEBOOKS_DIR) == before
    status = subprocess.run(["git", "status", "--porcelain", "--", "notebooks"], cwd=config.PROJECT_ROOT,
                            capture_output=True, text=True)
    assert status.returncode != 0 or status.stdout == ""  # not a git checkout (returncode != 0) or clean
