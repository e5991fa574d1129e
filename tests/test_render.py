"""Rendering end to end on the small fixture package: reports, figures, index, failures, safety.

One batch renders every notebook from tests/fixtures/minimal (plus a report with one trial and one
with no data); the other tests reuse it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from baclofen_evidence import render
from baclofen_evidence.parameters import ParameterError
from tests.conftest import copy_package, set_cell

FIXTURE_REPORTS = [
    ("evidence_map", "evidence_map.ipynb", {}),
    ("meta", "meta_analysis.ipynb", {"outcome": "abstinence"}),
    ("meta_one_trial", "meta_analysis.ipynb", {"outcome": "dropout"}),
    ("meta_no_data", "meta_analysis.ipynb", {"outcome": "responder"}),
    ("dose", "dose_response.ipynb", {}),
    ("costs", "costs.ipynb", {"currency": "EUR"}),
    ("claims", "claims.ipynb", {}),
    ("tsa", "tsa.ipynb", {"outcome": "relapse"}),
]


def write_reports_yml(path: Path, data_dir: Path, entries=FIXTURE_REPORTS) -> Path:
    reports = [{"name": n, "notebook": nb, "title": f"Fixture {n}", "parameters": {**p, "data_dir": str(data_dir)}}
               for n, nb, p in entries]
    path.write_text(yaml.safe_dump({"reports": reports}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("render")
    data = copy_package(root / "data")
    config = write_reports_yml(root / "reports.yml", data)
    out, figs = root / "reports", root / "figures"
    outcomes = render.render_all(jobs=2, reports_path=config, reports_dir=out, figures_dir=figs)
    return {"root": root, "data": data, "config": config, "out": out, "figs": figs,
            "outcomes": {o.name: o for o in outcomes}}


def test_every_fixture_report_renders(batch):
    failed = {n: o.error for n, o in batch["outcomes"].items() if not o.ok}
    assert not failed
    for name, _, _ in FIXTURE_REPORTS:
        assert (batch["out"] / f"{name}.html").stat().st_size > 10_000
        assert (batch["out"] / f"{name}.ipynb").exists()


def test_report_shows_the_data_and_states_its_defaults(batch):
    page = (batch["out"] / "meta.html").read_text(encoding="utf-8")
    assert "Gamma 2015" in page and "15/50" in page
    for default in ("restricted maximum likelihood", "Zero cells", "Prediction interval", "Wald-type"):
        assert default in page


def test_figures_are_written_as_png_and_svg(batch):
    for stem in ("forest", "cumulative", "subgroups"):
        png, svg = batch["figs"] / "meta" / f"{stem}.png", batch["figs"] / "meta" / f"{stem}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in svg.read_bytes()[:400]


def test_a_single_trial_renders_and_says_pooling_needs_two(batch):
    page = (batch["out"] / "meta_one_trial.html").read_text(encoding="utf-8")
    assert "pooling needs at least 2 studies" in page


def test_an_outcome_without_data_renders_and_says_so(batch):
    page = (batch["out"] / "meta_no_data.html").read_text(encoding="utf-8")
    assert "no study reports responder" in page


def test_index_links_every_report_with_its_headline(batch):
    index = (batch["out"] / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert sorted(links) == sorted(f"{n}.html" for n, _, _ in FIXTURE_REPORTS)
    assert "Complete abstinence: RR 1.77" in index


def test_reports_load_nothing_from_the_network(batch):
    for page in batch["out"].glob("*.html"):
        html = page.read_text(encoding="utf-8")
        external = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(?:https?:)?//[^"]*"', html)
        assert not external, (page.name, external[:3])


def test_no_machine_paths_in_outputs(batch):
    for page in batch["out"].glob("*.html"):
        assert str(batch["root"]) not in page.read_text(encoding="utf-8")


def notebooks_failing_late(folder: Path) -> Path:
    """Copies of the notebooks whose meta-analysis fails after it has drawn every figure (with other data)."""
    import nbformat

    folder.mkdir()
    for path in config_notebooks().glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        if path.name == "meta_analysis.ipynb":
            nb.cells.append(nbformat.v4.new_code_cell('raise RuntimeError("late failure")'))
        nbformat.write(nb, folder / path.name)
    return folder


def config_notebooks() -> Path:
    from baclofen_evidence import config

    return config.NOTEBOOKS_DIR


def test_failing_report_keeps_the_previous_html_and_figures_and_others_still_render(batch, tmp_path):
    # A copy of the batch's output: the claims report is rewritten here from other data, and later tests compare
    # the batch's own output with fresh renders of the batch's data.
    out, figs = tmp_path / "out", tmp_path / "figs"
    shutil.copytree(batch["out"], out)
    shutil.copytree(batch["figs"], figs)
    before = (out / "meta.html").read_bytes()
    figures_before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (figs / "meta").iterdir()}
    other = copy_package(tmp_path / "data")  # different numbers, so rewritten figures would differ
    set_cell(other / "outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "abstinence"}, "events", "5")
    set_cell(other / "outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "abstinence"}, "percent", "25")
    config = write_reports_yml(tmp_path / "reports.yml", other,
                               [("meta", "meta_analysis.ipynb", {"outcome": "abstinence"}), ("claims", "claims.ipynb", {})])
    outcomes = {o.name: o for o in render.render_all(jobs=1, reports_path=config, reports_dir=out, figures_dir=figs,
                                                     notebooks_dir=notebooks_failing_late(tmp_path / "notebooks"))}
    assert not outcomes["meta"].ok and outcomes["claims"].ok
    assert "RuntimeError: late failure" in outcomes["meta"].error
    assert (out / "meta.html").read_bytes() == before
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (figs / "meta").iterdir()}
    assert after == figures_before  # not rewritten, not even with the same bytes
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert not [p for p in figs.iterdir() if p.name.startswith(".")]  # no staging folder left behind
    text, code = render.summary(list(outcomes.values()))
    assert code == 1 and "FAILED meta" in text


def test_a_bad_parameter_value_is_refused_by_name_before_any_kernel(batch, tmp_path):
    config = write_reports_yml(tmp_path / "reports.yml", batch["data"],
                               [("meta", "meta_analysis.ipynb", {"exclude": ["nosuch2000"]}), ("claims", "claims.ipynb", {})])
    with pytest.raises(ParameterError, match="meta: exclude: no such study: nosuch2000"):
        render.render_all(jobs=1, reports_path=config, reports_dir=tmp_path / "o", figures_dir=tmp_path / "f")
    assert not (tmp_path / "o").exists()


def test_a_killed_render_leaves_the_last_good_report_and_no_partial_file(batch):
    before = {p.name: p.read_bytes() for p in batch["out"].glob("*.html")}
    script = textwrap.dedent(f"""
        from pathlib import Path
        from baclofen_evidence import render
        render.render_all(jobs=1, reports_path=Path({str(batch['config'])!r}),
                          reports_dir=Path({str(batch['out'])!r}), figures_dir=Path({str(batch['figs'])!r}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    time.sleep(6)  # mid-batch: the kernel is up and working through the reports
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after = {p.name: p.read_bytes() for p in batch["out"].glob("*.html")}
    assert set(after) == set(before)
    assert all(after[n] == before[n] for n in before)  # same inputs: whatever was rewritten is identical
    assert not [p for p in batch["out"].iterdir() if p.name.startswith(".")]


def test_rendering_twice_gives_identical_bytes(batch, tmp_path):
    out, figs = tmp_path / "reports", tmp_path / "figures"
    entries = [e for e in FIXTURE_REPORTS if e[0] in ("meta", "claims")]
    config = write_reports_yml(tmp_path / "reports.yml", batch["data"], entries)
    outcomes = render.render_all(jobs=1, reports_path=config, reports_dir=out, figures_dir=figs)
    assert all(o.ok for o in outcomes)
    for name, _, _ in entries:
        assert (out / f"{name}.html").read_bytes() == (batch["out"] / f"{name}.html").read_bytes()
        for fig in (figs / name).iterdir():
            assert fig.read_bytes() == (batch["figs"] / name / fig.name).read_bytes(), fig.name


# Markup in the data showing as text, never running: tests/test_html_safety.py (every free-text place, in Chromium).


def test_parameter_checks_happen_before_any_kernel(tmp_path, monkeypatch):
    config = write_reports_yml(tmp_path / "reports.yml", tmp_path, [("m", "meta_analysis.ipynb", {"outcom": "relapse", "hksj": "yes"})])

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started for parameters the check should have refused")

    monkeypatch.setattr(render.KernelSession, "_start", no_kernel)
    with pytest.raises(ParameterError) as err:
        render.render_all(jobs=1, reports_path=config, reports_dir=tmp_path / "o", figures_dir=tmp_path / "f")
    assert "outcom: unknown parameter" in str(err.value) and "hksj: expected bool, got str 'yes'" in str(err.value)


def test_bad_data_stops_the_batch_before_rendering_with_file_row_column(tmp_path):
    data = copy_package(tmp_path / "data")
    set_cell(data / "arms.csv", {"arm_id": "alpha2001_pbo"}, "dose_mg_day", "30")
    config = write_reports_yml(tmp_path / "reports.yml", data, [("m", "meta_analysis.ipynb", {})])
    from baclofen_evidence.datapackage import DataError

    with pytest.raises(DataError) as err:
        render.render_all(reports_path=config, reports_dir=tmp_path / "o", figures_dir=tmp_path / "f")
    assert "arms.csv:3:dose_mg_day" in str(err.value)
    assert not (tmp_path / "o").exists()


def test_reports_yml_errors_are_named(tmp_path):
    bad = tmp_path / "reports.yml"
    bad.write_text("reports:\n  - name: a\n    notebook: x.ipynb\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="reports.yml:2: title must be a non-empty string"):
        render.load_reports(bad)


@pytest.mark.parametrize("value,words", [(-5.0, "must be a number of at least 0, not -5.0"),
                                         (float("nan"), "nan is not a finite number"),
                                         (float("inf"), "inf is not a finite number")])
def test_a_bad_dose_threshold_is_refused_by_name(batch, tmp_path, value, words):
    config = write_reports_yml(tmp_path / "reports.yml", batch["data"], [("neg", "meta_analysis.ipynb", {"dose_threshold": value})])
    with pytest.raises(ParameterError) as err:
        render.render_all(jobs=1, reports_path=config, reports_dir=tmp_path / "o", figures_dir=tmp_path / "f")
    assert f"neg: dose_threshold: {words}" in str(err.value)
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- pages that identify themselves


def test_every_page_links_back_and_names_its_title_data_version_and_commit(batch):
    from baclofen_evidence.page_identity import code_commit

    import html

    from baclofen_evidence.datapackage import load
    from baclofen_evidence.report_parameters import report_class

    commit = code_commit()
    ev = load(batch["data"])
    for name, notebook, params in FIXTURE_REPORTS:
        page = (batch["out"] / f"{name}.html").read_text(encoding="utf-8")
        # Each notebook publishes its own title, made from its parameters; it wins over the reports.yml title.
        title = report_class(notebook).title_for(params, ev)
        assert title != f"Fixture {name}" and f"<title>{html.escape(title, quote=False)}</title>" in page
        assert f'<h1 class="be-page-heading">Fixture {name}</h1>' not in page
        assert '<a href="index.html">' in page
        assert f"Data package version 0.2.0 · code commit <code>{commit}</code>" in page
    index = (batch["out"] / "index.html").read_text(encoding="utf-8")
    assert f"Data package version 0.2.0 · code commit <code>{commit}</code>" in index


def test_a_published_title_names_the_page_and_is_inert():
    import nbformat

    from baclofen_evidence.headline import TITLE_KEY
    from baclofen_evidence.html_export import published_title, to_html
    from baclofen_evidence.page_identity import PageIdentity

    title = "Meta-analysis: dropout <script>alert(1)</script>"
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
        "display_data", data={TITLE_KEY: {"title": title}, "text/markdown": "# Meta-analysis: dropout"})]))
    assert published_title(nb) == title
    page = to_html(nb, "Fallback from reports.yml", PageIdentity("9.9.9", "abc1234 + local changes"))
    assert "<title>Meta-analysis: dropout &lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert "Fallback from reports.yml" not in page and "<h1 class=\"be-page-heading\">" not in page
    assert "Data package version 9.9.9 · code commit <code>abc1234 + local changes</code>" in page


def test_the_index_template_escapes_what_it_is_given():
    from baclofen_evidence.index_page import IndexRow, index_html
    from baclofen_evidence.page_identity import PageIdentity

    row = IndexRow("a", "<b>t</b>", "<img src=x onerror=alert(1)>", "RR <1", exists=True, failed=True)
    page = index_html([row], PageIdentity("1<2", "unknown"))
    assert "&lt;b&gt;t&lt;/b&gt;" in page and "&lt;img src=x" in page and "RR &lt;1" in page and "1&lt;2" in page
    assert '<a href="a.html">' in page and "last render failed" in page


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout.strip()


def test_the_commit_says_unknown_outside_git_and_names_local_changes(tmp_path):
    from baclofen_evidence.page_identity import code_commit

    assert code_commit(tmp_path) == "unknown"
    for folder in ("src", "reports"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text("one\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "x")
    head = _git(tmp_path, "rev-parse", "--short", "HEAD")
    assert code_commit(tmp_path) == head
    (tmp_path / "reports" / "a.txt").write_text("output changes do not count\n")
    assert code_commit(tmp_path) == head
    (tmp_path / "src" / "a.txt").write_text("two\n")
    assert code_commit(tmp_path) == f"{head} + local changes"


def test_report_files_are_readable_by_group_and_others(batch):
    import stat

    mask = os.umask(0o022)
    os.umask(mask)
    files = [p for p in list(batch["out"].iterdir()) + list(batch["figs"].rglob("*")) if p.is_file()]
    assert {p.suffix for p in files} >= {".html", ".ipynb", ".png", ".svg"}
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert set(modes.values()) == {oct(0o666 & ~mask)}, modes


# ---------------------------------------------------------------- variants


@pytest.mark.parametrize("overrides,expected", [
    ({"outcome": "dropout"}, "meta--outcome-dropout"),
    ({"exclude": ["a2001", "b2002"], "hksj": True}, "meta--exclude-a2001-b2002_hksj-true"),
    ({"data_dir": "../../etc/x y"}, "meta--data_dir-etc-x-y"),
])
def test_variant_names_are_plain_file_names(overrides, expected):
    assert render.variant_name("meta", overrides) == expected


def test_a_long_variant_name_is_cut_and_stays_unique():
    a = render.variant_name("meta", {"exclude": [f"study{i}" for i in range(40)]})
    b = render.variant_name("meta", {"exclude": [f"study{i}" for i in range(41)]})
    assert len(a) <= render.MAX_NAME and len(b) <= render.MAX_NAME and a != b
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", a)


def test_a_variant_never_replaces_the_canonical_report_or_the_index(batch, tmp_path):
    out, figs = tmp_path / "out", tmp_path / "figs"
    shutil.copytree(batch["out"], out)
    shutil.copytree(batch["figs"], figs)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    figures_before = {p.relative_to(figs): p.read_bytes() for p in figs.rglob("*") if p.is_file()}
    (o,) = render.render_all(only=["meta"], jobs=1, overrides={"outcome": "dropout"}, reports_path=batch["config"],
                             reports_dir=out, figures_dir=figs)
    assert o.ok, o.error
    assert o.html == out / "meta--outcome-dropout.html" and o.html.is_file()
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name in before} == before  # index.html and meta.html too
    assert {p.relative_to(figs): p.read_bytes() for p in figs.rglob("*") if p.is_file() and p.relative_to(figs) in figures_before} == figures_before
    assert (figs / "meta--outcome-dropout" / "forest.png").is_file()
    text, code = render.summary([o], variant=True)
    assert code == 0 and str(o.html) in text and "canonical reports and the index are unchanged" in text


def test_a_render_into_an_output_folder_leaves_reports_alone(batch, tmp_path):
    before = {p.name: p.read_bytes() for p in batch["out"].iterdir()}
    (o,) = render.render_all(only=["claims"], jobs=1, overrides={"source": "000_0000000000000000"},
                             reports_path=batch["config"], reports_dir=batch["out"], figures_dir=batch["figs"],
                             output=tmp_path / "elsewhere")
    assert o.ok, o.error
    assert o.html == tmp_path / "elsewhere" / "claims.html"
    index = (tmp_path / "elsewhere" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]+)"', index) == ["claims.html"]
    assert {p.name: p.read_bytes() for p in batch["out"].iterdir()} == before
