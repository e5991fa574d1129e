"""Render the parameterized notebooks into HTML reports, in batch: the orchestration.

notebooks/reports.yml names each report: a notebook and its parameters (reports_config.py). For each one

1. the parameters are checked against the notebook's declared parameters (report_parameters.py): names,
   types and allowed values, then the data and the values, before any kernel starts;
2. the notebook is executed with papermill's parameterization in a pool of worker processes, each
   with one reused kernel (kernels.py);
3. volatile metadata is stripped and the page exported as self-contained HTML that names its data
   version and code commit (html_export.py, page_identity.py);
4. the executed notebook and the HTML are written atomically (temporary file, then rename), so a failed
   or interrupted render leaves the previous report untouched;

then reports/index.html lists every report with its headline (index_page.py). A failing report does
not stop the others; failures are listed at the end and make the exit status non-zero.

A variant (a render with --param) never replaces the canonical report: it is written under its own
name (``NAME--key-value.html``) or into the folder given as ``output``, and the index is left alone.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from baclofen_evidence import config, precheck
from baclofen_evidence.files import atomic_write
from baclofen_evidence.html_export import headline, published_title, strip_volatile, to_html
from baclofen_evidence.index_page import write_index
from baclofen_evidence.kernels import KernelSession, worker_session
from baclofen_evidence.page_identity import PageIdentity, code_commit, data_version
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.reports_config import Report, load_reports  # load_reports stays importable from here

from baclofen_evidence.report_parameters import check_parameters


# ---------------------------------------------------------------- one report


@dataclass
class Outcome:
    name: str
    ok: bool
    seconds: float
    headline: str | None = None
    error: str | None = None
    title: str | None = None  # the title the notebook published, if any
    html: Path | None = None  # where the page was written


@dataclass(frozen=True)
class Task:
    report: Report
    parameters: dict[str, Any]
    reports_dir: Path
    figures_dir: Path
    output_name: str  # the report's name, or its variant's
    identity: PageIdentity


def _failure(nb: nbformat.NotebookNode, exc: Exception) -> str:
    """Which cell failed, and with what error."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {index + 1} (In [{cell.get('execution_count')}]): {out.get('ename')}: {out.get('evalue')}"
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"


def render_one(report: Report, parameters: dict[str, Any], reports_dir: Path, figures_dir: Path,
               session: KernelSession | None = None, identity: PageIdentity | None = None,
               output_name: str | None = None) -> Outcome:
    """Execute one notebook and write its HTML and executed notebook; never raises for a failing cell."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    start = time.perf_counter()
    name = output_name or report.name
    identity = identity or PageIdentity(data_version(None), code_commit())
    own = session is None
    session = session or KernelSession(report.notebook_path.parent)
    params = dict(parameters)
    # Relative to the notebook, so no machine's path ends up in a report.
    params.setdefault("figures_dir", os.path.relpath(Path(figures_dir) / name, report.notebook_path.parent))
    nb = load_notebook_node(str(report.notebook_path))  # papermill's reader adds the metadata it expects
    nb = parameterize_notebook(nb, params, report_mode=False, kernel_name="python3", language="python")
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill draws a random id; reports must not change from run to run
    # Figures go to a staging folder and replace the previous ones only once the whole report has
    # rendered, so a report that fails late leaves its last good figures as untouched as its HTML.
    final_figures = (report.notebook_path.parent / params["figures_dir"]).resolve()
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".staging", dir=_mkdirs(final_figures.parent)))
    page_path = Path(reports_dir) / f"{name}.html"
    try:
        try:
            nb = session.execute(nb, stage)
        except Exception as exc:  # a failing cell, or a kernel that dies: report it, keep the last good report
            return Outcome(report.name, False, time.perf_counter() - start, error=_failure(nb, exc))
        finally:
            if own:
                session.shutdown()
        nb = strip_volatile(nb)
        page = to_html(nb, report.title, identity)
        promote(stage, final_figures)
        atomic_write(Path(reports_dir) / f"{name}.ipynb", nbformat.writes(nb).encode("utf-8") + b"\n")
        atomic_write(page_path, page.encode("utf-8"))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return Outcome(report.name, True, time.perf_counter() - start, headline=headline(nb), title=published_title(nb),
                   html=page_path)


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


def _run_task(task: Task, session: KernelSession) -> Outcome:
    return render_one(task.report, task.parameters, task.reports_dir, task.figures_dir, session,
                      task.identity, task.output_name)


def _worker(task: Task) -> Outcome:
    return _run_task(task, worker_session())


# ---------------------------------------------------------------- variants

VARIANT_SEPARATOR = "--"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")
MAX_NAME = 120


def _value_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(_value_text(v) for v in value) or "none"
    if isinstance(value, dict):
        return "-".join(f"{k}-{_value_text(v)}" for k, v in sorted(value.items())) or "none"
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _plain(text: str) -> str:
    text = _UNSAFE.sub("-", text)
    text = re.sub(r"-{2,}", "-", re.sub(r"[-.]*\.\.[-.]*", "-", text))  # no '..': a name, not a way up
    return text.strip("-.")


def variant_name(name: str, overrides: dict[str, Any]) -> str:
    """The file name (without suffix) of a report rendered with other parameters, e.g. meta_dropout--outcome-relapse.

    Only letters, digits, '_', '.' and '-', never a leading dot; a name too long for comfort is cut
    and made unique again by a short hash of the parameters.
    """
    parts = [_plain(f"{k}-{_value_text(v)}") for k, v in sorted(overrides.items())]
    slug = "_".join(p for p in parts if p) or "variant"
    full = f"{name}{VARIANT_SEPARATOR}{slug}"
    if len(full) > MAX_NAME:
        digest = hashlib.sha1(repr(sorted(overrides.items())).encode("utf-8")).hexdigest()[:10]
        full = f"{full[:MAX_NAME - 11]}-{digest}"
    return full


# ---------------------------------------------------------------- the batch


def progress(total: int):
    from tqdm import tqdm

    quiet = os.environ.get("CI", "").lower() == "true" or not sys.stderr.isatty()
    return tqdm(total=total, unit="report", disable=quiet, file=sys.stderr)


def render_all(only: list[str] | None = None, jobs: int | None = None, overrides: dict[str, Any] | None = None,
               reports_path: Path = config.REPORTS_CONFIG, reports_dir: Path = config.REPORTS_DIR,
               figures_dir: Path = config.FIGURES_DIR, notebooks_dir: Path = config.NOTEBOOKS_DIR,
               output: Path | None = None) -> list[Outcome]:
    """Render every report (or those named in `only`); returns one Outcome per report rendered.

    With `overrides` (a variant) each page is written under its variant name beside the canonical
    ones, which stay as they are, and the index is not rewritten. With `output`, pages, notebooks,
    figures (in output/figures) and an index of what is there go to that folder instead.
    """
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
    if output is not None:
        reports_dir, figures_dir = Path(output), Path(output) / "figures"
    variant = bool(overrides) and output is None
    # Every parameter set is checked before any kernel starts: types first, then the data, then the values.
    checked, problems = [], []
    for r in chosen:
        try:
            params = check_parameters(r.notebook_path, {**r.parameters, **overrides})
            params = precheck.absolute_paths(params, Path.cwd())
        except ParameterError as exc:
            problems.append(f"{r.name}: {exc}")
            continue
        checked.append((r, params))
    if problems:
        raise ParameterError("\n".join(problems))
    from baclofen_evidence.datapackage import DataError, read_package

    # Bad data is reported once, file by file, before any kernel starts.
    evidence = {}
    for data_dir in sorted({str(params.get("data_dir") or config.DATA_DIR) for _, params in checked}):
        try:
            evidence[data_dir], data_problems = read_package(Path(data_dir))
        except DataError as exc:
            data_problems = exc.problems
        if data_problems:
            raise DataError(data_problems)
    for r, params in checked:
        try:
            precheck.check_values(r.notebook_path, params, evidence)
        except ParameterError as exc:
            problems.append(f"{r.name}: {exc}")
    if problems:
        raise ParameterError("\n".join(problems))
    commit = code_commit()  # once per batch: one git call, not one per page
    tasks = [Task(r, params, Path(reports_dir), Path(figures_dir),
                  variant_name(r.name, overrides) if variant else r.name,
                  PageIdentity(data_version(evidence[str(params.get("data_dir") or config.DATA_DIR)].descriptor), commit))
             for r, params in checked]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    outcomes: dict[str, Outcome] = {}
    with progress(len(tasks)) as bar:
        if jobs == 1:
            session = KernelSession()
            try:
                for task in tasks:
                    o = _run_task(task, session)
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
    if not variant:
        all_reports = load_reports(reports_path, notebooks_dir)
        previous = _previous_pages(Path(reports_dir))
        for r in all_reports:
            if r.name not in outcomes and r.name in previous:
                outcomes[r.name] = previous[r.name]
        versions = sorted({t.identity.data_version for t in tasks}) or [data_version(None)]
        write_index(all_reports, outcomes, Path(reports_dir), PageIdentity(", ".join(versions), commit))
    return [outcomes[t.report.name] for t in tasks]


def _previous_pages(reports_dir: Path) -> dict[str, Outcome]:
    """Headlines and titles of reports already rendered, read from their executed notebooks."""
    found = {}
    for path in reports_dir.glob("*.ipynb"):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # a stray or damaged file is simply not listed with a headline
            continue
        text, title = headline(nb), published_title(nb)
        if text or title:
            found[path.stem] = Outcome(path.stem, True, 0.0, headline=text, title=title)
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


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def summary(outcomes: list[Outcome], variant: bool = False, folder: Path | None = None) -> tuple[str, int]:
    """What was rendered and where; failures named. Variants list each page they wrote."""
    ok = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    where = _shown(Path(folder)) if folder is not None else config.REPORTS_DIR.name
    lines = [f"rendered {len(ok)} of {len(outcomes)} report(s) into {where}/"]
    if variant or folder is not None:
        lines += [f"  {o.name}: {_shown(o.html)}" for o in ok if o.html is not None]
    if variant:
        lines.append("  (a variant: the canonical reports and the index are unchanged)")
    for o in failed:
        lines.append(f"FAILED {o.name}: {o.error}")
    return "\n".join(lines), (1 if failed else 0)
