"""Group-sequential boundaries at unequally spaced information fractions (the arithmetic of TSA).

Efficacy: Lan-DeMets alpha spending of the O'Brien-Fleming type, two-sided and symmetric, spending
alpha/2 per side: cumulative two-sided spend α(t) = 4 (1 - Φ(z_{1-α/4} / √t)), reaching α at t = 1
(rpact typeOfDesign "asOF", sided = 2; RTSA esOF(alpha/2, t), which RTSA describes as the TSA
program's). The bounds ignore futility (non-binding futility).

Futility: non-binding beta spending of the O'Brien-Fleming type, b(t) = 2 (1 - Φ(z_{1-β/2} / √t)),
computed as rpact's two-sided beta spending does (typeBetaSpending "bsOF", bindingFutility FALSE,
betaAdjustment TRUE): under the alternative, with a drift chosen so that the inner (futility) wedge
meets the efficacy bound at the last look; looks where the one-sided design would have a negative
futility bound get none, and the spending is rescaled over the remaining looks.

Probabilities come from the recursive integration of Armitage, McPherson and Rowe (Jennison &
Turnbull 2000, ch. 19) over Gauss-Legendre nodes; roots from brentq. Pinned to R rpact to 1e-6
(tests/test_rpact_reference.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import optimize, stats

NODES = 96  # Gauss-Legendre nodes per interval: the probabilities converge far below 1e-9 with this many
TAIL = 12.0  # beyond 12 SD from its mean a sub-density is below 1e-32: intervals are cut there
MAX_BOUND = 8.0  # as rpact: a bound above 8 (one-sided spend below ~1e-15) cannot be reached in practice
XTOL = 1e-12
_GL_X, _GL_W = leggauss(NODES)


def alpha_spent(alpha: float, t) -> np.ndarray:
    """Cumulative two-sided alpha spent at fractions t (Lan-DeMets O'Brien-Fleming, alpha/2 per side)."""
    t = np.asarray(t, dtype=float)
    return 4 * stats.norm.sf(stats.norm.isf(alpha / 4) / np.sqrt(t))


def beta_spent(beta: float, t) -> np.ndarray:
    """Cumulative beta spent at fractions t (O'Brien-Fleming type beta spending)."""
    t = np.asarray(t, dtype=float)
    return 2 * stats.norm.sf(stats.norm.isf(beta / 2) / np.sqrt(t))


def _check_fractions(t) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or len(t) == 0 or np.any(t <= 0) or np.any(t > 1) or np.any(np.diff(t) <= 0):
        raise ValueError(f"information fractions must increase strictly within (0, 1]; got {list(t)}")
    return t


@dataclass
class _Stage:
    """What carries over from one look to the next: nodes in the continuation region and their mass."""

    y: np.ndarray
    mass: np.ndarray  # quadrature weight x sub-density at y


def _clip(intervals, centre: float) -> list[tuple[float, float]]:
    out = []
    for a, b in intervals:
        a, b = max(a, centre - TAIL), min(b, centre + TAIL)
        if b > a:
            out.append((a, b))
    return out


class _Walk:
    """The Z statistic's path under drift `shift` (E Z_k = shift √t_k), look by look."""

    def __init__(self, t: np.ndarray, shift: float = 0.0):
        self.t, self.shift = t, shift
        self.prev: _Stage | None = None
        self.k = 0

    def _cdf(self, z: float) -> float | np.ndarray:
        """P(reach look k, Z_k <= z) for the current look k (before any stopping at it)."""
        t, k, s = self.t, self.k, self.shift
        if k == 0:
            return stats.norm.cdf(z - s * math.sqrt(t[0]))
        d = t[k] - t[k - 1]
        arg = (z * math.sqrt(t[k]) - self.prev.y * math.sqrt(t[k - 1]) - s * d) / math.sqrt(d)
        return float(np.sum(self.prev.mass * stats.norm.cdf(arg)))

    def prob(self, a: float, b: float) -> float:
        """P(reach look k with Z_k in (a, b))."""
        if b <= a:
            return 0.0
        return float(self._cdf(b) - self._cdf(a)) if math.isfinite(b) or math.isfinite(a) else float(self._cdf(math.inf) - self._cdf(-math.inf))

    def _density(self, z: np.ndarray) -> np.ndarray:
        t, k, s = self.t, self.k, self.shift
        if k == 0:
            return stats.norm.pdf(z - s * math.sqrt(t[0]))
        d = t[k] - t[k - 1]
        arg = (z[:, None] * math.sqrt(t[k]) - self.prev.y[None, :] * math.sqrt(t[k - 1]) - s * d) / math.sqrt(d)
        return math.sqrt(t[k] / d) * (stats.norm.pdf(arg) @ self.prev.mass)

    def advance(self, continuation) -> None:
        """Keep the paths whose Z_k lies in the continuation intervals and move to look k + 1."""
        ys, ms = [], []
        for a, b in _clip(continuation, self.shift * math.sqrt(self.t[self.k])):
            half = (b - a) / 2
            y = a + half * (_GL_X + 1)
            ys.append(y)
            ms.append(half * _GL_W * self._density(y))
        self.prev = _Stage(np.concatenate(ys) if ys else np.zeros(0), np.concatenate(ms) if ms else np.zeros(0))
        self.k += 1


def _root(fn, lo: float, hi: float) -> float:
    flo, fhi = fn(lo), fn(hi)
    if flo == 0:
        return lo
    if fhi == 0:
        return hi
    if np.sign(flo) == np.sign(fhi):
        return lo if abs(flo) < abs(fhi) else hi
    return float(optimize.brentq(fn, lo, hi, xtol=XTOL, rtol=4 * np.finfo(float).eps, maxiter=500))


def efficacy_bounds(t, alpha: float = 0.05) -> np.ndarray:
    """Two-sided symmetric efficacy bounds c_k (|Z_k| >= c_k rejects) at fractions t; inf where unreachable."""
    t = _check_fractions(t)
    spent = alpha_spent(alpha, t)
    bounds = np.full(len(t), np.inf)
    walk = _Walk(t)
    crossed = 0.0
    for k in range(len(t)):
        if k == 0:
            c = float(stats.norm.isf(spent[0] / 2))
        else:
            reach = walk.prob(-math.inf, math.inf)  # paths still running at look k
            excess = (lambda c, reach=reach: crossed + reach - walk.prob(-c, c) - spent[k])
            c = _root(excess, 0.0, MAX_BOUND)
        bounds[k] = c if c < MAX_BOUND else np.inf
        cap = min(c, MAX_BOUND)
        reach = walk.prob(-math.inf, math.inf)
        crossed += reach - walk.prob(-cap, cap)
        walk.advance([(-cap, cap)])
    return bounds


def _one_sided_futility(t, crit, beta: float, shift: float) -> tuple[np.ndarray, float]:
    """Futility bounds of the one-sided design (Z_k < f_k stops), for rpact's test of which looks can
    carry a two-sided futility bound at all; also how far the wedge is from closing at the last look
    (beta spent with f_K = c_K, minus beta: zero at the drift that closes it)."""
    spend = beta_spent(beta, t)
    walk = _Walk(t, shift)
    bounds = np.zeros(len(t))
    spent = 0.0
    for k in range(len(t)):
        c = min(crit[k], MAX_BOUND)
        if k == len(t) - 1:
            gap = spent + walk.prob(-math.inf, c) - spend[k]
            f = _root(lambda f: spend[k] - spent - walk.prob(-math.inf, f), -6.0, c)
            bounds[k] = min(f, crit[k])
            return bounds, gap
        f = min(_root(lambda f: spend[k] - spent - walk.prob(-math.inf, f), -6.0, c), crit[k])
        bounds[k] = f
        spent += walk.prob(-math.inf, f)
        walk.advance([(f, c)])
    return bounds, 0.0


def _two_sided_futility(t, crit, spend, none_before: int, shift: float) -> tuple[np.ndarray, float]:
    """Inner bounds u_k (|Z_k| < u_k stops for futility) for a given drift, and the gap at the last look
    (beta spent with u_K = c_K, minus the spend: zero at the drift that closes the wedge)."""
    walk = _Walk(t, shift)
    bounds = np.zeros(len(t))
    spent = 0.0
    for k in range(len(t)):
        c = min(crit[k], MAX_BOUND)
        if k == len(t) - 1:
            gap = spent + walk.prob(-c, c) - spend[k]
            bounds[k] = _root(lambda u: spend[k] - spent - walk.prob(-u, u), 0.0, c)
            return bounds, gap
        u = 0.0 if k < none_before else _root(lambda u: spend[k] - spent - walk.prob(-u, u), 0.0, c)
        bounds[k] = u
        spent += walk.prob(-u, u)
        walk.advance([(-c, -u), (u, c)])
    return bounds, 0.0


@dataclass
class Boundaries:
    fractions: np.ndarray
    efficacy: np.ndarray  # |Z| >= efficacy rejects H0; inf = not reachable
    futility: np.ndarray  # |Z| < futility: the anticipated effect is rejected; nan = no futility region
    alpha_spent: np.ndarray
    beta_spent: np.ndarray
    shift: float  # drift at t = 1 for which the wedge closes at the last look


def boundaries(t, alpha: float = 0.05, beta: float = 0.2) -> Boundaries:
    """Efficacy and non-binding futility bounds at fractions t (the last is the final look)."""
    t = _check_fractions(t)
    crit = efficacy_bounds(t, alpha)
    spend = beta_spent(beta, t)
    one_sided_shift = _root(lambda s: _one_sided_futility(t, crit, beta, s)[1], 0.0, 10.0)
    one_sided, _ = _one_sided_futility(t, crit, beta, one_sided_shift)
    positive = np.flatnonzero(one_sided > 0)
    first = int(positive[0]) if len(positive) else len(t)
    if 0 < first < len(t):  # rpact's betaAdjustment: what the looks without a bound would spend is spread over the rest
        spend = np.where(np.arange(len(t)) < first, 0.0, (spend - spend[first - 1]) / (spend[-1] - spend[first - 1]) * spend[-1])
    shift = _root(lambda s: _two_sided_futility(t, crit, spend, first, s)[1], 0.0, 10.0)
    fut, _ = _two_sided_futility(t, crit, spend, first, shift)
    fut[-1] = crit[-1]  # the wedge closes at the last look, by the choice of drift
    fut = np.where(fut <= 1e-5, np.nan, fut)
    cum = []
    walk = _Walk(t, shift)
    total = 0.0
    for k in range(len(t)):
        u = 0.0 if np.isnan(fut[k]) else fut[k]
        c = min(crit[k], MAX_BOUND)
        total += walk.prob(-u, u)
        cum.append(total)
        walk.advance([(-c, -u), (u, c)])
    return Boundaries(t, crit, fut, alpha_spent(alpha, t), np.array(cum), shift)
