"""GOSH (graphical display of study heterogeneity; Olkin, Dahabreh & Trikalinos 2012): the model fitted
to every subset of the studies, vectorized over subsets.

Subsets are rows of a boolean mask matrix (n_subsets x k). Every statistic is a row reduction over
that matrix, so one numpy expression fits thousands of subsets at once. τ² for REML and PM is the
root of an estimating equation solved for all rows together by Newton steps kept inside a per-row
bracket (a step leaving the bracket is replaced by bisection), rows frozen as they converge:

* REML: the REML score Σw²(y-μ)² - (Σw - Σw²/Σw) = 0 near the restricted likelihood's highest
  point (a grid scan finds it: the likelihood can have a second mode, and τ² = 0 can beat an interior
  root, which metafor checks too);
* PM: the generalised Q, Σw(y-μ)² = k - 1 (pooling.tau2_pm).

A row whose iteration does not converge within ``max_iter`` steps is returned with ``converged``
False and NaN statistics, never a silent value. FE and DL are closed forms. Per subset: k, estimate,
SE, τ², I², H² and Q, defined as metafor's gosh() gives them (rma.uni's definitions, see pooling.py,
except H² under DL: Q/df).

Subsets are numbered 1 .. 2^k - 1, bit j of the number marking study j, so a range of numbers is a
chunk of the enumeration that any worker can rebuild from two integers. Above ``max_subsets``
(metafor's default, 10^6) a seeded random sample is drawn instead, as metafor's gosh() does: a subset
size from Binomial(k, 1/2) restricted to at least 1, then that many studies at random (with
replacement across draws). Chunks run on any concurrent.futures-style executor: inline, a process
pool (the default for large jobs), or a Dask distributed client.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

METHODS = ("FE", "DL", "REML", "PM")
MAX_SUBSETS = 10**6  # metafor's gosh() default: all subsets up to this many, a random sample above
CHUNK = 2**14  # rows per task: big enough to amortise numpy's per-call cost, small enough for cache and memory
INLINE_LIMIT = 2**18  # below this many subsets a process pool costs more to start (≈ 1 s: workers import numpy and pandas) than it saves
MAX_ITER = 200
XTOL = 1e-12  # as pooling.TAU2_TOL: τ² to 1e-12, well inside the 1e-6 agreement with metafor
SEED = 20120101  # fixed, so a sampled GOSH gives the same subsets on every run
MAX_ENUMERABLE_K = 62  # subset numbers are int64


# ---------------------------------------------------------------- subsets


def total_subsets(k: int) -> int:
    return 2**k - 1


def masks_from_numbers(numbers: np.ndarray, k: int) -> np.ndarray:
    """Subset numbers (bit j = study j) to a boolean mask matrix."""
    return ((numbers[:, None] >> np.arange(k, dtype=np.int64)) & 1).astype(bool)


def sample_masks(k: int, n: int, seed: int | Sequence[int]) -> np.ndarray:
    """n random non-empty subsets the way metafor's gosh() draws them (size ~ Binomial(k, 1/2) given >= 1)."""
    rng = np.random.default_rng(seed)
    sizes = np.arange(1, k + 1)
    p = np.array([math.comb(k, m) for m in sizes], dtype=float)
    size = rng.choice(sizes, size=n, p=p / p.sum())
    # The `size` smallest of k uniform keys are a uniformly random subset of that size.
    keys = rng.random((n, k))
    ranks = keys.argsort(axis=1).argsort(axis=1)
    return ranks < size[:, None]


@dataclass(frozen=True)
class Chunk:
    """Work for one task: a range of subset numbers, or n sampled subsets from a seed."""

    start: int = 0
    stop: int = 0
    n: int = 0
    seed: tuple[int, ...] = ()

    @property
    def sampled(self) -> bool:
        return bool(self.seed)

    def masks(self, k: int) -> np.ndarray:
        if self.sampled:
            return sample_masks(k, self.n, list(self.seed))
        return masks_from_numbers(np.arange(self.start, self.stop, dtype=np.int64), k)


def plan(k: int, max_subsets: int = MAX_SUBSETS, chunk: int = CHUNK, seed: int = SEED) -> tuple[list[Chunk], bool]:
    """The chunks of a GOSH run and whether it is exhaustive (every subset) or a random sample."""
    if k < 1:
        raise ValueError("GOSH needs at least one study")
    if max_subsets < 2:
        raise ValueError(f"max_subsets must be at least 2, not {max_subsets}")
    total = total_subsets(k) if k <= MAX_ENUMERABLE_K else math.inf
    if total <= max_subsets:
        return [Chunk(start, min(start + chunk, total + 1)) for start in range(1, total + 1, chunk)], True
    n_chunks = -(-max_subsets // chunk)
    # Each chunk has its own child seed, so the sample does not depend on which worker runs what.
    children = np.random.SeedSequence(seed).spawn(n_chunks)
    chunks = []
    for i, child in enumerate(children):
        n = min(chunk, max_subsets - i * chunk)
        chunks.append(Chunk(n=n, seed=(seed, *child.spawn_key)))
    return chunks, False


# ---------------------------------------------------------------- τ² solvers, all rows at once


def _reml_score(tau2, y, v, m):
    """The REML score (twice the derivative of the restricted log-likelihood) and its derivative in τ²."""
    w = m / (v + tau2[:, None])
    w1, w2, w3 = w.sum(1), (w * w).sum(1), (w**3).sum(1)
    mu = (w * y).sum(1) / w1
    wr = w * (y - mu[:, None])
    a = (wr * wr).sum(1)  # Σ w² r²
    b = (wr * wr * w).sum(1)  # Σ w³ r²
    c = (wr * w).sum(1)  # Σ w² r
    score = a - w1 + w2 / w1
    slope = -2 * b + 2 * c * c / w1 + w2 - 2 * w3 / w1 + (w2 / w1) ** 2
    return score, slope


def _pm_score(tau2, y, v, m):
    """Generalised Q minus its expectation k - 1, and its derivative in τ²."""
    w = m / (v + tau2[:, None])
    mu = (w * y).sum(1) / w.sum(1)
    wr2 = w * (y - mu[:, None]) ** 2
    return wr2.sum(1) - (m.sum(1) - 1), -(w * wr2).sum(1)


SCORES = {"REML": _reml_score, "PM": _pm_score}


def _reml_loglik(tau2, y, v, m):
    """The restricted log-likelihood, up to a constant."""
    w = m / (v + tau2[:, None])
    w1 = w.sum(1)
    mu = (w * y).sum(1) / w1
    logdet = (m * np.log(v + tau2[:, None])).sum(1)
    return -0.5 * (logdet + np.log(w1) + (w * (y - mu[:, None]) ** 2).sum(1))


def _reml_score_sign(tau2, y, v, m):
    """The REML score alone (the grid scan needs only its sign): fewer passes than _reml_score."""
    w = m / (v + tau2[:, None])
    w1 = w.sum(1)
    mu = np.einsum("ij,ij->i", w, np.broadcast_to(y, w.shape)) / w1
    wr = w * (y - mu[:, None])
    return np.einsum("ij,ij->i", wr, wr) - w1 + np.einsum("ij,ij->i", w, w) / w1


GRID = 48  # points of the REML score scan, from hi·1e-12 to hi: about 1.8 times apart


def _reml_bracket(y, v, m, hi):
    """A bracket around the highest interior mode of the restricted likelihood.

    The REML likelihood can have a mode at τ² = 0 and another inside, even where the score is
    negative at 0. metafor climbs by Fisher scoring from the Hedges (HE) estimate and then keeps
    τ² = 0 if that is higher (its ll0check). Here the score is scanned on a grid from 0 to hi that
    also holds the HE estimate: every step from positive to negative brackets an interior mode (so
    the one metafor climbs to is among them), and where there are several, the one with the highest
    likelihood at its ends is kept. Rows without one get the bracket [0, 0], so τ² = 0.
    """
    n = len(m)
    k = m.sum(1)
    mean = (m * y).sum(1) / k
    he = np.maximum(0.0, ((m * (y - mean[:, None]) ** 2).sum(1) - (k - 1) / k * (m * v).sum(1)) / (k - 1))
    grid = np.concatenate([np.zeros((n, 1)), hi[:, None] * np.logspace(-12, 0, GRID)[None, :],
                           np.minimum(he, hi)[:, None]], axis=1)
    grid.sort(axis=1)
    score = np.stack([_reml_score_sign(grid[:, j], y, v, m) for j in range(grid.shape[1])], axis=1)
    down = (score[:, :-1] > 0) & (score[:, 1:] <= 0)
    best = down.argmax(1)  # the first crossing; rows with several are settled by the likelihood below
    several = np.flatnonzero(down.sum(1) > 1)
    if several.size:
        ll = np.stack([_reml_loglik(grid[several, j], y, v, m[several]) for j in range(grid.shape[1])], axis=1)
        height = np.where(down[several], np.maximum(ll[:, :-1], ll[:, 1:]), -np.inf)
        best[several] = height.argmax(1)
    found = down.any(1)
    r = np.arange(n)
    return np.where(found, grid[r, best], 0.0), np.where(found, grid[r, best + 1], 0.0)


def solve_tau2(method: str, y: np.ndarray, v: np.ndarray, m: np.ndarray, max_iter: int = MAX_ITER,
               xtol: float = XTOL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """τ² for every row of the mask matrix m; returns (tau2, converged, iterations).

    PM: the generalised Q falls monotonically, so its single root is bracketed by [0, hi] (hi:
    10 var(y), widened tenfold until Q - (k-1) turns negative) and 0 is the answer where the
    function starts at or below 0. REML: the bracket is narrowed first to the neighbourhood of the
    likelihood's highest point (see _reml_bracket), and τ² = 0 is kept where it beats the interior
    root. Within the bracket, Newton steps fall back on bisection whenever a step would leave it.
    """
    score = SCORES[method]
    n = m.shape[0]
    tau2 = np.zeros(n)
    converged = np.ones(n, dtype=bool)
    iterations = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(m.sum(1) > 1)
    if rows.size == 0:
        return tau2, converged, iterations
    mr = m[rows]
    kr = mr.sum(1)
    mean = (mr * y).sum(1) / kr
    hi = np.maximum(1.0, 10 * (mr * (y - mean[:, None]) ** 2).sum(1) / kr)  # pooling._root's upper bound
    s_hi, _ = score(hi, y, v, mr)
    for _ in range(60):  # 10^60 past any variance on a log or natural scale
        wide = s_hi > 0
        if not wide.any():
            break
        hi[wide] *= 10
        s_hi[wide] = score(hi[wide], y, v, mr[wide])[0]
    bounded = ~(s_hi > 0)
    lo = np.zeros(rows.size)
    if method == "REML":
        lo, hi = _reml_bracket(y, v, mr, hi)
    s_lo, _ = score(lo, y, v, mr)
    # Where the function is <= 0 at the bracket's lower end 0, τ² = 0; elsewhere a root lies inside.
    inner = bounded & (s_lo > 0)
    # Start from the DerSimonian-Laird value where it is inside the bracket: close to the root, so
    # Newton rarely needs the bisection fallback.
    w = mr / v
    w1 = w.sum(1)
    mu = (w * y).sum(1) / w1
    dl = ((w * (y - mu[:, None]) ** 2).sum(1) - (kr - 1)) / (w1 - (w * w).sum(1) / w1)
    x = np.where((dl > lo) & (dl < hi), dl, (lo + hi) / 2)
    active = np.flatnonzero(inner)
    done = ~inner & bounded
    steps = np.zeros(rows.size, dtype=np.int64)
    for _ in range(max_iter):
        if active.size == 0:
            break
        xa = x[active]
        s, ds = score(xa, y, v, mr[active])
        steps[active] += 1
        pos = s > 0
        lo[active] = np.where(pos, xa, lo[active])
        hi[active] = np.where(pos, hi[active], xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - s / ds
        la, ha = lo[active], hi[active]
        inside = np.isfinite(newton) & (newton > la) & (newton < ha)
        nxt = np.where(inside, newton, (la + ha) / 2)
        tol = xtol + 4 * np.finfo(float).eps * np.abs(nxt)
        fin = (np.abs(nxt - xa) <= tol) | (s == 0) | (ha - la <= tol)
        x[active] = np.where(s == 0, xa, nxt)
        done[active[fin]] = True
        active = active[~fin]
    out = np.where(inner, x, 0.0)
    if method == "REML":  # metafor's ll0check: the boundary wins where its likelihood is higher
        zero = np.zeros(rows.size)
        out = np.where(inner & (_reml_loglik(zero, y, v, mr) > _reml_loglik(out, y, v, mr)), 0.0, out)
    tau2[rows] = np.where(done, out, np.nan)
    converged[rows] = done
    iterations[rows] = steps
    return tau2, converged, iterations


# ---------------------------------------------------------------- fits


COLUMNS = ("k", "estimate", "se", "tau2", "i2", "h2", "q", "converged", "iterations")


def fit(yi: np.ndarray, vi: np.ndarray, masks: np.ndarray, method: str = "REML", max_iter: int = MAX_ITER) -> dict[str, np.ndarray]:
    """Every statistic for every row of the mask matrix, as metafor's rma.uni(yi, vi, subset = row) gives it."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    y = np.asarray(yi, dtype=float)[None, :]
    v = np.asarray(vi, dtype=float)[None, :]
    m = np.asarray(masks, dtype=bool)
    mf = m.astype(float)
    k = m.sum(1)
    df = k - 1
    wf = mf / v
    w1 = wf.sum(1)
    w2 = (wf * wf).sum(1)
    mu_fe = (wf * y).sum(1) / w1
    q = (wf * (y - mu_fe[:, None]) ** 2).sum(1)
    converged = np.ones(len(m), dtype=bool)
    iterations = np.zeros(len(m), dtype=np.int64)
    multi = k > 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "FE":
            tau2 = np.zeros(len(m))
        elif method == "DL":
            tau2 = np.where(multi, np.maximum(0.0, (q - df) / (w1 - w2 / w1)), 0.0)
        else:
            tau2, converged, iterations = solve_tau2(method, y, v, mf, max_iter=max_iter)
        w = mf / (v + np.nan_to_num(tau2)[:, None])
        sw = w.sum(1)
        estimate = (w * y).sum(1) / sw
        se = 1 / np.sqrt(sw)
        if method in ("FE", "DL"):
            # For DL, τ²/(τ² + s²) equals (Q - df)/Q; H² is Q/df, as metafor's gosh() fast path gives it
            # (rma.uni's DL fit says 1 where Q < df).
            i2 = np.where(multi & (q > 0), np.maximum(0.0, 100 * (q - df) / q), 0.0)
            h2 = np.where(multi, q / df, 1.0)
        else:
            s2 = df * w1 / (w1**2 - w2)
            i2 = np.where(multi, 100 * tau2 / (tau2 + s2), 0.0)
            h2 = np.where(multi, (tau2 + s2) / s2, 1.0)
    bad = ~converged
    for arr in (estimate, se, i2, h2):
        arr[bad] = np.nan
    return {"k": k, "estimate": estimate, "se": se, "tau2": tau2, "i2": i2, "h2": h2, "q": q,
            "converged": converged, "iterations": iterations}


def fit_chunk(yi, vi, method: str, chunk: Chunk, max_iter: int = MAX_ITER) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One task: rebuild the chunk's masks and fit them. Returns packed masks (8 studies a byte) and the fits."""
    masks = chunk.masks(len(yi))
    return np.packbits(masks, axis=1), fit(yi, vi, masks, method, max_iter)


# ---------------------------------------------------------------- the run


@dataclass
class GoshResult:
    method: str
    studies: list[str]
    exhaustive: bool  # every subset, or a random sample of them
    masks: np.ndarray  # n_subsets x k, bool
    stats: pd.DataFrame  # one row per subset, COLUMNS
    seed: int | None = None
    max_subsets: int = MAX_SUBSETS
    executor: str = "inline"

    @property
    def k(self) -> int:
        return len(self.studies)

    @property
    def n_subsets(self) -> int:
        return len(self.stats)

    @property
    def n_unconverged(self) -> int:
        return int((~self.stats["converged"]).sum())

    def members(self, sep: str = ";") -> list[str]:
        """Each subset's study ids joined by `sep`."""
        ids = np.asarray(self.studies, dtype=object)
        return [sep.join(ids[row]) for row in self.masks]

    def table(self) -> pd.DataFrame:
        """One row per subset: members, then the statistics (what `gosh --format csv` prints)."""
        out = self.stats.copy()
        out.insert(0, "members", self.members())
        return out

    def description(self) -> str:
        what = (f"all {self.n_subsets:,} subsets of the {self.k} studies" if self.exhaustive else
                f"a random sample of {self.n_subsets:,} of the {total_subsets(self.k):,} subsets of the {self.k} studies "
                f"(seed {self.seed}; sizes drawn as metafor's gosh() draws them)")
        return f"{self.method} fitted to {what}"


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def executor_for(where: str | None, workers: int | None = None):
    """An executor by name: None or "auto" (run() chooses), "inline", "process", or a Dask scheduler
    address (tcp://host:port), whose distributed Client takes the chunks as a process pool would."""
    if where in (None, "auto", "inline"):
        yield None if where != "inline" else _Inline()
    elif where == "process":
        import multiprocessing

        with cf.ProcessPoolExecutor(workers or default_workers(), mp_context=multiprocessing.get_context("forkserver")) as ex:
            yield ex
    else:
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("a Dask scheduler address needs the optional extra `cluster` (dask, distributed)") from None
        with Client(where) as client:
            yield client


class _Inline(cf.Executor):
    """Runs each task at once in this process (the executor interface without workers)."""

    def submit(self, fn, /, *args, **kwargs):
        future = cf.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def run(yi, vi, studies: Sequence[str] | None = None, method: str = "REML", max_subsets: int = MAX_SUBSETS,
        seed: int = SEED, executor: cf.Executor | object | None = None, chunk: int = CHUNK,
        max_iter: int = MAX_ITER, workers: int | None = None) -> GoshResult:
    """GOSH: the model fitted to every subset of the studies (a random sample above ``max_subsets``).

    ``executor``: None picks inline execution for small jobs and a process pool of ``workers`` (default:
    the number of cores) above INLINE_LIMIT subsets; otherwise anything with ``submit(fn, *args)``
    returning futures with ``result()``: a concurrent.futures executor or a dask.distributed Client.
    """
    yi, vi = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    k = len(yi)
    if len(vi) != k:
        raise ValueError("yi and vi differ in length")
    if not (np.all(np.isfinite(yi)) and np.all(np.isfinite(vi)) and np.all(vi > 0)):
        raise ValueError("yi must be finite and vi finite and positive")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    studies = [str(s) for s in studies] if studies is not None else [str(i + 1) for i in range(k)]
    chunks, exhaustive = plan(k, max_subsets, chunk, seed)
    n = sum((c.stop - c.start) if not c.sampled else c.n for c in chunks)
    own = None
    if executor is None and n > INLINE_LIMIT and (workers or default_workers()) > 1:
        import multiprocessing

        # forkserver: a fork of a process with threads (a Jupyter kernel) is unsafe.
        own = executor = cf.ProcessPoolExecutor(workers or default_workers(), mp_context=multiprocessing.get_context("forkserver"))
    try:
        if executor is None:
            parts = [fit_chunk(yi, vi, method, c, max_iter) for c in chunks]
            used = "inline"
        else:
            futures = [executor.submit(fit_chunk, yi, vi, method, c, max_iter) for c in chunks]
            parts = [f.result() for f in futures]
            used = "inline" if isinstance(executor, _Inline) else type(executor).__name__
    finally:
        if own is not None:
            own.shutdown()
    masks = np.unpackbits(np.concatenate([p[0] for p in parts]), axis=1, count=k).astype(bool)
    stats = pd.DataFrame({c: np.concatenate([p[1][c] for p in parts]) for c in COLUMNS})
    return GoshResult(method, studies, exhaustive, masks, stats, None if exhaustive else seed, max_subsets, used)


# ---------------------------------------------------------------- which studies matter


def influence(res: GoshResult, min_k: int = 2) -> pd.DataFrame:
    """For each study: the subsets that contain it against those that do not.

    Measure: the difference in mean estimate (and in mean I²) between subsets with the study and
    subsets without it, over converged subsets of at least ``min_k`` studies. Over all subsets every
    other study is equally often present in both groups, so the difference is the study's own pull.
    """
    ok = res.stats["converged"].to_numpy() & (res.stats["k"].to_numpy() >= min_k)
    est = res.stats["estimate"].to_numpy()[ok]
    i2 = res.stats["i2"].to_numpy()[ok]
    m = res.masks[ok]
    rows = []
    for j, sid in enumerate(res.studies):
        inn, out = m[:, j], ~m[:, j]
        rows.append({"study": sid, "subsets_with": int(inn.sum()), "subsets_without": int(out.sum()),
                     "mean_estimate_with": est[inn].mean() if inn.any() else np.nan,
                     "mean_estimate_without": est[out].mean() if out.any() else np.nan,
                     "mean_i2_with": i2[inn].mean() if inn.any() else np.nan,
                     "mean_i2_without": i2[out].mean() if out.any() else np.nan})
    table = pd.DataFrame(rows)
    table["shift_estimate"] = table["mean_estimate_with"] - table["mean_estimate_without"]
    table["shift_i2"] = table["mean_i2_with"] - table["mean_i2_without"]
    return table


def most_influential(table: pd.DataFrame, column: str, n: int = 3) -> pd.DataFrame:
    return table.reindex(table[column].abs().sort_values(ascending=False, kind="stable").index).head(n)
