"""The Jupyter kernels that execute the report notebooks: one per worker process, reused report after report.

Kernels run on local IPC sockets in a private temporary folder: no TCP ports are opened, workers
cannot collide, and ipykernel has no reason to warn about unencrypted TCP on every start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nbformat

from baclofen_evidence import config
from baclofen_evidence.files import STAGE_ENV

# jupyter_client interrupts every kernel before shutting it down, and ipykernel 7 logs that interrupt
# as an error; cell errors still reach the notebook, so only the kernel's own log is quietened.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
RESET_CODE = ("get_ipython().run_line_magic('reset', '-f')\nimport os as _os\n_os.chdir({cwd!r})\n"
              "_os.environ.pop({key!r}, None)\n{stage}del _os")
CELL_TIMEOUT = 600


def kernel_manager_class():
    """A kernel manager on IPC sockets in its own temporary folder, removed when the kernel stops."""
    from jupyter_client.manager import KernelManager

    class LocalKernelManager(KernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
            self._socket_dir = tempfile.mkdtemp(prefix="be-kernel-")
            self.ip = os.path.join(self._socket_dir, "k")

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._socket_dir, ignore_errors=True)

    return LocalKernelManager


class KernelSession:
    """One kernel that executes notebook after notebook, its namespace reset in between.

    Reusing the kernel pays the kernel start and the heavy imports (pandas, scipy, matplotlib,
    statsmodels) once per worker instead of once per report; nbclient numbers each notebook's
    execution counts from 1 itself, so outputs do not depend on what ran before.
    """

    def __init__(self, cwd: Path = config.NOTEBOOKS_DIR):
        self.cwd = Path(cwd)
        self.km = None

    def _start(self) -> None:
        self.km = kernel_manager_class()(kernel_name="python3")
        self.km.start_kernel(extra_arguments=KERNEL_ARGS, cwd=str(self.cwd))

    def _reset(self, stage: Path | None = None) -> None:
        kc = self.km.client()
        kc.start_channels()
        code = RESET_CODE.format(cwd=str(self.cwd), key=STAGE_ENV,
                                 stage=f"_os.environ[{STAGE_ENV!r}] = {str(stage)!r}\n" if stage else "")
        try:
            kc.wait_for_ready(timeout=60)
            kc.execute_interactive(code, store_history=False, timeout=60, output_hook=lambda msg: None)
        finally:
            kc.stop_channels()

    def execute(self, nb: nbformat.NotebookNode, stage: Path | None = None) -> nbformat.NotebookNode:
        """Run a notebook; with `stage`, its figures are written there instead (see STAGE_ENV)."""
        from nbclient import NotebookClient

        if self.km is None or not self.km.is_alive():
            self._start()
        self._reset(stage)
        client = NotebookClient(nb, km=self.km, timeout=CELL_TIMEOUT, kernel_name="python3",
                                resources={"metadata": {"path": str(self.cwd)}})
        try:
            client.execute()
        except Exception:
            if self.km is not None and not self.km.is_alive():
                self.km = None  # the next notebook gets a fresh kernel
            raise
        finally:
            if getattr(client, "kc", None) is not None:
                client.kc.stop_channels()
        return nb

    def shutdown(self) -> None:
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=False)
            finally:
                self.km = None


_SESSION: KernelSession | None = None


def worker_session() -> KernelSession:
    """The kernel of this worker process, started on first use and stopped when the worker exits."""
    global _SESSION
    if _SESSION is None:
        from multiprocessing import util

        _SESSION = KernelSession()
        util.Finalize(None, _SESSION.shutdown, exitpriority=10)
    return _SESSION
