"""`make bench`: the batch renderer against the naive CLI loop and against the compute floor.

Measured side by side in one run, on the default batch of notebooks/reports.yml:

* naive: for each report, the `papermill` CLI, then the `jupyter nbconvert --to html` CLI;
* batch: `baclofen-evidence render` (in-process papermill parameterization + nbclient, one reused
  kernel per worker, HTMLExporter in-process), with the default number of workers and with one;
* floor: each report's analysis as a plain Python script (imports included), one process per report,
  one after another: what the reports cost with no notebook machinery at all.

Then GOSH against R metafor's gosh() on the same 16 studies (benchmarks/gosh.py; needs Rscript and
metafor: `make r`). `--only render` or `--only gosh` runs one of the two.

Writes benchmarks/results.json and benchmarks/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import yaml

from baclofen_evidence import config, render

HERE = Path(__file__).resolve().parent
JUPYTER = Path(sys.executable).parent


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def naive(reports, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for r in reports:
        params = {**r.parameters, "figures_dir": str(out / "figures" / r.name)}
        executed = out / f"{r.name}.ipynb"
        subprocess.run([str(JUPYTER / "papermill"), str(r.notebook_path), str(executed), "-y", yaml.safe_dump(params),
                        "--cwd", str(config.NOTEBOOKS_DIR), "--no-progress-bar"], check=True, capture_output=True)
        subprocess.run([str(JUPYTER / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                       check=True, capture_output=True)


FLOOR_SCRIPT = textwrap.dedent("""
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell
    from baclofen_evidence.report_parameters import report_class
    InteractiveShell.instance()  # display() goes to a shell, as in a kernel, but nothing renders
    module, params, calls = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
    report = report_class(module)(**params)
    report.headline()
    for call in calls:
        getattr(report, call)()
""")


def floor(reports, out: Path) -> None:
    for r in reports:
        nb = nbformat.read(r.notebook_path, as_version=4)
        calls = [m.group(1) for c in nb.cells if c.cell_type == "code" for m in [re.fullmatch(r"report\.(\w+)\(\)", c.source.strip())] if m]
        params = {**r.parameters, "figures_dir": str(out / "figures" / r.name)}
        subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, r.notebook_path.stem, json.dumps(params), json.dumps(calls)],
                       check=True, capture_output=True, cwd=config.NOTEBOOKS_DIR)


def batch(out: Path, jobs: int | None) -> None:
    outcomes = render.render_all(jobs=jobs, reports_dir=out / "reports", figures_dir=out / "figures")
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["render", "gosh"], help="run one of the two benchmarks (default: both)")
    args = parser.parse_args(argv)
    gosh_lines: list[str] = []
    gosh_results = None
    if args.only in (None, "gosh"):
        sys.path.insert(0, str(HERE))
        import gosh as gosh_bench

        gosh_results, gosh_lines = gosh_bench.run()
    if args.only == "gosh":
        previous = json.loads((HERE / "results.json").read_text()) if (HERE / "results.json").exists() else {}
        previous["gosh"] = gosh_results
        (HERE / "results.json").write_text(json.dumps(previous, indent=2) + "\n")
        text = (HERE / "RESULTS.md").read_text() if (HERE / "RESULTS.md").exists() else ""
        text = text.split("## GOSH against")[0].rstrip("\n") + "\n\n" + "\n".join(gosh_lines)
        (HERE / "RESULTS.md").write_text(text)
        print("\n".join(gosh_lines))
        return 0
    if args.only == "render":  # keep the GOSH part of the last full run
        previous = json.loads((HERE / "results.json").read_text()) if (HERE / "results.json").exists() else {}
        gosh_results = previous.get("gosh")
        text = (HERE / "RESULTS.md").read_text() if (HERE / "RESULTS.md").exists() else ""
        gosh_lines = ("## GOSH against" + text.split("## GOSH against", 1)[1]).split("\n") if "## GOSH against" in text else []
    reports = render.load_reports()
    n = len(reports)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results["naive_cli_loop_s"] = timed(lambda: naive(reports, tmp / "naive"))
        results["batch_default_jobs_s"] = timed(lambda: batch(tmp / "batch", None))
        results["batch_one_job_s"] = timed(lambda: batch(tmp / "batch1", 1))
        results["floor_scripts_s"] = timed(lambda: floor(reports, tmp / "floor"))
    results.update(
        reports=n, jobs_default=os.cpu_count(), python=platform.python_version(),
        speedup_vs_naive=results["naive_cli_loop_s"] / results["batch_default_jobs_s"],
        overhead_per_report_s=(results["batch_one_job_s"] - results["floor_scripts_s"]) / n,
    )
    results = {k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}
    if gosh_results is not None:
        results["gosh"] = gosh_results
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Rendering benchmark (`make bench`)", "",
        f"{n} reports (notebooks/reports.yml), {os.cpu_count()} cores, Python {platform.python_version()}.", "",
        "| way to render the batch | seconds | per report |", "| --- | ---: | ---: |",
        f"| naive loop: papermill CLI + nbconvert CLI per report | {results['naive_cli_loop_s']:.1f} | {results['naive_cli_loop_s'] / n:.2f} |",
        f"| `make reports` ({os.cpu_count()} workers) | {results['batch_default_jobs_s']:.1f} | {results['batch_default_jobs_s'] / n:.2f} |",
        f"| `make reports`, 1 worker | {results['batch_one_job_s']:.1f} | {results['batch_one_job_s'] / n:.2f} |",
        f"| compute floor: each analysis as a plain script | {results['floor_scripts_s']:.1f} | {results['floor_scripts_s'] / n:.2f} |",
        "",
        f"Speed-up of `make reports` over the naive loop: **{results['speedup_vs_naive']:.1f}x** (goal: at least 4x).",
        f"Overhead per report over the compute floor, one worker against one script per report: "
        f"**{results['overhead_per_report_s']:+.2f} s** (goal: at most 0.5 s; negative means faster than the floor, "
        "because one kernel per worker pays the imports once).", "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines + gosh_lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
