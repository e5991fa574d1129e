"""One declaration per report parameter: the notebook cells, the reference, the checks and the CLI all come from it.

Everything here runs without a kernel: a refusal must come before any kernel starts.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import nbformat
import pytest

from baclofen_evidence import config, render
from baclofen_evidence import report_parameters as rp
from baclofen_evidence.parameters import ParameterError
from tests.conftest import copy_package
from tests.test_render import write_reports_yml

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
META = config.NOTEBOOKS_DIR / "meta_analysis.ipynb"


def code_cells(path: Path) -> list:
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_parameters_cell_is_the_generated_one(path):
    cls = rp.report_class(path)
    cells = code_cells(path)
    hint = "run `python -m baclofen_evidence notebook-parameters`"
    assert cells[0].source == rp.parameters_cell(cls), hint
    assert cells[1].source == rp.construction_cell(cls), hint
    assert cls.__name__ != "Report" and cls.__name__.endswith("Report")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_parameters_cell_declares_what_the_class_declares(path):
    """Executing the generated cell gives exactly the declared names and defaults, with the choices in comments."""
    namespace: dict = {}
    exec(code_cells(path)[0].source, namespace)
    declared = rp.declared_parameters(path)
    assert {k: v for k, v in namespace.items() if not k.startswith("__")} == {n: d.default for n, d in declared.items()}
    for d in declared.values():
        assert d.help, f"{d.name} has no help"
        line = rp.parameter_line(d)
        assert (d.choices is None) or ("one of: " + ", ".join(map(str, d.choices))) in line


def test_the_reference_in_notebooks_readme_is_up_to_date():
    readme = config.NOTEBOOKS_DIR / rp.README
    assert readme.read_text(encoding="utf-8") == rp.reference_markdown(NOTEBOOKS), \
        "notebooks/README.md is stale: run `python -m baclofen_evidence notebook-parameters`"
    text = readme.read_text(encoding="utf-8")
    assert "| `dose_band` (CLI) | `str` | `\"all\"` | all, low, high |" in text
    assert "notebooks/README.md" in (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_the_generator_rewrites_a_stale_cell(tmp_path):
    nb = nbformat.read(META, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[0].source = 'outcome: str = "relapse"'
    path = tmp_path / "meta_analysis.ipynb"
    nbformat.write(nb, path)
    assert rp.write_notebook_cells(path) is True
    assert code_cells(path)[0].source == rp.parameters_cell(rp.report_class(path))
    assert rp.write_notebook_cells(path) is False


def test_from_namespace_takes_the_declared_names_only():
    from baclofen_evidence.sections.claims import ClaimsReport

    seen = {}

    class Probe(ClaimsReport):
        def __post_init__(self):
            seen.update(self.parameter_values())

    Probe.from_namespace({"source": "x", "data_dir": None, "figures_dir": "f", "In": [], "other": 1})
    assert seen == {"source": "x", "data_dir": None, "figures_dir": "f"}


def test_list_parameters_get_a_fresh_default_each_time():
    from baclofen_evidence.sections.meta_analysis import MetaAnalysisReport

    field = next(f for f in dataclasses.fields(MetaAnalysisReport) if f.name == "exclude")
    assert field.default_factory() == [] and field.default_factory() is not field.default_factory()


@pytest.mark.parametrize("given,words", [
    ({"method": "reml"}, "method: 'reml' is not one of FE, MH, DL, REML, PM (did you mean REML?)"),
    ({"dose_band": "hihg"}, "dose_band: 'hihg' is not one of all, low, high (did you mean high?)"),
    ({"exclude": "alpha2001,beta2010"}, "exclude: expected a list, got the text 'alpha2001,beta2010'; write it as a list: "
                                        "exclude=[alpha2001, beta2010] with --param (YAML), exclude = ['alpha2001', 'beta2010'] "
                                        "in the notebook"),
    ({"outcome": ["abstinence"]}, "outcome: expected one value (str), got a list ['abstinence']; write it without brackets: "
                                  "outcome=abstinence with --param, outcome = 'abstinence' in the notebook"),
    ({"outcom": "relapse"}, "outcom: unknown parameter of meta_analysis.ipynb (did you mean outcome?)"),
    ({"hksj": "yes"}, "hksj: expected bool, got str 'yes'"),
])
def test_the_type_check_says_what_is_wrong_and_how_to_write_it(given, words):
    with pytest.raises(ParameterError) as err:
        rp.check_parameters(META, given)
    assert words in str(err.value)


def test_a_yaml_list_from_the_command_line_is_accepted():
    assert rp.check_parameters(META, {"exclude": rp.coerce_cli_value("[alpha2001, beta2010]")}) == \
        {"exclude": ["alpha2001", "beta2010"]}


@pytest.mark.parametrize("notebook,given,words", [
    ("meta_analysis", {"exclude": ["alpha2010"]}, "m: exclude: no such study: alpha2010 (did you mean alpha2001?)"),
    ("meta_analysis", {"outcome": "abstinance"},
     "m: outcome: 'abstinance' is not an outcome of this data package (did you mean abstinence?)"),
    ("meta_analysis", {"method": "reml"}, "m: method: 'reml' is not one of FE, MH, DL, REML, PM (did you mean REML?)"),
    ("dose_response", {"exclude": ["gama2015"]}, "m: exclude: no such study: gama2015 (did you mean gamma2015?)"),
    ("tsa", {"outcome": "relapses"}, "m: outcome: 'relapses' is not one of relapse, abstinence"),
    ("evidence_map", {"currency": "usd"}, "m: currency: 'usd' is not one of EUR, USD, GBP, AUD, CAD (did you mean USD?)"),
])
def test_render_refuses_before_any_kernel_naming_the_parameter(tmp_path, monkeypatch, notebook, given, words):
    data = copy_package(tmp_path / "data")
    cfg = write_reports_yml(tmp_path / "reports.yml", data, [("m", f"{notebook}.ipynb", given)])

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started for parameters the check should have refused")

    monkeypatch.setattr(render.KernelSession, "_start", no_kernel)
    with pytest.raises(ParameterError) as err:
        render.render_all(jobs=1, reports_path=cfg, reports_dir=tmp_path / "o", figures_dir=tmp_path / "f")
    assert words in str(err.value)
    assert not (tmp_path / "o").exists()


def test_tsa_options_come_from_the_declaration():
    from baclofen_evidence.cli import build_parser
    from baclofen_evidence.sections.tsa import TsaReport

    args = build_parser().parse_args(["tsa", "--control-event-proportion", "0.4", "--method", "REML"])
    assert args.outcome == TsaReport.declared()["outcome"].default
    assert rp.from_arguments(TsaReport, args)["control_event_proportion"] == 0.4
    assert build_parser().parse_args(["tsa", "--control-proportion", "0.3"]).control_event_proportion == 0.3
    with pytest.raises(SystemExit):
        build_parser().parse_args(["tsa", "--outcome", "relapses"])


def test_a_value_typed_into_the_parameters_cell_is_refused_as_on_the_command_line():
    """JupyterLab users edit the cell by hand: the construction cell applies the same declared checks."""
    from baclofen_evidence.sections.meta_analysis import MetaAnalysisReport

    with pytest.raises(ParameterError, match=r"method: 'reml' is not one of FE, MH, DL, REML, PM \(did you mean REML\?\)"):
        MetaAnalysisReport.from_namespace({"method": "reml", "figures_dir": "unused"})
    with pytest.raises(ParameterError, match=r"exclude: expected a list, got the text 'a'; write it as a list: exclude=\[a\]"):
        MetaAnalysisReport.from_namespace({"exclude": "a"})


def test_the_claims_notebook_takes_a_short_source_id_as_the_command_line_does():
    from baclofen_evidence.datapackage import load
    from baclofen_evidence.sections.claims import ClaimsReport

    ev = load(config.DATA_DIR)
    full = next(s for s in ev.sources["source_id"] if s.startswith("001_"))
    assert ClaimsReport.title_for({"source": "001"}, ev) == ClaimsReport.title_for({"source": full}, ev)
    assert ClaimsReport(source="001").source == full
    with pytest.raises(ParameterError, match="001 \\(Recovery First\\)"):
        ClaimsReport(source="01")
