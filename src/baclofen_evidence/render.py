"""Render the parameterized notebooks into HTML reports, in batch (papermill + nbconvert, in-process).

reports/reports.yml names each report: a notebook and its parameters. For each one this module

1. checks the parameters against the notebook's declared parameters (report_parameters.py) before any
   kernel starts: an unknown name, a wrong type or a value outside the allowed ones is an error naming
   it (papermill itself would only warn);
2. executes the notebook with papermill in a pool of worker processes (one kernel per report);
3. strips volatile metadata (papermill timings, timestamps) but keeps outputs and execution counts;
4. exports HTML with nbconvert (inputs hidden, figures embedded, no CDN scripts);
5. writes the executed notebook and the HTML atomically (temporary file, then rename), so a failed
   or interrupted render leaves the previous report untouched;

then writes reports/index.html linking every report with its headline number. A failing report does
not stop the others; failures are listed at the end and make the exit status non-zero.
"""

from __future__ import annotations

import concurrent.futures as cf
import html
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from baclofen_evidence import config, precheck
from baclofen_evidence.files import STAGE_ENV, atomic_write
from baclofen_evidence.headline import HEADLINE_KEY
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.reports_config import Report, load_reports  # load_reports stays importable from here
# The parameter checks live with the declarations; importable from here as before.
from baclofen_evidence.report_parameters import Declared, check_parameters, coerce_cli_value, declared_parameters  # noqa: F401


# ---------------------------------------------------------------- one report


TEMPLATES = Path(__file__).parent / "templates"
VOLATILE_NOTEBOOK_KEYS = ("papermill",)
VOLATILE_CELL_KEYS = ("papermill", "execution")


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove timings and papermill bookkeeping; keep outputs and execution counts (nbval needs them)."""
    for key in VOLATILE_NOTEBOOK_KEYS:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)
    return nb


def html_exporter():
    from nbconvert import HTMLExporter

    from baclofen_evidence.safe_html import markdown_to_html

    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_filter("safe_markdown", markdown_to_html)
    # No CDN scripts: the reports must open offline and load nothing from the network.
    exporter.mathjax_url = ""
    exporter.require_js_url = ""
    exporter.jquery_url = ""
    return exporter


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    body, _ = html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def headline(nb: nbformat.NotebookNode) -> str | None:
    """The headline a notebook published with publish_headline(), if any."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_KEY in data:
                return str(data[HEADLINE_KEY]["headline"])
    return None


def kernel_manager_class():
    """A kernel manager on local IPC sockets in a private temporary folder.

    No TCP ports are opened, workers cannot collide, and ipykernel has no reason to warn about
    unencrypted TCP on every start.
    """
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
                import shutil

                shutil.rmtree(self._socket_dir, ignore_errors=True)

    return LocalKernelManager


# jupyter_client interrupts every kernel before shutting it down, and ipykernel 7 logs that interrupt
# as an error; cell errors still reach the notebook, so only the kernel's own log is quietened.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
RESET_CODE = ("get_ipython().run_line_magic('reset', '-f')\nimport os as _os\n_os.chdir({cwd!r})\n"
              "_os.environ.pop({key!r}, None)\n{stage}del _os")
CELL_TIMEOUT = 600


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


@dataclass
class Outcome:
    name: str
    ok: bool
    seconds: float
    headline: str | None = None
    error: str | None = None


def _failure(nb: nbformat.NotebookNode, exc: Exception) -> str:
    """Which cell failed, and with what error."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {index + 1} (In [{cell.get('execution_count')}]): {out.get('ename')}: {out.get('evalue')}"
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"


def render_one(report: Report, parameters: dict[str, Any], reports_dir: Path, figures_dir: Path,
               session: KernelSession | None = None) -> Outcome:
    """Execute one notebook and write its HTML and executed notebook; never raises for a failing cell."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    start = time.perf_counter()
    own = session is None
    session = session or KernelSession(report.notebook_path.parent)
    params = dict(parameters)
    # Relative to the notebook, so no machine's path ends up in a report.
    params.setdefault("figures_dir", os.path.relpath(Path(figures_dir) / report.name, report.notebook_path.parent))
    nb = load_notebook_node(str(report.notebook_path))  # papermill's reader adds the metadata it expects
    nb = parameterize_notebook(nb, params, report_mode=False, kernel_name="python3", language="python")
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill draws a random id; reports must not change from run to run
    # Figures go to a staging folder and replace the previous ones only once the whole report has
    # rendered, so a report that fails late leaves its last good figures as untouched as its HTML.
    final_figures = (report.notebook_path.parent / params["figures_dir"]).resolve()
    stage = Path(tempfile.mkdtemp(prefix=f".{report.name}.", suffix=".staging", dir=_mkdirs(final_figures.parent)))
    try:
        try:
            nb = session.execute(nb, stage)
        except Exception as exc:  # a failing cell, or a kernel that dies: report it, keep the last good report
            return Outcome(report.name, False, time.perf_counter() - start, error=_failure(nb, exc))
        finally:
            if own:
                session.shutdown()
        nb = strip_volatile(nb)
        page = to_html(nb, report.title)
        promote(stage, final_figures)
        atomic_write(reports_dir / f"{report.name}.ipynb", nbformat.writes(nb).encode("utf-8") + b"\n")
        atomic_write(reports_dir / f"{report.name}.html", page.encode("utf-8"))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return Outcome(report.name, True, time.perf_counter() - start, headline=headline(nb))


def _mkdirs(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def promote(stage: Path, target: Path) -> None:
    """Move every staged figure into place, each by an atomic rename (same file system)."""
    files = [p for p in stage.iterdir() if p.is_file()]
    if not files:
        return
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(files):
        os.replace(path, target / path.name)


_SESSION: KernelSession | None = None


def _worker_session() -> KernelSession:
    """The kernel of this worker process, started on first use and stopped when the worker exits."""
    global _SESSION
    if _SESSION is None:
        from multiprocessing import util

        _SESSION = KernelSession()
        util.Finalize(None, _SESSION.shutdown, exitpriority=10)
    return _SESSION


def _worker(args: tuple) -> Outcome:
    report, parameters, reports_dir, figures_dir = args
    return render_one(report, parameters, reports_dir, figures_dir, _worker_session())


# ---------------------------------------------------------------- the batch


def write_index(reports: list[Report], outcomes: dict[str, Outcome], reports_dir: Path) -> None:
    """reports/index.html: every report with its headline; failed ones marked, previous HTML kept."""
    rows = []
    for r in reports:
        o = outcomes.get(r.name)
        exists = (reports_dir / f"{r.name}.html").exists()
        status = "" if o is None or o.ok else ' <span class="failed">(last render failed; showing the previous report)</span>'
        headline_text = html.escape(o.headline) if o is not None and o.headline else ""
        link = f'<a href="{html.escape(r.name)}.html">{html.escape(r.title)}</a>' if exists else html.escape(r.title)
        rows.append(f"<tr><td>{link}{status}</td><td>{headline_text}</td><td>{html.escape(r.description)}</td></tr>")
    page = INDEX_TEMPLATE.format(rows="\n".join(rows))
    atomic_write(reports_dir / "index.html", page.encode("utf-8"))


INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>baclofen-evidence: reports</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 0.45em 0.6em; border-bottom: 1px solid #ddd; vertical-align: top; }}
th {{ background: #f3f3f3; }}
.failed {{ color: #b2182b; }}
</style>
</head>
<body>
<h1>Baclofen for alcohol use disorder: evidence reports</h1>
<p>Each report is a notebook rendered from the data package in <code>data/</code>.
Every number traces back to a publication listed in <code>data/references.csv</code>.</p>
<table>
<thead><tr><th>Report</th><th>Headline</th><th>What it shows</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def progress(total: int):
    from tqdm import tqdm

    quiet = os.environ.get("CI", "").lower() == "true" or not sys.stderr.isatty()
    return tqdm(total=total, unit="report", disable=quiet, file=sys.stderr)


def render_all(only: list[str] | None = None, jobs: int | None = None, overrides: dict[str, Any] | None = None,
               reports_path: Path = config.REPORTS_CONFIG, reports_dir: Path = config.REPORTS_DIR,
               figures_dir: Path = config.FIGURES_DIR, notebooks_dir: Path = config.NOTEBOOKS_DIR) -> list[Outcome]:
    """Render every report (or those named in `only`); returns one Outcome per report rendered."""
    reports = load_reports(reports_path, notebooks_dir)
    names = {r.name for r in reports}
    if only:
        unknown = sorted(set(only) - names)
        if unknown:
            raise ParameterError(f"--only: no report named {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        chosen = [r for r in reports if r.name in only]
    else:
        chosen = reports
    overrides = overrides or {}
    # Every parameter set is checked before any kernel starts: types first, then the data, then the values.
    tasks, problems = [], []
    for r in chosen:
        try:
            params = check_parameters(r.notebook_path, {**r.parameters, **overrides})
            params = precheck.absolute_paths(params, Path.cwd())
        except ParameterError as exc:
            problems.append(f"{r.name}: {exc}")
            continue
        tasks.append((r, params, Path(reports_dir), Path(figures_dir)))
    if problems:
        raise ParameterError("\n".join(problems))
    from baclofen_evidence.datapackage import DataError, read_package

    # Bad data is reported once, file by file, before any kernel starts.
    evidence = {}
    for data_dir in sorted({str(params.get("data_dir") or config.DATA_DIR) for _, params, _, _ in tasks}):
        try:
            evidence[data_dir], data_problems = read_package(Path(data_dir))
        except DataError as exc:
            data_problems = exc.problems
        if data_problems:
            raise DataError(data_problems)
    for r, params, _, _ in tasks:
        try:
            precheck.check_values(r.notebook_path, params, evidence)
        except ParameterError as exc:
            problems.append(f"{r.name}: {exc}")
    if problems:
        raise ParameterError("\n".join(problems))
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    outcomes: dict[str, Outcome] = {}
    with progress(len(tasks)) as bar:
        if jobs == 1:
            session = KernelSession()
            try:
                for r, params, rdir, fdir in tasks:
                    o = render_one(r, params, rdir, fdir, session)
                    outcomes[o.name] = o
                    bar.update()
            finally:
                session.shutdown()
        else:
            import multiprocessing

            ctx = multiprocessing.get_context("forkserver")
            with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
                for o in pool.map(_worker, tasks):
                    outcomes[o.name] = o
                    bar.update()
    all_reports = load_reports(reports_path, notebooks_dir)
    previous = _previous_headlines(Path(reports_dir))
    for r in all_reports:
        if r.name not in outcomes and r.name in previous:
            outcomes[r.name] = Outcome(r.name, True, 0.0, headline=previous[r.name])
    write_index(all_reports, outcomes, Path(reports_dir))
    return [outcomes[t[0].name] for t in tasks]


def _previous_headlines(reports_dir: Path) -> dict[str, str]:
    """Headlines of reports already rendered, read from their executed notebooks."""
    found = {}
    for path in reports_dir.glob("*.ipynb"):
        try:
            text = headline(nbformat.read(path, as_version=4))
        except Exception:  # a stray or damaged file is simply not listed with a headline
            continue
        if text:
            found[path.stem] = text
    return found


def baseline(notebooks: list[Path] | None = None) -> list[Path]:
    """Re-execute the notebooks in notebooks/ with their default parameters and store the outputs.

    These stored outputs are what nbval compares against; run this after a deliberate change to data,
    code or a notebook. Execution counts are kept (nbval needs them), volatile metadata is not.
    """
    notebooks = notebooks or sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
    session = KernelSession()
    written = []
    try:
        for path in notebooks:
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            nb = strip_volatile(session.execute(nb))
            atomic_write(path, (nbformat.writes(nb) + "\n").encode("utf-8"))
            written.append(path)
    finally:
        session.shutdown()
    return written


def summary(outcomes: list[Outcome]) -> tuple[str, int]:
    ok = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    lines = [f"rendered {len(ok)} of {len(outcomes)} report(s) into {config.REPORTS_DIR.name}/"]
    for o in failed:
        lines.append(f"FAILED {o.name}: {o.error}")
    return "\n".join(lines), (1 if failed else 0)
