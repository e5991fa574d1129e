"""Pooling of study effect sizes: fixed effect (inverse variance, Mantel-Haenszel) and random effects.

What comes from where:

* τ² for DerSimonian-Laird comes from statsmodels' ``combine_effects`` (method_re "chi2"),
  truncated at 0: statsmodels leaves a negative τ² in the weights, metafor does not.
* Paule-Mandel solves Q(τ²) = k - 1 with scipy's brentq. statsmodels' "iterated" estimator is not
  used: it stops at |Q - df| < 1e-5 (τ² then differs from metafor in the 5th decimal), and once
  its tolerance is tightened a Newton step can overshoot below the root, after which it returns
  τ² = 0 (tests/reference/inputs/zero_cells.csv, OR: statsmodels 0, metafor 0.9545).
* REML (absent from statsmodels) solves the REML score equation with brentq.
* Mantel-Haenszel odds ratios come from statsmodels' ``StratifiedTable`` (Robins-Breslow-Greenland
  variance); MH risk ratios (Greenland-Robins variance) and risk differences (Sato's variance)
  follow metafor's rma.mh.
* Everything downstream of τ² (weights, CI, Hartung-Knapp-Sidik-Jonkman, prediction interval, Q,
  I², H²) is computed here once for all estimators, the way metafor's rma.uni does it:
  I² = 100 τ²/(τ² + s²) with s² = (k-1) Σw / ((Σw)² - Σw²), H² = (τ² + s²)/s²;
  the prediction interval is μ ± z·sqrt(SE² + τ²) (t with k-1 df under HKSJ).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.meta_analysis import combine_effects

FIXED = ("FE", "MH")
RANDOM = ("DL", "REML", "PM")
METHODS = FIXED + RANDOM
METHOD_NAMES = {
    "FE": "fixed effect, inverse variance",
    "MH": "fixed effect, Mantel-Haenszel",
    "DL": "random effects, DerSimonian-Laird",
    "REML": "random effects, restricted maximum likelihood",
    "PM": "random effects, Paule-Mandel",
}
LEVEL = 0.95
TAU2_TOL = 1e-12


@dataclass
class PoolResult:
    """A pooled estimate on the analysis scale (log for ratios), with its heterogeneity statistics."""

    method: str
    hksj: bool
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    stat: float  # z, or t under HKSJ
    p: float
    pi_low: float
    pi_high: float
    tau2: float
    q: float
    q_df: int
    q_p: float
    i2: float
    h2: float
    weights: np.ndarray = field(repr=False)  # percent, summing to 100

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["weights"] = [float(w) for w in self.weights]
        out["tau"] = self.tau
        return out


def _q_stats(yi: np.ndarray, vi: np.ndarray) -> tuple[float, int, float]:
    w = 1 / vi
    mu = np.sum(w * yi) / np.sum(w)
    q = float(np.sum(w * (yi - mu) ** 2))
    df = len(yi) - 1
    return q, df, float(stats.chi2.sf(q, df)) if df > 0 else float("nan")


def tau2_dl(yi: np.ndarray, vi: np.ndarray) -> float:
    """DerSimonian-Laird τ², truncated at 0 (statsmodels returns negative values unchanged)."""
    with np.errstate(invalid="ignore"):  # statsmodels takes sqrt of its untruncated (negative) RE variance
        return max(0.0, float(combine_effects(yi, vi, method_re="chi2").tau2))


def _generalised_q(tau2: float, yi: np.ndarray, vi: np.ndarray) -> float:
    w = 1 / (vi + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    return float(np.sum(w * (yi - mu) ** 2))


def _root(fn, yi: np.ndarray, vi: np.ndarray) -> float:
    """The τ² > 0 where a decreasing estimating function crosses 0 (0 if it starts below)."""
    if len(yi) < 2 or fn(0.0, yi, vi) <= 0:
        return 0.0
    upper = max(1.0, float(np.var(yi)) * 10)
    while fn(upper, yi, vi) > 0:
        upper *= 10
    return float(optimize.brentq(fn, 0.0, upper, args=(yi, vi), xtol=TAU2_TOL, rtol=4 * np.finfo(float).eps, maxiter=1000))


def tau2_pm(yi: np.ndarray, vi: np.ndarray) -> float:
    """Paule-Mandel τ²: generalised Q equal to its expectation k - 1."""
    df = len(yi) - 1
    return _root(lambda t, y, v: _generalised_q(t, y, v) - df, yi, vi)


def _reml_score(tau2: float, yi: np.ndarray, vi: np.ndarray) -> float:
    w = 1 / (vi + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    return float(np.sum(w**2 * (yi - mu) ** 2) - (np.sum(w) - np.sum(w**2) / np.sum(w)))


def tau2_reml(yi: np.ndarray, vi: np.ndarray) -> float:
    """REML τ²: the root of the REML score equation (0 when the score is negative at 0)."""
    return _root(_reml_score, yi, vi)


TAU2_ESTIMATORS = {"DL": tau2_dl, "PM": tau2_pm, "REML": tau2_reml}


def _heterogeneity(vi: np.ndarray, tau2: float, q: float, df: int, random: bool) -> tuple[float, float]:
    if df <= 0:
        return 0.0, 1.0
    if random:
        w = 1 / vi
        s2 = df * np.sum(w) / (np.sum(w) ** 2 - np.sum(w**2))
        return float(100 * tau2 / (tau2 + s2)), float((tau2 + s2) / s2)
    return max(0.0, 100 * (q - df) / q) if q > 0 else 0.0, q / df


def pool(yi, vi, method: str = "REML", hksj: bool = False, level: float = LEVEL) -> PoolResult:
    """Inverse-variance pooling: FE, or random effects with the DL, REML or PM τ² estimator."""
    if method not in ("FE",) + RANDOM:
        raise ValueError(f"method must be one of FE, {', '.join(RANDOM)} for inverse-variance pooling, not {method!r}")
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    k = len(yi)
    if k < 1:
        raise ValueError("pooling needs at least one study")
    q, df, q_p = _q_stats(yi, vi)
    tau2 = TAU2_ESTIMATORS[method](yi, vi) if method in RANDOM and k > 1 else 0.0
    w = 1 / (vi + tau2)
    mu = float(np.sum(w * yi) / np.sum(w))
    se = float(math.sqrt(1 / np.sum(w)))
    if hksj and k > 1:
        se = float(math.sqrt(np.sum(w * (yi - mu) ** 2) / ((k - 1) * np.sum(w))))
        crit = float(stats.t.ppf(1 - (1 - level) / 2, k - 1))
        stat = mu / se if se > 0 else float("inf")
        p = float(2 * stats.t.sf(abs(stat), k - 1))
    else:
        crit = float(stats.norm.ppf(1 - (1 - level) / 2))
        stat = mu / se
        p = float(2 * stats.norm.sf(abs(stat)))
    pi_half = crit * math.sqrt(se**2 + tau2)
    i2, h2 = _heterogeneity(vi, tau2, q, df, method in RANDOM)
    return PoolResult(method, bool(hksj and k > 1), k, mu, se, mu - crit * se, mu + crit * se, stat, p,
                      mu - pi_half, mu + pi_half, tau2, q, df, q_p, i2, h2, 100 * w / np.sum(w))


def pool_mh(ai, n1i, ci, n2i, measure: str, yi=None, vi=None, level: float = LEVEL) -> PoolResult:
    """Mantel-Haenszel fixed-effect pooling of 2x2 tables (raw counts, no zero-cell correction).

    Q, I² and H² use the study yi/vi (with the zero-cell rule) around the MH estimate, as metafor does.
    """
    a, n1, c, n2 = (np.asarray(x, dtype=float) for x in (ai, n1i, ci, n2i))
    b, d, n = n1 - a, n2 - c, n1 + n2
    if measure == "OR":
        tables = np.stack([np.stack([a, b], -1), np.stack([c, d], -1)], 1).transpose(1, 2, 0)
        st = StratifiedTable(tables)
        est, se = float(np.log(st.oddsratio_pooled)), float(st.logodds_pooled_se)
        weights = b * c / n
    elif measure == "RR":
        r, s = np.sum(a * n2 / n), np.sum(c * n1 / n)
        est = float(np.log(r / s))
        se = float(math.sqrt(np.sum(n1 * n2 * (a + c) / n**2 - a * c / n) / (r * s)))
        weights = c * n1 / n
    elif measure == "RD":
        wsum = np.sum(n1 * n2 / n)
        est = float(np.sum(a * n2 / n - c * n1 / n) / wsum)
        num = est * np.sum(c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + (n1 / n) * (n2 / n) * (n2 - n1) / 2) \
            + np.sum(a * (n2 - c) / n + c * (n1 - a) / n) / 2
        se = float(math.sqrt(num / wsum**2))
        weights = n1 * n2 / n
    else:
        raise ValueError(f"Mantel-Haenszel pooling is for RR, OR or RD, not {measure!r}")
    crit = float(stats.norm.ppf(1 - (1 - level) / 2))
    if yi is None or vi is None:
        from baclofen_evidence.effect_sizes import binary_effects

        eff = binary_effects(a, n1, c, n2, measure)
        yi, vi = eff.yi, eff.vi
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    k = len(yi)
    q = float(np.sum((yi - est) ** 2 / vi)) if k > 1 else 0.0
    df = k - 1
    q_p = float(stats.chi2.sf(q, df)) if df > 0 else float("nan")
    i2, h2 = _heterogeneity(vi, 0.0, q, df, random=False)
    z = est / se
    return PoolResult("MH", False, k, est, se, est - crit * se, est + crit * se, z, float(2 * stats.norm.sf(abs(z))),
                      est - crit * se, est + crit * se, 0.0, q, df, q_p, i2, h2, 100 * weights / np.sum(weights))
