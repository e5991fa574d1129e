"""Effect sizes of baclofen versus control, study by study (the role of metafor's escalc).

Ratios are on the log scale. Every formula and default below matches R metafor 3.8
(escalc with its defaults), which tests/reference pins to 1e-6:

* log RR: vi = 1/a - 1/n1 + 1/c - 1/n2;  log OR: vi = 1/a + 1/b + 1/c + 1/d;
  RD: vi = p1(1-p1)/n1 + p2(1-p2)/n2 (large-sample);
* zero cells: 0.5 is added to all four cells of a study only where one of them is 0
  (metafor's add=1/2, to="only0"); for RR and OR a study with no events in either arm
  (or only events in both) is dropped, because it carries no information on a ratio;
* MD: difference in means, vi = sd1^2/n1 + sd2^2/n2;
* SMD: Hedges' g with the exact small-sample correction J(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)),
  m = n1 + n2 - 2, and vi = 1/n1 + 1/n2 + g^2 / (2(n1 + n2)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import gammaln

BINARY_MEASURES = ("RR", "OR", "RD")
CONTINUOUS_MEASURES = ("SMD", "MD")
RATIO_MEASURES = ("RR", "OR")
MEASURES = BINARY_MEASURES + CONTINUOUS_MEASURES
ZERO_CELL_ADD = 0.5

MEASURE_NAMES = {
    "RR": "Risk ratio",
    "OR": "Odds ratio",
    "RD": "Risk difference",
    "SMD": "Standardised mean difference (Hedges' g)",
    "MD": "Mean difference",
}

ZERO_CELL_RULE = (
    "0.5 added to every cell of a study only where a cell is 0; for RR and OR, studies with no events "
    "(or only events) in both arms are dropped"
)


@dataclass(frozen=True)
class Effects:
    """yi/vi per study; `dropped` says which rows were left out and why (None when kept)."""

    yi: np.ndarray
    vi: np.ndarray
    dropped: list[str | None]
    corrected: np.ndarray  # True where the zero-cell correction was applied


def binary_effects(ai, n1i, ci, n2i, measure: str, add: float = ZERO_CELL_ADD) -> Effects:
    """Effect sizes from events (ai, ci) and totals (n1i, n2i): treatment first, control second."""
    if measure not in BINARY_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(BINARY_MEASURES)} for a binary outcome, not {measure!r}")
    a, n1, c, n2 = (np.asarray(x, dtype=float) for x in (ai, n1i, ci, n2i))
    b, d = n1 - a, n2 - c
    dropped: list[str | None] = [None] * len(a)
    if measure in RATIO_MEASURES:
        for i in np.flatnonzero(((a == 0) & (c == 0)) | ((b == 0) & (d == 0))):
            dropped[i] = "no events (or only events) in both arms: no information on a ratio"
    corrected = (np.minimum.reduce([a, b, c, d]) == 0) & np.array([x is None for x in dropped], dtype=bool)
    a, b, c, d = (np.where(corrected, x + add, x) for x in (a, b, c, d))
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log(p1 / p2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "OR":
            yi = np.log((a * d) / (b * c))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        else:
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    keep = np.array([x is None for x in dropped], dtype=bool)
    return Effects(np.where(keep, yi, np.nan), np.where(keep, vi, np.nan), dropped, corrected)


def hedges_correction(m) -> np.ndarray:
    """Exact small-sample correction factor J for Hedges' g (m = degrees of freedom)."""
    m = np.asarray(m, dtype=float)
    return np.exp(gammaln(m / 2) - np.log(np.sqrt(m / 2)) - gammaln((m - 1) / 2))


def continuous_effects(m1i, sd1i, n1i, m2i, sd2i, n2i, measure: str) -> Effects:
    if measure not in CONTINUOUS_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(CONTINUOUS_MEASURES)} for a continuous outcome, not {measure!r}")
    m1, s1, n1, m2, s2, n2 = (np.asarray(x, dtype=float) for x in (m1i, sd1i, n1i, m2i, sd2i, n2i))
    if measure == "MD":
        yi = m1 - m2
        vi = s1**2 / n1 + s2**2 / n2
    else:
        df = n1 + n2 - 2
        pooled_sd = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / df)
        yi = hedges_correction(df) * (m1 - m2) / pooled_sd
        vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
    return Effects(yi, vi, [None] * len(yi), np.zeros(len(yi), dtype=bool))


def effects_for(comparisons: pd.DataFrame, kind: str, measure: str) -> pd.DataFrame:
    """Add yi, vi, dropped and corrected columns to a comparisons table (see comparisons.py)."""
    if kind == "binary":
        if measure not in BINARY_MEASURES:
            raise ValueError(f"{measure} is not a measure for a binary outcome; use one of {', '.join(BINARY_MEASURES)}")
        eff = binary_effects(comparisons["ai"], comparisons["n1i"], comparisons["ci"], comparisons["n2i"], measure)
    else:
        if measure not in CONTINUOUS_MEASURES:
            raise ValueError(f"{measure} is not a measure for a continuous outcome; use one of {', '.join(CONTINUOUS_MEASURES)}")
        eff = continuous_effects(comparisons["m1i"], comparisons["sd1i"], comparisons["n1i"],
                                 comparisons["m2i"], comparisons["sd2i"], comparisons["n2i"], measure)
    out = comparisons.copy()
    out["yi"], out["vi"], out["dropped"], out["corrected"] = eff.yi, eff.vi, eff.dropped, eff.corrected
    return out
