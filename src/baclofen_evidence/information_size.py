"""Required information size (RIS) and its diversity adjustment, as the TSA program computes them.

* Binary (TSA manual; RTSA ``ris``): pc = control event proportion, pe = pc (1 - RRR) (a negative RRR is
  a relative increase, as for a beneficial outcome such as abstinence), δ = pc - pe, p̄ = (pc + pe)/2:
  RIS = 4 (z_{1-α/2} + z_{1-β})² p̄ (1 - p̄) / δ², participants in both arms, 1:1.
* Continuous: RIS = 4 (z_{1-α/2} + z_{1-β})² σ² / δ², δ the minimal relevant difference, σ the SD.
* Rounded up to whole participants (the TSA manual's example, 5,217.26 -> 5,218).
* Diversity (Wetterslev et al. 2009): D² = 1 - v_F / v_R, the variances of the pooled estimate under the
  fixed-effect and the random-effects model; diversity-adjusted RIS = RIS / (1 - D²).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.pooling import pool
from baclofen_evidence import formatting as fmt


def _z(alpha: float, beta: float) -> float:
    return float(stats.norm.isf(alpha / 2) + stats.norm.isf(beta))


def check_error_rates(alpha: float, beta: float) -> None:
    for name, value in (("alpha", alpha), ("beta", beta)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 0.5:
            raise ParameterError(f"{name}: must be a number between 0 and 0.5, not {value!r}")


def ris_binary(pc: float, rrr: float, alpha: float = 0.05, beta: float = 0.2) -> float:
    """Unrounded RIS (total participants) for a binary outcome."""
    check_error_rates(alpha, beta)
    if not 0 < pc < 1:
        raise ParameterError(f"control_event_proportion: must lie strictly between 0 and 1, not {pc!r}")
    pe = pc * (1 - rrr)
    if rrr == 0 or not 0 < pe < 1:
        raise ParameterError(f"rrr: {rrr!r} with control proportion {fmt.as_printed(pc)} gives an intervention proportion of {fmt.as_printed(pe)}; "
                             "it must differ from the control and lie strictly between 0 and 1")
    pbar = (pc + pe) / 2
    return 4 * _z(alpha, beta) ** 2 * pbar * (1 - pbar) / (pc - pe) ** 2


def ris_two_proportions(p1: float, p2: float, alpha: float = 0.05, beta: float = 0.2) -> float:
    """Unrounded RIS for telling two proportions apart (a head-to-head trial)."""
    check_error_rates(alpha, beta)
    pbar = (p1 + p2) / 2
    return 4 * _z(alpha, beta) ** 2 * pbar * (1 - pbar) / (p1 - p2) ** 2


def ris_continuous(mird: float, sd: float, alpha: float = 0.05, beta: float = 0.2) -> float:
    """Unrounded RIS (total participants) for a continuous outcome."""
    check_error_rates(alpha, beta)
    if not mird or not math.isfinite(mird):
        raise ParameterError(f"mird: the minimal relevant difference must be a non-zero number, not {mird!r}")
    if not sd or sd <= 0:
        raise ParameterError(f"sd: must be a positive number, not {sd!r}")
    return 4 * _z(alpha, beta) ** 2 * sd**2 / mird**2


def participants(ris: float) -> int:
    """Whole participants: rounded up (a small tolerance keeps 100.0000000001 at 100)."""
    return int(math.ceil(ris - 1e-9))


def diversity(yi, vi, method: str = "DL") -> float:
    """D² = 1 - v_F / v_R (0 when there is one trial or no between-trial variance)."""
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    if len(yi) < 2:
        return 0.0
    v_fixed = pool(yi, vi, method="FE").se ** 2
    v_random = pool(yi, vi, method=method).se ** 2
    return max(0.0, 1 - v_fixed / v_random)


def adjusted(ris: float, d2: float) -> float:
    if not 0 <= d2 < 1:
        raise ParameterError(f"d2: diversity must lie in [0, 1), not {d2!r}")
    return ris / (1 - d2)
