"""`baclofen-evidence gosh` as a user scripts it: anyone's CSV in, one row per subset out, and bad
input named by FILE:ROW:COLUMN with exit status 1 and no stack trace."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from baclofen_evidence.cli import main
from baclofen_evidence import config, gosh


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, text, name="effects.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = "study,yi,vi\nA,0.10,0.04\nB,0.50,0.09\nC,-0.20,0.05\nD,0.35,0.02\n"


def test_csv_has_one_row_per_subset_with_members(capsys, tmp_path):
    code, out, err = run(capsys, "gosh", "--input", str(write(tmp_path, GOOD)), "--method", "REML", "--format", "csv")
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 15
    assert {"members", "k", "estimate", "se", "tau2", "i2", "q", "converged"} <= set(rows[0])
    full = next(r for r in rows if r["members"] == "A;B;C;D")
    expected = gosh.run([0.1, 0.5, -0.2, 0.35], [0.04, 0.09, 0.05, 0.02], method="REML").stats.iloc[-1]
    assert int(full["k"]) == 4 and float(full["estimate"]) == pytest.approx(expected["estimate"], abs=1e-12)
    assert all(int(r["k"]) == len(r["members"].split(";")) for r in rows)


def test_json_is_strict_and_says_what_was_fitted(capsys, tmp_path):
    code, out, _ = run(capsys, "gosh", "--input", str(write(tmp_path, GOOD)), "--method", "PM", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["method"] == "PM" and doc["exhaustive"] is True and doc["n_subsets"] == 15
    assert doc["studies"] == ["A", "B", "C", "D"] and doc["subsets"][0]["members"] == ["A"]


def test_sampling_above_max_subsets_is_stated(capsys, tmp_path):
    code, out, _ = run(capsys, "gosh", "--input", str(write(tmp_path, GOOD)), "--max-subsets", "5", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["exhaustive"] is False and doc["n_subsets"] == 5 and doc["seed"] == gosh.SEED
    assert "random sample of 5 of the 15 subsets" in doc["description"]


def test_project_outcome(capsys):
    code, out, _ = run(capsys, "gosh", "--outcome", "primary_drinking", "--method", "DL", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["outcome"] == "primary_drinking" and doc["measure"] == "SMD"
    assert doc["n_subsets"] == 2 ** len(doc["studies"]) - 1 and "rigal2020" in doc["studies"]


def test_table_names_the_influence_measure(capsys):
    code, out, _ = run(capsys, "gosh", "--outcome", "abstinence")
    assert code == 0 and "shift_estimate" in out and "all 31 subsets of the 5 studies" in out


@pytest.mark.parametrize("text,where", [
    ("study,yi,vi\nA,0.1,0.04\nB,abc,0.09\n", ":3:yi: not a finite number: 'abc'"),
    ("study,yi,vi\nA,0.1,0.04\nB,0.2,0\n", ":3:vi: a variance must be > 0"),
    ("study,yi,vi\nA,0.1,0.04\nB,0.2,-0.5\n", ":3:vi: a variance must be > 0"),
    ("study,yi,vi\nA,0.1,0.04\nB,0.2,0.05\nA,0.3,0.02\n", ":4:study: duplicate study 'A' (first on row 2)"),
    ("study,yi,vi\nA,0.1,0.04\n", ":3:-: needs at least 2 studies, found 1"),
    ("study,yi\nA,0.1\nB,0.2\n", ":1:vi: required column is missing"),
    ("study,yi,vi\nA,0.1,0.04\nB,0.2\n", ":3:-: row has 2 values but the header has 3 columns"),
    ("study,yi,vi\nA,nan,0.04\nB,0.2,0.05\n", ":2:yi: not a finite number"),
])
def test_bad_input_is_named_by_file_row_column(capsys, tmp_path, text, where):
    path = write(tmp_path, text)
    code, out, err = run(capsys, "gosh", "--input", str(path), "--format", "csv")
    assert code == 1 and out == ""
    assert f"{path}{where}" in err
    assert "Traceback" not in err


def test_missing_file_and_contradicting_options(capsys, tmp_path):
    code, _, err = run(capsys, "gosh", "--input", str(tmp_path / "nope.csv"))
    assert code == 1 and "nope.csv:-:-: cannot read the file" in err
    code, _, err = run(capsys, "gosh")
    assert code == 2 and "either --outcome" in err


def test_every_problem_is_listed_at_once(capsys, tmp_path):
    path = write(tmp_path, "study,yi,vi\nA,x,0.04\nA,0.2,-1\n")
    code, _, err = run(capsys, "gosh", "--input", str(path))
    assert code == 1
    assert ":2:yi:" in err and ":3:study: duplicate" in err and ":3:vi:" in err and "3 problem(s)" in err


def test_sixteen_studies_give_all_65535_subsets_from_the_installed_command(tmp_path):
    """End to end as a user runs it: a separate process, the benchmark's 16 studies (Bangert-Drowns et al. 2004)."""
    out = subprocess.run([sys.executable, "-m", "baclofen_evidence", "gosh", "--input",
                          str(config.PROJECT_ROOT / "benchmarks" / "gosh_16_studies.csv"), "--method", "REML", "--format", "csv"],
                         capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 65535 and len({r["members"] for r in rows}) == 65535
    assert all(r["converged"] == "True" for r in rows)
    assert max(int(r["k"]) for r in rows) == 16
