"""The inputs on which tests/reference/metafor_reference.R checks the engine against R metafor.

* One CSV per outcome with arm-level data from at least two trials (the comparisons of the
  meta-analysis report, multi-dose trials merged), plus the split-arm dose-response inputs with a
  dose column: metafor recomputes the effect sizes itself (escalc).
* One ``giv`` CSV per analysis, the overview synthesis included, with each study's yi and vi as the
  report pools them (arm-level, reported and converted alike): metafor fits ``rma(yi, vi)`` on them,
  so generic inverse-variance pooling is pinned on the reports' own inputs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from baclofen_evidence.datapackage import Evidence
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence.meta_analysis import comparisons_for
from baclofen_evidence.rules import outcome_definitions

PREFIX = "baclofen_"
BINARY_COLUMNS = ["study", "ai", "n1i", "ci", "n2i"]
CONTINUOUS_COLUMNS = ["study", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]


def inputs(ev: Evidence) -> dict[str, pd.DataFrame]:
    found = {}
    for outcome, d in outcome_definitions(ev.descriptor).items():
        for mode in ("combined", "split"):
            frame = comparisons_for(ev, outcome, "placebo", mode)
            if frame.empty or frame["study_id"].nunique() < 2:
                continue
            frame = frame.assign(study=frame["label"] + (" " + frame["dose_mg_day"].map("{:g}".format) if mode == "split" else ""))
            cols = BINARY_COLUMNS if d["kind"] == "binary" else CONTINUOUS_COLUMNS
            out = frame[cols].copy()
            if mode == "split":
                out["dose"] = frame["dose_for_regression"]
            found[f"{PREFIX}{outcome}{'_by_dose' if mode == 'split' else ''}"] = out
    for outcome in meta.analysis_outcomes(ev.descriptor):
        ma = meta.run(ev, outcome)
        if ma.result is None:
            continue
        found[f"{PREFIX}giv_{outcome}_{ma.measure}"] = pd.DataFrame(
            {"study": ma.studies["label"], "yi": ma.studies["yi"], "vi": ma.studies["vi"], "route": ma.studies["route"]})
    return found


CONVERSIONS = "conversions.csv"
ESCALC_COLUMNS = ["study", "measure", "ai", "n1i", "ci", "n2i", "m1i", "sd1i", "m2i", "sd2i", "ti", "sign", "yi", "vi"]


def conversion_inputs(ev: Evidence) -> pd.DataFrame:
    """The overview synthesis's converted effects with what metafor's escalc needs to redo each one:
    counts to SMD (measure OR2DL, Chinn's √3/π), means to Hedges' g (SMD), and a t with group sizes
    to Hedges' g (SMD with ti). yi and vi are the engine's; the R script recomputes them."""
    ma = meta.run(ev, meta.OVERVIEW)
    rows = []
    for s in ma.studies.itertuples():
        spec = s.escalc if isinstance(s.escalc, dict) else None
        if spec is None:
            continue
        row = {"study": s.label, "measure": spec["measure"], "sign": int(s.sign), "yi": s.yi, "vi": s.vi}
        if spec["measure"] == "OR2DL":
            row.update(ai=s.ai, n1i=s.n1i, ci=s.ci, n2i=s.n2i)
        elif "ti" in spec:
            row.update(ti=spec["ti"], n1i=spec["n1i"], n2i=spec["n2i"])
        else:
            row.update(m1i=s.m1i, sd1i=s.sd1i, n1i=s.n1i, m2i=s.m2i, sd2i=s.sd2i, n2i=s.n2i)
        rows.append(row)
    return pd.DataFrame(rows, columns=ESCALC_COLUMNS)


def write_inputs(ev: Evidence, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob(f"{PREFIX}*.csv"):
        old.unlink()
    written = []
    for name, frame in inputs(ev).items():
        path = directory / f"{name}.csv"
        frame.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
        written.append(path)
    path = directory.parent / CONVERSIONS
    conversion_inputs(ev).to_csv(path, index=False, float_format="%.12g", lineterminator="\n")
    written.append(path)
    return written


# ---------------------------------------------------------------- rpact (trial sequential analysis)

RPACT_CASES = "rpact_cases.json"
# Fixed designs beside the reports' own: equal spacing, a first look too early to reach (bound infinite),
# two looks, many looks, and other error rates. Looks spending under about 1e-6 of alpha after the first are
# left out: there rpact's integration error (about 1e-8) moves the bounds, while tsa.ALPHA_FLOOR drops them.
FIXED_DESIGNS = [
    {"case": "equal_4", "alpha": 0.05, "beta": 0.2, "fractions": [0.25, 0.5, 0.75, 1.0]},
    {"case": "unequal_4", "alpha": 0.05, "beta": 0.2, "fractions": [0.16, 0.4, 0.67, 1.0]},
    {"case": "first_unreachable", "alpha": 0.05, "beta": 0.2, "fractions": [0.01, 0.4, 1.0]},
    {"case": "two_looks", "alpha": 0.05, "beta": 0.1, "fractions": [0.5, 1.0]},
    {"case": "many_looks", "alpha": 0.05, "beta": 0.2, "fractions": [0.2, 0.27, 0.33, 0.41, 0.58, 0.66, 0.77, 0.9, 1.0]},
    {"case": "alpha_1pct", "alpha": 0.01, "beta": 0.1, "fractions": [0.3, 0.6, 1.0]},
]
# Continuous RIS against rpact's fixed-sample size with the normal approximation (same formula, independent code).
CONTINUOUS_SIZES = [
    {"case": "pda_like", "alpha": 0.05, "beta": 0.2, "mird": 9.07, "sd": 40.0},
    {"case": "smd_02", "alpha": 0.05, "beta": 0.2, "mird": 0.2, "sd": 1.0},
    {"case": "alpha_1pct", "alpha": 0.01, "beta": 0.1, "mird": 5.0, "sd": 20.0},
]


def rpact_cases(ev: Evidence) -> dict:
    """The designs rpact is asked for: the fixed ones and every TSA report's own information fractions."""
    from baclofen_evidence import tsa

    designs = list(FIXED_DESIGNS)
    for outcome in tsa.OUTCOMES:
        t = tsa.run(ev, outcome)
        designs.append({"case": f"tsa_{outcome}", "alpha": t.inputs.alpha, "beta": t.inputs.beta,
                        "fractions": [round(float(f), 12) for f in t.design]})
    return {"designs": designs, "continuous": CONTINUOUS_SIZES}


def write_rpact_cases(ev: Evidence, directory: Path) -> Path:
    import json

    path = directory / RPACT_CASES
    path.write_text(json.dumps(rpact_cases(ev), indent=1) + "\n", encoding="utf-8")
    return path
