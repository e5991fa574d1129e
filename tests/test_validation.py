"""Each validation rule, tried on a copy of the fixture package broken in exactly one way.

Every case asserts the exact FILE:ROW:COLUMN the error must name, that `validate` exits 1,
and that no stack trace reaches the user.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from baclofen_evidence.cli import main
from baclofen_evidence.datapackage import load
from tests.conftest import edit_rows, read_rows, set_cell, write_rows


def run_validate(data: Path, capsys) -> tuple[int, list[str], str]:
    code = main(["validate", "--data", str(data)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def break_quoting(d: Path):
    text = (d / "studies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    text[2] = text[2].replace("Another fictional trial", '"Another fictional" trial', 1)
    (d / "studies.csv").write_text("".join(text), encoding="utf-8")


def unclosed_quote(d: Path):
    text = (d / "arms.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    text[3] = text[3].replace("Baclofen 30 mg/day", '"Baclofen 30 mg/day', 1)
    (d / "arms.csv").write_text("".join(text), encoding="utf-8")


def drop_column(d: Path):
    rows = read_rows(d / "costs.csv")
    names = [n for n in rows[0] if n != "currency"]
    write_rows(d / "costs.csv", [{k: r[k] for k in names} for r in rows], names)


def add_column(d: Path):
    rows = read_rows(d / "costs.csv")
    for r in rows:
        r["budget_note"] = "x"
    write_rows(d / "costs.csv", rows)


def duplicate_arm(d: Path):
    edit_rows(d / "arms.csv", lambda rows: rows.append(dict(rows[0])))


def not_utf8(d: Path):
    raw = (d / "references.csv").read_bytes().replace("Gamma G.".encode(), "Gamma G\xe9.".encode("latin-1"))
    (d / "references.csv").write_bytes(raw)


def empty_table(d: Path):
    lines = (d / "mentions.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (d / "mentions.csv").write_text(lines[0], encoding="utf-8")


def empty_file(d: Path):
    (d / "reviews.csv").write_text("", encoding="utf-8")


def missing_file(d: Path):
    (d / "claims.csv").unlink()


def bad_json(d: Path):
    text = (d / "datapackage.json").read_text(encoding="utf-8")
    (d / "datapackage.json").write_text(text.replace('"resources": [', '"resources": [,', 1), encoding="utf-8")


def cell(file: str, match: dict, column: str, value: str) -> Callable[[Path], None]:
    return lambda d: set_cell(d / file, match, column, value)


# (id, how to break the copy, expected "FILE:ROW:COLUMN", words the message must contain)
CASES = [
    ("broken-quoting", break_quoting, "studies.csv:3:-", "broken CSV quoting"),
    ("unclosed-quote", unclosed_quote, "arms.csv:4:-", "broken CSV quoting"),
    ("wrong-type", cell("arms.csv", {"arm_id": "beta2010_low"}, "n_randomized", "twenty"), "arms.csv:4:n_randomized", "not an integer"),
    ("wrong-type-number", cell("studies.csv", {"study_id": "gamma2015"}, "duration_weeks", "six months"), "studies.csv:4:duration_weeks", "not a number"),
    ("missing-column", drop_column, "costs.csv:1:currency", "required column is missing"),
    ("extra-column", add_column, "costs.csv:1:budget_note", "unknown column"),
    ("enum", cell("studies.csv", {"study_id": "alpha2001"}, "design", "rtc"), "studies.csv:2:design", "is not one of"),
    ("duplicate-key", duplicate_arm, "arms.csv:9:arm_id", "duplicate key"),
    ("fk-outcome-unknown-study", cell("outcomes.csv", {"arm_id": "gamma2015_bac", "outcome_id": "dropout"}, "study_id", "zeta2099"), "outcomes.csv:13:study_id", "points at nothing"),
    ("fk-claim-unknown-source", cell("claims.csv", {"claim_id": "test_count"}, "source_id", "999_ffffffffffffffff"), "claims.csv:4:source_id", "points at nothing"),
    ("fk-unknown-reference", cell("arms.csv", {"arm_id": "alpha2001_pbo"}, "ref_id", "pmid:999"), "arms.csv:3:ref_id", "points at nothing"),
    ("events-over-total", cell("outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "abstinence"}, "events", "21"), "outcomes.csv:2:events", "exceed the total"),
    ("zero-n", cell("arms.csv", {"arm_id": "gamma2015_pbo"}, "n_randomized", "0"), "arms.csv:8:n_randomized", "0 is below the minimum 1"),
    ("negative-n", cell("studies.csv", {"study_id": "alpha2001"}, "n_randomized", "-40"), "studies.csv:2:n_randomized", "-40 is below the minimum 1"),
    ("arms-do-not-add-up", cell("arms.csv", {"arm_id": "alpha2001_bac"}, "n_randomized", "19"), "studies.csv:2:n_randomized", "add up to 39"),
    ("min-dose-above-max", cell("studies.csv", {"study_id": "beta2010"}, "dose_min_mg_day", "120"), "studies.csv:3:dose_min_mg_day", "above the maximum dose"),
    ("percent-over-100", cell("outcomes.csv", {"arm_id": "beta2010_low", "outcome_id": "abstinence"}, "percent", "125"), "outcomes.csv:4:percent", "above the maximum 100"),
    ("percent-mean-over-100", cell("outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "pct_days_abstinent"}, "mean", "160.5"), "outcomes.csv:9:mean", "above 100"),
    ("percent-disagrees-with-events", cell("outcomes.csv", {"arm_id": "beta2010_high", "outcome_id": "abstinence"}, "percent", "50"), "outcomes.csv:5:percent", "does not match events/total"),
    ("placebo-with-dose", cell("arms.csv", {"arm_id": "alpha2001_pbo"}, "dose_mg_day", "30"), "arms.csv:3:dose_mg_day", "must have baclofen dose 0"),
    ("study-max-not-arm-max", cell("studies.csv", {"study_id": "gamma2015"}, "dose_max_mg_day", "180"), "studies.csv:4:dose_max_mg_day", "highest baclofen arm"),
    ("study-without-reference", cell("studies.csv", {"study_id": "gamma2015"}, "ref_id", ""), "studies.csv:4:ref_id", "required value is empty"),
    ("empty-number-without-reason", cell("studies.csv", {"study_id": "gamma2015"}, "duration_weeks", ""), "studies.csv:4:duration_weeks", "empty without a reason"),
    ("derived-without-derivation", cell("outcomes.csv", {"arm_id": "beta2010_pbo", "outcome_id": "abstinence"}, "derivation", ""), "outcomes.csv:6:derivation", "must say how"),
    ("binary-without-total", cell("outcomes.csv", {"arm_id": "gamma2015_pbo", "outcome_id": "dropout"}, "total", ""), "outcomes.csv:14:total", "events need their total"),
    ("outcome-arm-of-other-study", cell("outcomes.csv", {"arm_id": "gamma2015_pbo", "outcome_id": "dropout"}, "arm_id", "alpha2001_pbo"), "outcomes.csv:14:arm_id", "belongs to alpha2001"),
    ("rct-without-comparator-arm", cell("arms.csv", {"arm_id": "alpha2001_pbo"}, "role", "active_comparator"), "studies.csv:2:comparator", "no arm of alpha2001 has role placebo"),
    ("unknown-cross-check", cell("studies.csv", {"study_id": "beta2010"}, "checked_against", "pmid:3; pmid:404"), "studies.csv:3:checked_against", "'pmid:404' points at nothing"),
    ("provenance-unknown-row", cell("provenance.csv", {"row_key": "alpha2001"}, "row_key", "omega1999"), "provenance.csv:2:row_key", "no such row"),
    ("claim-missing-quantity", cell("claims.csv", {"claim_id": "test_gamma_n"}, "quantity", ""), "claims.csv:2:quantity", "needs quantity"),
    ("pattern", cell("references.csv", {"ref_id": "pmid:3"}, "doi", "doi.org/10.0000/gamma"), "references.csv:4:doi", "does not match the pattern"),
    ("not-utf8", not_utf8, "references.csv:4:-", "not valid UTF-8"),
    ("empty-table", empty_table, "mentions.csv:2:-", "empty table"),
    ("empty-file", empty_file, "reviews.csv:1:-", "empty file"),
    ("missing-file", missing_file, "claims.csv:-:-", "missing data file"),
    ("datapackage-not-json", bad_json, "datapackage.json:", "not valid JSON"),
    # study-level results (estimates.csv: row 2 beta2010 d, row 3 beta2010 MD, row 4 gamma2015 OR)
    ("estimate-outside-ci", cell("estimates.csv", {"estimate_id": "beta2010_pda_md"}, "estimate", "16"), "estimates.csv:3:estimate", "outside its CI"),
    ("ratio-not-positive", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "ci_low", "0"), "estimates.csv:4:ci_low", "must be above 0"),
    ("ci-reversed", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "ci_high", "0.5"), "estimates.csv:4:ci_high", "not above the lower limit"),
    ("ci-half", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "ci_high", ""), "estimates.csv:4:ci_high", "needs both limits"),
    ("se-zero", cell("estimates.csv", {"estimate_id": "beta2010_pda_md"}, "se", "0"), "estimates.csv:3:se", "SE must be above 0"),
    ("p-zero", cell("estimates.csv", {"estimate_id": "beta2010_pda_md"}, "p_value", "0"), "estimates.csv:3:p_value", "must be above 0"),
    ("p-above-one", cell("estimates.csv", {"estimate_id": "beta2010_pda_md"}, "p_value", "1.5"), "estimates.csv:3:p_value", "above the maximum 1"),
    ("p-without-relation", cell("estimates.csv", {"estimate_id": "beta2010_pda_md"}, "p_relation", ""), "estimates.csv:3:p_relation", "exact (=) or a bound"),
    ("df-zero", cell("estimates.csv", {"estimate_id": "beta2010_hdd_d"}, "df2", "0"), "estimates.csv:2:df2", "degrees of freedom must be above 0"),
    ("statistic-without-kind", cell("estimates.csv", {"estimate_id": "beta2010_hdd_d"}, "stat_kind", ""), "estimates.csv:2:stat_kind", "kind and its value"),
    ("n-above-randomized", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "n_treatment", "70"), "estimates.csv:4:n_treatment", "exceeds the 50 randomized"),
    ("n-analysed-not-sum", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "n_analysed", "90"), "estimates.csv:4:n_analysed", "is not n_treatment + n_control"),
    ("estimate-arm-of-other-study", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "control_arms", "alpha2001_pbo"), "estimates.csv:4:control_arms", "belongs to alpha2001"),
    ("estimate-unknown-arm", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "treatment_arms", "gamma2015_bac;gamma2015_x"), "estimates.csv:4:treatment_arms", "'gamma2015_x' is not in arms.csv"),
    ("estimate-arm-both-sides", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "control_arms", "gamma2015_bac"), "estimates.csv:4:control_arms", "both sides"),
    ("estimate-measure-missing", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "measure", "none"), "estimates.csv:4:measure", "needs its measure"),
    ("estimate-unknown-study", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "study_id", "omega1999"), "estimates.csv:4:study_id", "points at nothing"),
    ("estimate-bad-orientation", cell("estimates.csv", {"estimate_id": "gamma2015_abst_or"}, "orientation", "sideways"), "estimates.csv:4:orientation", "not one of"),
    ("time-to-event-per-arm", cell("outcomes.csv", {"arm_id": "gamma2015_pbo", "outcome_id": "dropout"}, "outcome_id", "time_to_lapse"), "outcomes.csv:14:outcome_id", "belongs in estimates.csv"),
    ("sd-and-se", cell("outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "pct_days_abstinent"}, "se", "4.5"), "outcomes.csv:9:se", "not both"),
    ("binary-without-anything", cell("outcomes.csv", {"arm_id": "gamma2015_pbo", "outcome_id": "dropout"}, "events", ""), "outcomes.csv:14:events", "or a printed percentage"),
    # Values the schema lets through but the analysis cannot use.
    ("zero-se", cell("outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "pct_days_abstinent"}, "se", "0"), "outcomes.csv:9:se", "must be above 0"),
    ("zero-sd", cell("outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "pct_days_abstinent"}, "sd", "0"), "outcomes.csv:9:sd", "must be above 0"),
    ("zero-price", cell("costs.csv", {"cost_id": "price_test_10mg"}, "amount", "0"), "costs.csv:3:amount", "a drug price must be above 0"),
    ("zero-strength", cell("costs.csv", {"cost_id": "price_test_10mg"}, "strength_mg", "0"), "costs.csv:3:strength_mg", "tablet strength must be above 0"),
    ("zero-exchange-rate", cell("exchange_rates.csv", {"year": "2024"}, "rate", "0"), "exchange_rates.csv:3:rate", "exchange rate must be above 0"),
    ("range-upside-down", cell("claims.csv", {"claim_id": "test_us_dose"}, "quantity_high", "20"), "claims.csv:5:quantity_high", "below its lower end (30)"),
    ("year-too-early", cell("studies.csv", {"study_id": "alpha2001"}, "year", "1066"), "studies.csv:2:year", "year 1066 is not plausible"),
    ("year-in-the-future", cell("reviews.csv", {"review_id": "review2018"}, "year", "2918"), "reviews.csv:2:year", "year 2918 is not plausible"),
    ("nan-number", cell("outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "pct_days_abstinent"}, "mean", "NaN"), "outcomes.csv:9:mean", "not a finite number"),
    ("infinite-number", cell("costs.csv", {"cost_id": "price_test_10mg"}, "amount", "inf"), "costs.csv:3:amount", "not a finite number"),
    ("huge-integer", cell("arms.csv", {"arm_id": "alpha2001_pbo"}, "n_randomized", "99999999999999999999"), "arms.csv:3:n_randomized", "too large"),
    ("key-column-text", cell("outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "abstinence"}, "timepoint_weeks", "52 weeks"), "outcomes.csv:2:timepoint_weeks", "not a number"),
    ("key-column-removed", lambda d: drop(d, "arms.csv", "arm_id"), "arms.csv:1:arm_id", "required column is missing"),
    # Found by the fuzzer: an empty required cell used to crash a cross-table rule.
    ("empty-cost-item", cell("costs.csv", {"cost_id": "gamma2015_budget"}, "item", ""), "costs.csv:2:item", "required value is empty"),
    ("non-ascii-digits", cell("studies.csv", {"study_id": "alpha2001"}, "duration_weeks", "١٢"), "studies.csv:2:duration_weeks", "not a number"),
    ("underscore-number", cell("studies.csv", {"study_id": "alpha2001"}, "duration_weeks", "1_2"), "studies.csv:2:duration_weeks", "not a number"),
]


def drop(d: Path, file: str, column: str):
    rows = read_rows(d / file)
    names = [n for n in rows[0] if n != column]
    write_rows(d / file, [{k: r[k] for k in names} for r in rows], names)


@pytest.mark.parametrize("name,breaker,where,words", CASES, ids=[c[0] for c in CASES])
def test_broken_copy_is_refused_with_its_place(package: Path, capsys, name, breaker, where, words):
    breaker(package)
    code, lines, err = run_validate(package, capsys)
    assert code == 1
    assert "Traceback" not in err
    hits = [line for line in lines if line.startswith(where) and words in line]
    assert hits, f"expected a line starting {where!r} containing {words!r}; got:\n" + "\n".join(lines)


def test_fixture_package_is_valid(package: Path, capsys):
    code, lines, err = run_validate(package, capsys)
    assert (code, lines) == (0, [])
    assert "data package valid" in err


def test_every_problem_is_reported_not_only_the_first(package: Path, capsys):
    for breaker in (cell("arms.csv", {"arm_id": "beta2010_low"}, "n_randomized", "twenty"),
                    cell("studies.csv", {"study_id": "alpha2001"}, "design", "rtc"),
                    cell("outcomes.csv", {"arm_id": "alpha2001_bac", "outcome_id": "abstinence"}, "events", "21"),
                    empty_table):
        breaker(package)
    code, lines, _ = run_validate(package, capsys)
    assert code == 1
    prefixes = {line.split(": ")[0] for line in lines}
    assert {"arms.csv:4:n_randomized", "studies.csv:2:design", "outcomes.csv:2:events", "mentions.csv:2:-"} <= prefixes


def test_other_tables_are_still_checked_when_one_file_is_unreadable(package: Path, capsys):
    break_quoting(package)
    cell("arms.csv", {"arm_id": "alpha2001_pbo"}, "dose_mg_day", "30")(package)
    _, lines, _ = run_validate(package, capsys)
    assert any(line.startswith("arms.csv:3:dose_mg_day") for line in lines)


def test_other_commands_refuse_bad_data_without_a_traceback(package: Path, capsys):
    cell("studies.csv", {"study_id": "alpha2001"}, "design", "rtc")(package)
    code = main(["studies", "--data", str(package), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "studies.csv:2:design" in err and "Traceback" not in err


def test_json_error_names_the_line(package: Path, capsys):
    bad_json(package)
    _, lines, _ = run_validate(package, capsys)
    (line,) = lines
    expected_line = next(i for i, text in enumerate((package / "datapackage.json").read_text().splitlines(), 1) if "[," in text)
    assert line.startswith(f"datapackage.json:{expected_line}:-: not valid JSON")
    json.loads((Path(__file__).parents[1] / "data" / "datapackage.json").read_text())  # the shipped one parses


def test_evidence_has_one_typed_attribute_per_table_of_the_descriptor():
    import dataclasses
    import json

    from baclofen_evidence import config
    from baclofen_evidence.evidence import Evidence

    shipped = json.loads((config.DATA_DIR / config.DATAPACKAGE).read_text(encoding="utf-8"))
    assert list(Evidence.table_names()) == [r["name"] for r in shipped["resources"]]
    ev = load()
    assert "__getattr__" not in vars(Evidence)
    assert all(isinstance(getattr(ev, f.name), pd.DataFrame) for f in dataclasses.fields(Evidence) if f.name in ev.tables)
    assert list(ev.tables) == list(Evidence.table_names())
    with pytest.raises(AttributeError):
        ev.no_such_table  # noqa: B018


def test_the_rules_do_not_import_the_loader_that_runs_them():
    code = "import sys, baclofen_evidence.rules; print('baclofen_evidence.datapackage' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
