"""The command line as a user scripts it: JSON keys, exit codes, errors that name the culprit."""

import argparse
import json
import math
import re
import subprocess
import sys
from importlib import metadata

import pytest

from baclofen_evidence import config
from baclofen_evidence.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_exits_0_on_the_shipped_data(capsys):
    code, out, err = run(capsys, "validate")
    assert code == 0 and out == "" and "data package valid" in err


def test_studies_json_has_the_promised_keys(capsys):
    code, out, _ = run(capsys, "studies", "--format", "json")
    studies = json.loads(out)
    keys = {"study_id", "label", "year", "design", "country", "n_randomized", "duration_weeks", "dose_max_mg_day",
            "dose_mean_mg_day", "arms", "direction", "doi", "pmid", "registration", "mentioned_by"}
    assert code == 0 and all(keys <= set(s) for s in studies)
    bacloville = next(s for s in studies if s["study_id"] == "rigal2020")
    assert bacloville["n_randomized"] == 320 and bacloville["dose_max_mg_day"] == 300
    assert {a["n"] for a in bacloville["arms"]} == {162, 158}
    assert bacloville["mentioned_by"] == ["000_efbb4b41e9eac7a2"]


def test_studies_table_and_csv(capsys):
    assert run(capsys, "studies")[0] == 0
    code, out, _ = run(capsys, "studies", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("study_id,label")


def test_meta_json(capsys):
    code, out, _ = run(capsys, "meta", "--outcome", "abstinence", "--measure", "RR", "--method", "DL", "--hksj", "--format", "json")
    r = json.loads(out)
    for key in ("outcome", "measure", "method", "hksj", "k", "n_participants", "estimate", "ci_low", "ci_high", "pi_low",
                "pi_high", "tau2", "i2", "q", "q_p", "studies", "estimate_exp", "ci_low_exp", "ci_high_exp"):
        assert key in r
    assert code == 0 and r["hksj"] is True and r["k"] == len(r["studies"]) >= 5
    assert {"study_id", "yi", "vi", "weight", "effect", "ci_low", "ci_high", "route", "conversion"} <= set(r["studies"][0])
    assert sum(s["weight"] for s in r["studies"]) == pytest.approx(100)
    routes = {s["study_id"]: s["route"] for s in r["studies"]}
    assert routes["addolorato2007"] == "arm_level" and routes["reynaud2017"] == "converted"
    alpadir = next(s for s in r["studies"] if s["study_id"] == "reynaud2017")
    assert "OR 1.2 (0.58 to 2.5)" in alpadir["conversion"] and "Zhang & Yu 1998" in alpadir["conversion"]
    assert alpadir["effect"] == pytest.approx(math.exp(alpadir["yi"]))
    assert {"trials", "participants", "reference_trials", "reference_randomized", "share"} <= set(r["coverage"])


def test_overview_synthesis_covers_most_of_the_randomized_evidence(capsys):
    """The issue's bar: at least 9 placebo-controlled RCTs and 70% of their randomized participants."""
    code, out, _ = run(capsys, "meta", "--outcome", "primary_drinking", "--format", "json")
    r = json.loads(out)
    assert code == 0 and r["measure"] == "SMD" and r["k"] >= 9
    assert r["coverage"]["trials"] >= 9 and r["coverage"]["share"] >= 0.70
    assert {s["route"] for s in r["studies"]} == {"converted", "reported_estimate"}
    assert all(s["conversion"] for s in r["studies"])
    code, out, _ = run(capsys, "meta", "--outcome", "primary_drinking", "--drop-weak", "--format", "json")
    weak_free = json.loads(out)
    assert weak_free["k"] < r["k"] and not any(s["weak"] for s in weak_free["studies"])


def test_dropout_pools_at_least_six_trials(capsys):
    code, out, _ = run(capsys, "meta", "--outcome", "dropout", "--format", "json")
    assert code == 0 and json.loads(out)["k"] >= 6


def test_meta_json_is_strict_json_even_when_nothing_is_pooled(capsys):
    code, out, _ = run(capsys, "meta", "--outcome", "responder", "--format", "json")
    assert code == 0 and "NaN" not in out and json.loads(out)["estimate"] is None


def test_meta_with_exclusion_and_dose_band(capsys):
    code, out, _ = run(capsys, "meta", "--outcome", "abstinence", "--exclude", "hauser2017", "--dose-band", "low", "--format", "json")
    r = json.loads(out)
    assert code == 0 and {s["study_id"] for s in r["studies"]} == {"addolorato2002", "addolorato2007"}
    assert r["dose_max"] == 80 and r["dose_above"] is None  # low = at or below the threshold, as in the notebook


def test_meta_dose_band_means_what_the_notebook_means(capsys):
    """The CLI and the report select the same arms for the same dose_band and dose_threshold."""
    from baclofen_evidence.sections.meta_analysis import MetaAnalysisReport

    for band in ("low", "high"):
        code, out, _ = run(capsys, "meta", "--outcome", "abstinence", "--dose-band", band, "--dose-threshold", "80", "--format", "json")
        report = MetaAnalysisReport(outcome="abstinence", dose_band=band, dose_threshold=80, figures_dir="unused")
        assert code == 0 and [s["study_id"] for s in json.loads(out)["studies"]] == list(report.ma.studies["study_id"])


def test_meta_options_come_from_the_report_declaration(capsys):
    from baclofen_evidence.cli import build_parser
    from baclofen_evidence.sections.meta_analysis import MetaAnalysisReport

    meta = build_parser()._subparsers._group_actions[0].choices["meta"]
    method = next(a for a in meta._actions if a.dest == "method")
    declared = MetaAnalysisReport.declared()["method"]
    assert method.metavar == "{" + ",".join(declared.choices) + "}" and method.default == declared.default
    assert declared.help in method.help
    assert {a.dest for a in meta._actions} >= {n for n, d in MetaAnalysisReport.declared().items() if d.cli}
    assert "--dose-min" not in meta.format_help()
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["meta", "--method", "reml"])
    assert exit_.value.code == 2 and "method: 'reml' is not one of FE, MH, DL, REML, PM (did you mean REML?)" in capsys.readouterr().err


@pytest.mark.parametrize("argv,words", [
    (["meta", "--outcome", "relapses"], "outcome: 'relapses' is not an outcome"),
    (["meta", "--outcome", "abstinence", "--measure", "MD"], "measure: 'MD' does not fit"),
    (["meta", "--outcome", "abstinence", "--exclude", "nosuch2000"], "exclude: no such study: nosuch2000"),
    (["meta", "--outcome", "abstinence", "--dose-band", "high", "--dose-threshold", "-5"],
     "dose_threshold: must be a number of at least 0"),
    (["meta", "--outcome", "abstinence", "--exclude", "reynaud2071"], "no such study: reynaud2071 (did you mean reynaud2017?)"),
    (["meta", "--outcome", "abstinense"], "(did you mean abstinence?)"),
    (["costs", "--currency", "XYZ"], "currency: 'XYZ' is not one of"),
    (["claims", "--source", "nope"], "source: 'nope' is not a source; give a short id or a full source_id: 000 (Windward Way Recovery); 001"),
])
def test_bad_parameters_name_themselves_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and words in err and "Traceback" not in err


def test_meta_with_too_few_trials_says_so(capsys):
    code, out, _ = run(capsys, "meta", "--outcome", "abstinence", "--dose-band", "high", "--dose-threshold", "200", "--format", "json")
    r = json.loads(out)
    assert code == 0 and r["estimate"] is None and "at least 2 studies" in r["reason_not_pooled"]


def test_claims_and_costs_json(capsys):
    code, out, _ = run(capsys, "claims", "--format", "json")
    claims = json.loads(out)
    assert code == 0 and {"claim_id", "source_id", "study_id", "verdict", "evidence"} <= set(claims[0])
    code, out, _ = run(capsys, "costs", "--format", "json")
    costs = json.loads(out)
    assert code == 0 and {"study_id", "drug_cost_low", "drug_cost_high", "trial_budget_per_patient", "currency"} <= set(costs[0])
    bacloville = next(c for c in costs if c["study_id"] == "rigal2020")
    assert bacloville["budget_basis"] == "trial budget" and bacloville["currency"] == "USD"


def test_costs_in_euros_shows_no_other_currency(capsys):
    code, out, _ = run(capsys, "costs", "--currency", "EUR", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and {r["currency"] for r in rows} == {"EUR"}
    garbutt = next(r for r in rows if r["study_id"] == "garbutt2010")  # a USD grant of 2006: no rate, so no amount
    assert garbutt["trial_budget_per_patient"] is None and "no USD->EUR rate for 2006" in garbutt["notes"]
    code, out, _ = run(capsys, "costs", "--currency", "EUR")
    assert code == 0 and " GBP" not in out and " USD " not in out


def test_installed_console_script_and_module_agree():
    a = subprocess.run([sys.executable, "-m", "baclofen_evidence", "validate"], capture_output=True, text=True)
    b = subprocess.run([str(__import__("pathlib").Path(sys.executable).parent / "baclofen-evidence"), "validate"],
                       capture_output=True, text=True)
    assert a.returncode == b.returncode == 0


def test_render_refuses_a_parameter_typo_before_any_kernel_starts(capsys):
    code, out, err = run(capsys, "render", "--only", "meta_abstinence", "--param", "outcom=relapse")
    assert code == 2 and "outcom: unknown parameter of meta_analysis.ipynb" in err and "outcome" in err


def test_render_refuses_a_wrong_type(capsys):
    code, out, err = run(capsys, "render", "--only", "meta_abstinence", "--param", "dose_threshold=high")
    assert code == 2 and "dose_threshold: expected float, got str 'high'" in err


def test_render_refuses_an_unknown_report(capsys):
    code, out, err = run(capsys, "render", "--only", "nosuch")
    assert code == 2 and "--only: no report named nosuch" in err



# ---------------------------------------------------------------- version, lists, exit codes, strict JSON


def test_version_names_the_code_and_the_data_package(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    out = capsys.readouterr().out
    descriptor = json.loads((config.DATA_DIR / config.DATAPACKAGE).read_text(encoding="utf-8"))
    assert done.value.code == 0
    assert out.strip() == f"baclofen-evidence {metadata.version('baclofen-evidence')} (data package {descriptor['version']})"


def test_help_states_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "exit status:" in out and "1  the data or the analysis failed" in out and "2  the command line is wrong" in out


def test_usage_errors_exit_2_and_data_errors_exit_1(capsys, tmp_path):
    with pytest.raises(SystemExit) as done:
        main(["meta", "--nosuch-option"])
    assert done.value.code == 2
    assert run(capsys, "meta", "--outcome", "relapses")[0] == 2
    assert run(capsys, "validate", "--data", str(tmp_path / "nowhere"))[0] == 1  # the data are missing
    assert run(capsys, "studies", "--data", str(tmp_path))[0] == 1  # a folder without a data package


def test_list_outcomes_counts_the_trials_each_analysis_can_use(json_outputs):
    outcomes = {o["outcome"]: o for o in json_outputs["list outcomes"]}
    assert outcomes["dropout"]["label"] == "Dropout" and outcomes["dropout"]["trials"] >= 6
    assert outcomes["primary_drinking"]["trials"] >= 9 and outcomes["primary_drinking"]["placebo_controlled_rcts"] >= 9
    assert outcomes["pct_heavy_drinking_days"]["trials_as_smd"] >= outcomes["pct_heavy_drinking_days"]["trials"]
    assert outcomes["abstinence"]["trials_as_smd"] is None  # binary: no SMD column


def test_list_sources_gives_short_ids_that_claims_accepts(capsys, json_outputs):
    sources = json_outputs["list sources"]
    assert [s["short_id"] for s in sources] == ["000", "001", "002", "003", "004"]
    assert sources[0]["outlet"] == "Windward Way Recovery"
    every = json_outputs["claims"]
    code, out, _ = run(capsys, "claims", "--source", "001", "--format", "json")
    assert code == 0 and json.loads(out) == [c for c in every if c["source_id"] == sources[1]["source_id"]] != []


def test_list_reports_and_studies(json_outputs):
    from baclofen_evidence.reports_config import load_reports

    reports = json_outputs["list reports"]
    assert [r["name"] for r in reports] == [r.name for r in load_reports()]
    assert {"name", "notebook", "title", "parameters"} <= set(reports[0])
    assert json_outputs["list studies"] == json_outputs["studies"]


def test_meta_table_shows_each_trial_on_the_reporting_scale_with_its_interval(capsys):
    code, out, _ = run(capsys, "meta", "--outcome", "abstinence")
    assert code == 0 and "RR (95% CI)" in out and "0.0000" not in out
    assert re.search(r"addolorato2007 +\d\.\d\d \(95% CI \d\.\d\d to \d\.\d\d\)", out)


JSON_COMMANDS = {
    "studies": ["studies"], "meta": ["meta", "--outcome", "responder"], "claims": ["claims"], "costs": ["costs"],
    "tsa": ["tsa", "--outcome", "dropout"], "gosh": ["gosh", "--outcome", "abstinence"],
    "list outcomes": ["list", "outcomes"], "list sources": ["list", "sources"], "list studies": ["list", "studies"],
    "list reports": ["list", "reports"],
}
ELSEWHERE = {"multiverse"}  # tests/test_multiverse.py parses its JSON as strictly


def _refuse(name):
    raise ValueError(f"{name} is not strict JSON")


def commands_with_json() -> set[str]:
    """Every command, and every list subcommand, that offers --format json."""
    from baclofen_evidence.cli import build_parser

    found = set()

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, f"{prefix} {name}".strip())
            elif "--format" in action.option_strings and "json" in action.choices:
                found.add(prefix)

    walk(build_parser(), "")
    return found


@pytest.fixture(scope="module")
def json_outputs() -> dict:
    """Every command's --format json output, run once and parsed strictly (no NaN or Infinity)."""
    import contextlib
    import io

    outputs = {}
    for name, argv in JSON_COMMANDS.items():
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, "--format", "json"])
        assert code == 0, (name, err.getvalue())
        outputs[name] = json.loads(out.getvalue(), parse_constant=_refuse)
    return outputs


def test_every_json_output_is_strict_json(json_outputs):
    assert commands_with_json() == set(JSON_COMMANDS) | ELSEWHERE
    assert set(json_outputs) == set(JSON_COMMANDS)


def test_terminal_tables_print_years_without_separators_and_no_zero_p(capsys):
    code, out, _ = run(capsys, "tsa", "--outcome", "abstinence")
    assert code == 0 and "2,0" not in out and "1,9" not in out and "0.0000" not in out
    code, out, _ = run(capsys, "meta", "--outcome", "abstinence")
    assert code == 0 and "0.0000" not in out and "p = " in out
