"""Does the effect grow with the dose? Meta-regression on dose, and within-trial dose contrasts.

The meta-regression is a mixed-effects model yi = b0 + b1·dose + u_i + e_i (metafor's
rma(yi, vi, mods = ~ dose, method = "REML")): residual τ² by REML (solved here, as statsmodels has
no REML meta-regression), coefficients and z-based SEs by statsmodels' WLS with the scale fixed at 1.
Each baclofen arm is its own point (multi-dose trials split, the control group shared out), at the
arm's dose: the trial's mean achieved dose for its top arm where reported, else the arm's target.
With few trials the normal approximation is shaky, so a permutation p-value for the slope is given
too (dose values permuted across comparisons, the model refitted each time; all permutations when
there are at most MAX_EXACT of them, otherwise N_PERMUTATIONS random ones from a seeded generator).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize

from baclofen_evidence import comparisons as comp
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence.datapackage import Evidence
from baclofen_evidence.effect_sizes import BINARY_MEASURES, effects_for
from baclofen_evidence.rules import outcome_definitions
from baclofen_evidence import formatting as fmt

MAX_EXACT = 5040  # 7!
N_PERMUTATIONS = 5000
SEED = 20260101


def _reml_score(tau2: float, y: np.ndarray, v: np.ndarray, X: np.ndarray) -> float:
    W = np.diag(1 / (v + tau2))
    XtWX_inv = np.linalg.inv(X.T @ W @ X)
    P = W - W @ X @ XtWX_inv @ X.T @ W
    return float(y @ P @ P @ y - np.trace(P))


def tau2_reml_regression(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> float:
    """Residual τ² of a meta-regression by REML: the root of the score, 0 if it is negative at 0."""
    if len(y) <= X.shape[1] or _reml_score(0.0, y, v, X) <= 0:
        return 0.0
    upper = max(1.0, float(np.var(y)) * 10)
    while _reml_score(upper, y, v, X) > 0:
        upper *= 10
    return float(optimize.brentq(_reml_score, 0.0, upper, args=(y, v, X), xtol=1e-12, rtol=4 * np.finfo(float).eps))


@dataclass
class RegressionFit:
    intercept: float
    slope: float
    slope_se: float
    slope_ci_low: float
    slope_ci_high: float
    slope_p: float
    tau2: float
    cov: np.ndarray
    k: int

    def predict(self, dose: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X0 = np.column_stack([np.ones_like(dose), dose])
        fit = X0 @ np.array([self.intercept, self.slope])
        se = np.sqrt(np.einsum("ij,jk,ik->i", X0, self.cov, X0))
        return fit, fit - 1.959963984540054 * se, fit + 1.959963984540054 * se


def fit_regression(yi, vi, dose) -> RegressionFit:
    y, v, d = (np.asarray(a, dtype=float) for a in (yi, vi, dose))
    X = sm.add_constant(d, has_constant="add")
    tau2 = tau2_reml_regression(y, v, X)
    res = sm.WLS(y, X, weights=1 / (v + tau2)).fit(cov_type="fixed scale", cov_kwds={"scale": 1.0})
    ci = res.conf_int()
    return RegressionFit(float(res.params[0]), float(res.params[1]), float(res.bse[1]), float(ci[1, 0]), float(ci[1, 1]),
                         float(res.pvalues[1]), tau2, np.asarray(res.cov_params()), len(y))


def permutation_p(yi, vi, dose, seed: int = SEED) -> tuple[float, int, bool]:
    """(p, number of permutations, exact?) for the slope's |z|."""
    y, v, d = (np.asarray(a, dtype=float) for a in (yi, vi, dose))
    first = fit_regression(y, v, d)
    observed = abs(first.slope / first.slope_se)
    k = len(d)
    exact = math.factorial(k) <= MAX_EXACT
    if exact:
        perms = (np.array(p) for p in itertools.permutations(range(k)))
        n = math.factorial(k)
    else:
        rng = np.random.default_rng(seed)
        perms = itertools.chain([np.arange(k)], (rng.permutation(k) for _ in range(N_PERMUTATIONS - 1)))
        n = N_PERMUTATIONS
    hits = 0
    for perm in perms:
        fit = fit_regression(y, v, d[perm])
        if abs(fit.slope / fit.slope_se) >= observed - 1e-12:
            hits += 1
    return hits / n, n, exact


@dataclass
class DoseResponse:
    analysis: meta.MetaAnalysis  # the split comparisons the regression uses
    fit: RegressionFit | None
    permutation_p: float | None
    n_permutations: int
    exact: bool
    reason: str | None = None


def dose_response(ev: Evidence, outcome_id: str, measure: str | None = None, comparator: str = "placebo",
                  exclude=(), seed: int = SEED) -> DoseResponse:
    ma = meta.run(ev, outcome_id, measure, "REML", False, exclude, comparator=comparator, mode="split")
    points = ma.studies
    if len(points) < 3 or (not points.empty and points["dose_for_regression"].nunique() < 2):
        reason = (f"a dose-response regression needs at least 3 comparisons at 2 or more doses; "
                  f"{len(points)} {'is' if len(points) == 1 else 'are'} available for {outcome_id}")
        return DoseResponse(ma, None, None, 0, False, reason)
    fit = fit_regression(points["yi"], points["vi"], points["dose_for_regression"])
    p, n, exact = permutation_p(points["yi"], points["vi"], points["dose_for_regression"], seed)
    return DoseResponse(ma, fit, p, n, exact)


def within_trial_contrasts(ev: Evidence, outcomes: list[str] | None = None) -> pd.DataFrame:
    """High- versus low-dose arms inside trials that randomized to two or more baclofen doses."""
    arms = ev.arms[ev.arms["role"] == "baclofen"]
    multi = arms.groupby("study_id").filter(lambda g: g["dose_mg_day"].nunique() >= 2)
    defs = outcome_definitions(ev.descriptor)
    outcomes = outcomes or [k for k, d in defs.items() if d["kind"] in ("binary", "continuous")]
    values = comp.arm_values(ev)
    usable = (values["events"].notna() & values["total"].notna()) | (values["mean"].notna() & values["sd"].notna() & values["n"].notna())
    values = values[usable]
    rows = []
    for sid, group in multi.groupby("study_id", sort=False):
        low, high = group.sort_values("dose_mg_day").iloc[0], group.sort_values("dose_mg_day").iloc[-1]
        study = ev.studies.set_index("study_id").loc[sid]
        found = False
        for outcome in outcomes:
            o = values[(values["outcome_id"] == outcome) & values["arm_id"].isin([low["arm_id"], high["arm_id"]])]
            if len(o) < 2:
                continue
            o = o[o["timepoint_weeks"] == o["timepoint_weeks"].max()].set_index("arm_id")
            if not {low["arm_id"], high["arm_id"]} <= set(o.index):
                continue
            h, lo = o.loc[high["arm_id"]], o.loc[low["arm_id"]]
            kind = defs[outcome]["kind"]
            if kind == "binary":
                frame = pd.DataFrame([{"ai": h["events"], "n1i": h["total"], "ci": lo["events"], "n2i": lo["total"]}], dtype=float)
                measure = "RR"
                high_txt, low_txt = f"{h['events']}/{h['total']}", f"{lo['events']}/{lo['total']}"
            else:
                frame = pd.DataFrame([{"m1i": h["mean"], "sd1i": h["sd"], "n1i": h["n"], "m2i": lo["mean"], "sd2i": lo["sd"], "n2i": lo["n"]}], dtype=float)
                measure = "MD"
                high_txt, low_txt = f"{fmt.as_printed(h['mean'])} (SD {fmt.as_printed(h['sd'])}, n {h['n']})", f"{fmt.as_printed(lo['mean'])} (SD {fmt.as_printed(lo['sd'])}, n {lo['n']})"
            eff = effects_for(frame, kind, measure).iloc[0]
            half = 1.959963984540054 * math.sqrt(eff["vi"])
            to_scale = math.exp if measure in BINARY_MEASURES else (lambda x: x)
            rows.append({"study_id": sid, "label": study["label"], "outcome": outcome, "low_dose": low["dose_mg_day"],
                         "high_dose": high["dose_mg_day"], "low_arm": low_txt, "high_arm": high_txt, "measure": measure,
                         "high_vs_low": to_scale(eff["yi"]), "ci_low": to_scale(eff["yi"] - half),
                         "ci_high": to_scale(eff["yi"] + half)})
            found = True
        if not found:
            rows.append({"study_id": sid, "label": study["label"], "outcome": None, "low_dose": low["dose_mg_day"],
                         "high_dose": high["dose_mg_day"], "low_arm": None, "high_arm": None, "measure": None,
                         "high_vs_low": np.nan, "ci_low": np.nan, "ci_high": np.nan})
    return pd.DataFrame(rows)
