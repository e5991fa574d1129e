"""Routes from what a trial printed to an effect size and its variance, each named and cited.

A trial that reports an odds ratio with its CI, Cohen's d, a t statistic or an exact p-value
instead of per-arm numbers can still enter a generic inverse-variance meta-analysis, once its
result is on the analysis scale with a variance. Every route here is a published method:

* HB6: Higgins JPT, Li T, Deeks JJ. Chapter 6, Choosing effect measures and computing estimates
  of effect. Cochrane Handbook for Systematic Reviews of Interventions, version 6.4 (2023):
  6.3.1 (SE from a confidence interval), 6.3.2 (SE from an exact p-value), 6.5.2.2 (SD from an SE).
* HB10: Deeks JJ, Higgins JPT, Altman DG. Chapter 10, Analysing data and undertaking
  meta-analyses: 10.3 (generic inverse variance), 10.6 (odds ratio to SMD, and back).
* Borenstein M, Hedges LV, Higgins JPT, Rothstein HR. Introduction to Meta-Analysis. Wiley 2009:
  chapter 4 (d from t or F with group sizes; variance of d, eq. 4.20; Hedges' J), chapter 7
  (converting among effect sizes, eq. 7.1-7.2).
* Chinn S. A simple method for converting an odds ratio to effect size for use in meta-analysis.
  Stat Med 2000;19:3127-31 (d = ln OR x sqrt(3)/pi).
* Zhang J, Yu KF. What's the relative risk? JAMA 1998;280:1690-1 (RR from OR and the control risk).

A p-value given only as a bound (p < 0.05) never yields an effect size here: it fixes neither the
size of the effect nor its variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scipy import stats
from scipy.special import gammaln
from baclofen_evidence import formatting as fmt

SQRT3_OVER_PI = math.sqrt(3) / math.pi

CITATIONS = {
    "ci_to_se": "Cochrane Handbook 6.3.1",
    "p_to_se": "Cochrane Handbook 6.3.2",
    "se_to_sd": "Cochrane Handbook 6.5.2.2",
    "t_to_d": "Borenstein et al. 2009, ch. 4 and 7",
    "t_to_d_equal": "Borenstein et al. 2009, ch. 7 (equal group sizes assumed)",
    "var_d": "Borenstein et al. 2009, eq. 4.20",
    "hedges_j": "Hedges 1981; Borenstein et al. 2009, eq. 4.22",
    "or_to_d": "Chinn 2000; Cochrane Handbook 10.6",
    "d_to_or": "Chinn 2000; Cochrane Handbook 10.6",
    "or_to_rr": "Zhang & Yu 1998",
    "percent_to_count": "Cochrane Handbook 6.4 (counts from percentages)",
    "window_to_percent": "cumulative days divided by the days in the window",
}


class ConversionError(ValueError):
    """The printed numbers do not support this route; the message says what is missing."""


@dataclass
class Effect:
    """An effect on an analysis scale (log for ratios), its variance, and how it was reached."""

    yi: float
    vi: float
    scale: str  # "log_or", "log_rr", "log_hr", "rd", "md", "d", "g"
    steps: list[str] = field(default_factory=list)
    weak: bool = False  # rests on an assumption beyond the printed numbers (stated in steps)
    escalc: dict | None = None  # the inputs metafor's escalc takes for the same route (tests/reference)
    sign: int = 1  # -1 once the sign was turned so that a positive value favours baclofen

    def then(self, yi: float, vi: float, scale: str, step: str, weak: bool = False, flip: bool = False) -> "Effect":
        return Effect(yi, vi, scale, self.steps + [step], self.weak or weak, self.escalc, -self.sign if flip else self.sign)

    @property
    def route_text(self) -> str:
        return "; ".join(self.steps)


def z_for_level(level_percent: float) -> float:
    return float(stats.norm.ppf(1 - (1 - level_percent / 100) / 2))


def se_from_ci(low: float, high: float, level_percent: float = 95.0, log: bool = False) -> float:
    """SE = (upper - lower) / (2 z); on the log scale for ratios (HB6 6.3.1)."""
    if log:
        if low <= 0 or high <= 0:
            raise ConversionError("a ratio's confidence limits must be positive")
        low, high = math.log(low), math.log(high)
    if high <= low:
        raise ConversionError("the upper confidence limit must be above the lower one")
    return (high - low) / (2 * z_for_level(level_percent))


def z_from_p(p: float) -> float:
    """|z| from an exact two-sided p (HB6 6.3.2)."""
    if not 0 < p <= 1:
        raise ConversionError(f"p must be in (0, 1], not {p}")
    return float(stats.norm.isf(p / 2))


def se_from_p(estimate: float, p: float) -> float:
    """SE = |estimate| / z, z from an exact two-sided p (HB6 6.3.2); needs a non-zero estimate."""
    z = z_from_p(p)
    if z == 0 or estimate == 0:
        raise ConversionError("an SE cannot be recovered from p = 1 or a zero estimate")
    return abs(estimate) / z


def sd_from_se(se: float, n: float) -> float:
    """SD = SE x sqrt(n) (HB6 6.5.2.2)."""
    return se * math.sqrt(n)


def hedges_j(df: float) -> float:
    """Exact small-sample correction J(df) = Γ(df/2) / (sqrt(df/2) Γ((df-1)/2)), as metafor uses."""
    return math.exp(gammaln(df / 2) - 0.5 * math.log(df / 2) - gammaln((df - 1) / 2))


def var_d(d: float, n1: float, n2: float) -> float:
    """Variance of Cohen's d: (n1 + n2)/(n1 n2) + d^2 / (2 (n1 + n2)) (Borenstein eq. 4.20)."""
    return (n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2))


def d_from_t(t: float, n1: float, n2: float) -> float:
    """d = t sqrt(1/n1 + 1/n2) for an independent-groups t (Borenstein ch. 4 and 7)."""
    return t * math.sqrt(1 / n1 + 1 / n2)


def d_to_g(d: float, vd: float, n1: float, n2: float) -> tuple[float, float]:
    """Hedges' g = J d with the variance scaled alike (J² var d), for a d whose variance came with it."""
    j = hedges_j(n1 + n2 - 2)
    return j * d, j * j * vd


def g_from_d(d: float, n1: float, n2: float) -> tuple[float, float]:
    """Hedges' g = J d and its large-sample variance 1/n1 + 1/n2 + g²/(2(n1 + n2)), as metafor's escalc (SMD)."""
    g = hedges_j(n1 + n2 - 2) * d
    return g, 1 / n1 + 1 / n2 + g * g / (2 * (n1 + n2))


def log_or_to_d(y: float, v: float) -> tuple[float, float]:
    """d = ln OR x sqrt(3)/pi, var = var(ln OR) x 3/pi^2 (Chinn 2000; HB10 10.6)."""
    return y * SQRT3_OVER_PI, v * SQRT3_OVER_PI**2


def d_to_log_or(d: float, v: float) -> tuple[float, float]:
    return d / SQRT3_OVER_PI, v / SQRT3_OVER_PI**2


def or_to_rr(odds_ratio: float, control_risk: float) -> float:
    """RR = OR / (1 - p0 + p0 OR), p0 the control-group risk (Zhang & Yu 1998)."""
    return odds_ratio / (1 - control_risk + control_risk * odds_ratio)


def counts_from_percent(percent: float, total: int) -> tuple[int, list[int]]:
    """Events from a printed percentage of a denominator: the nearest count, and every count that
    rounds to the same percentage at the printed precision. Raises when no whole count fits."""
    text = repr(float(percent))
    decimals = max(0, len(text.split(".")[1].rstrip("0"))) if "." in text else 0
    half = 0.5 * 10.0**-decimals + 1e-9  # a printed 30% stands for anything from 29.5% to 30.5%
    fits = [e for e in range(total + 1) if abs(100 * e / total - percent) <= half]
    if not fits:
        raise ConversionError(f"no whole count out of {total} gives {fmt.as_printed(percent)}%: the analysed denominator must differ")
    nearest = min(fits, key=lambda e: abs(100 * e / total - percent))
    return nearest, fits
