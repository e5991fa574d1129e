"""The command line as a user scripts it: JSON keys, exit codes, errors that name the culprit."""

import json
import math
import subprocess
import sys

import pytest

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
    (["claims", "--source", "nope"], "source: 'nope' is not a source id"),
])
def test_bad_parameters_name_themselves(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 1 and words in err and "Traceback" not in err


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
    assert code == 0 and {"study_id", "cost_per_patient", "currency", "price_year", "basis"} <= set(costs[0])
    bacloville = next(c for c in costs if c["study_id"] == "rigal2020")
    assert bacloville["basis"] == "trial budget" and bacloville["currency"] == "USD"


def test_installed_console_script_and_module_agree():
    a = subprocess.run([sys.executable, "-m", "baclofen_evidence", "validate"], capture_output=True, text=True)
    b = subprocess.run([str(__import__("pathlib").Path(sys.executable).parent / "baclofen-evidence"), "validate"],
                       capture_output=True, text=True)
    assert a.returncode == b.returncode == 0


def test_render_refuses_a_parameter_typo_before_any_kernel_starts(capsys):
    code, out, err = run(capsys, "render", "--only", "meta_abstinence", "--param", "outcom=relapse")
    assert code == 1 and "outcom: unknown parameter of meta_analysis.ipynb" in err and "outcome" in err


def test_render_refuses_a_wrong_type(capsys):
    code, out, err = run(capsys, "render", "--only", "meta_abstinence", "--param", "dose_threshold=high")
    assert code == 1 and "dose_threshold: expected float, got str 'high'" in err


def test_render_refuses_an_unknown_report(capsys):
    code, out, err = run(capsys, "render", "--only", "nosuch")
    assert code == 1 and "--only: no report named nosuch" in err
