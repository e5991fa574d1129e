"""reports.yml written wrongly: each mistake named as reports.yml:LINE before any kernel starts."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from baclofen_evidence import render
from baclofen_evidence.cli import main
from baclofen_evidence.files import atomic_write
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.reports_config import load_reports

GOOD = """\
reports:
  - name: a
    notebook: claims.ipynb
    title: Claims
"""

CASES = [
    ("parameters-as-list", GOOD + "    parameters:\n      - outcome\n", "reports.yml:5: parameters must be a mapping"),
    ("empty-title", GOOD.replace("title: Claims", "title: ''"), "reports.yml:4: title must be a non-empty string"),
    ("unknown-notebook", GOOD.replace("claims.ipynb", "claim.ipynb"), "reports.yml:3: no notebook 'claim.ipynb' in notebooks/"),
    ("notebook-outside", GOOD.replace("claims.ipynb", "../secret.ipynb"), "reports.yml:3: notebook '../secret.ipynb' must be the file name"),
    ("duplicate-name", GOOD + GOOD.split("\n", 1)[1], "reports.yml:5: report name 'a' appears twice (first on line 2)"),
    ("name-with-slash", GOOD.replace("name: a", "name: ../../etc/x"), "reports.yml:2: name '../../etc/x' becomes a file name"),
    ("unknown-key", GOOD + "    parameter: {}\n", "reports.yml:5: unknown key 'parameter'"),
    ("entry-not-a-mapping", "reports:\n  - just a string\n", "reports.yml:2: each report must be a mapping"),
    ("no-reports-list", "report: []\n", "reports.yml:1: needs a top-level 'reports' list"),
    ("empty-reports-list", "reports: []\n", "reports.yml:1: the 'reports' list is empty"),
    ("bad-yaml", "reports:\n  - name: [a\n", "reports.yml:3: not valid YAML"),
    ("numeric-description", GOOD + "    description: 5\n", "reports.yml:5: description must be a string"),
]


@pytest.mark.parametrize("name,text,words", CASES, ids=[c[0] for c in CASES])
def test_reports_yml_mistakes_are_named_by_line(tmp_path: Path, name, text, words):
    path = tmp_path / "reports.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        load_reports(path)
    assert words in str(err.value), str(err.value)


def test_a_good_reports_yml_loads(tmp_path: Path):
    path = tmp_path / "reports.yml"
    path.write_text(GOOD + "    parameters: {source: null}\n", encoding="utf-8")
    (r,) = load_reports(path)
    assert (r.name, r.notebook, r.title, r.parameters) == ("a", "claims.ipynb", "Claims", {"source": None})


def test_the_shipped_reports_yml_loads():
    assert len(render.load_reports()) >= 5


def test_reports_yml_is_configuration_beside_the_notebooks_not_output():
    from baclofen_evidence import config

    assert config.REPORTS_CONFIG == config.NOTEBOOKS_DIR / "reports.yml" and config.REPORTS_CONFIG.is_file()
    assert not (config.REPORTS_DIR / "reports.yml").exists()


def test_a_broken_reports_yml_stops_render_before_any_kernel(tmp_path: Path, monkeypatch):
    path = tmp_path / "reports.yml"
    path.write_text(GOOD + "    parameters:\n      - outcome\n", encoding="utf-8")
    monkeypatch.setattr(render.KernelSession, "_start", lambda self: pytest.fail("a kernel was started"))
    with pytest.raises(ParameterError, match="reports.yml:5: parameters must be a mapping"):
        render.render_all(jobs=1, reports_path=path, reports_dir=tmp_path / "o", figures_dir=tmp_path / "f")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_outputs_follow_the_umask_not_0600(tmp_path: Path, umask):
    old = os.umask(umask)
    try:
        atomic_write(tmp_path / "r.html", b"<p>x</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.html").stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("argv,words", [
    (["render", "--param", "dose_threshold=.nan", "--only", "meta_abstinence"], "dose_threshold: nan is not a finite number"),
    (["render", "--param", "dose_threshold=.inf", "--only", "meta_abstinence"], "dose_threshold: inf is not a finite number"),
    (["render", "--param", "data_dir=", "--only", "meta_abstinence"], "--param data_dir=: the value is empty"),
    # Found by the fuzzer: these passed the pre-check and failed in the kernel.
    (["render", "--only", "evidence_map", "--param", "currency=XYZ"], "evidence_map: currency: 'XYZ' is not one of"),
    (["render", "--only", "evidence_map", "--param", "price_source=nosuch"], "evidence_map: price_source: 'nosuch' is not a drug price"),
    (["render", "--only", "evidence_map", "--param", "dose_threshold=-1"], "evidence_map: dose_threshold: must be a number of at least 0"),
])
def test_non_finite_and_empty_parameters_are_refused_by_name(capsys, argv, words):
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2 and words in err and "Traceback" not in err, err  # a usage error


def test_a_non_finite_option_is_a_usage_error_naming_it(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["meta", "--outcome", "abstinence", "--dose-threshold", "nan"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "dose_threshold: nan is not a finite number" in err and "Traceback" not in err


def test_relative_paths_mean_the_same_in_the_check_and_the_kernel(tmp_path: Path):
    from baclofen_evidence.precheck import absolute_paths

    params = absolute_paths({"data_dir": "copy/data", "figures_dir": "../figs", "outcome": "x"}, tmp_path / "here")
    # The kernel runs in notebooks/; a relative path handed over unchanged would name another folder there.
    assert params == {"data_dir": str(tmp_path / "here" / "copy" / "data"), "figures_dir": str(tmp_path / "figs"), "outcome": "x"}
    assert absolute_paths({"data_dir": "/abs/data"}, tmp_path) == {"data_dir": "/abs/data"}
    with pytest.raises(ParameterError, match="data_dir: empty"):
        absolute_paths({"data_dir": " "}, tmp_path)
