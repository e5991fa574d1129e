"""Figures of the robustness report: GOSH plots and the specification curve.

GOSH plots are hexbin densities, not scatters: at 65,535 subsets single points merge into a blot,
while counts per hexagon (log colour scale) keep the clusters legible at any number of subsets.
Deterministic like every figure of the project (plots.style()).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm

from baclofen_evidence import plots  # noqa: F401  (applies the project's deterministic style)
from baclofen_evidence.gosh import GoshResult
from baclofen_evidence import formatting as fmt

CMAP = "viridis"
WITH, WITHOUT = "#b2182b", "#2b5c8a"


def _hexbin(ax, x, y, gridsize: int = 30):
    # Rasterized: the SVG then holds one image for the hexagons instead of a path for each.
    return ax.hexbin(x, y, gridsize=gridsize, cmap=CMAP, norm=LogNorm(), mincnt=1, linewidths=0, rasterized=True)


def gosh_panels(results: dict[str, GoshResult], xlabel: str, title: str) -> plt.Figure:
    """Estimate (x) against I² (y), one panel per model, density of subsets of at least 2 trials."""
    n = len(results)
    cols = min(n, 2)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.0 * rows), squeeze=False)
    for ax, (name, res) in zip(axes.flat, results.items()):
        s = res.stats[res.stats["converged"] & (res.stats["k"] >= 2)]
        hb = _hexbin(ax, s["estimate"], s["i2"])
        fig.colorbar(hb, ax=ax, label="subsets per hexagon")
        ax.axvline(0, color="#444", lw=0.8, ls="--")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("I² (%)")
        ax.set_ylim(-2, 102)
        ax.set_title(f"{name}: {fmt.count(len(s))} subsets" + ("" if res.exhaustive else " (random sample)"), fontsize=10)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def gosh_by_trial(res: GoshResult, labels: dict[str, str], xlabel: str, title: str) -> plt.Figure:
    """Per trial: the estimates of subsets containing it against those without it (densities)."""
    s = res.stats
    ok = (s["converged"] & (s["k"] >= 2)).to_numpy()
    est = s["estimate"].to_numpy()[ok]
    m = res.masks[ok]
    k = res.k
    cols = 3
    rows = -(-k // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.1 * rows), squeeze=False, sharex=True)
    lo, hi = np.nanmin(est), np.nanmax(est)
    bins = np.linspace(lo, hi, 50) if hi > lo else 10
    for j, ax in enumerate(axes.flat):
        if j >= k:
            ax.set_visible(False)
            continue
        inn, out = est[m[:, j]], est[~m[:, j]]
        # Outlined histograms (one path each, not a bar per bin): light to draw and to store as SVG.
        for vals, colour, label in ((out, WITHOUT, "without"), (inn, WITH, "with")):
            if len(vals):
                counts, edges = np.histogram(vals, bins=bins, density=True)
                ax.stairs(counts, edges, color=colour, fill=True, alpha=0.35)
                ax.stairs(counts, edges, color=colour, lw=1.0, label=label)
        for vals, colour in ((out, WITHOUT), (inn, WITH)):
            if len(vals):
                ax.axvline(np.mean(vals), color=colour, lw=1.5)
        ax.axvline(0, color="#444", lw=0.8, ls="--")
        ax.set_yticks([])
        ax.set_title(labels.get(res.studies[j], res.studies[j]), fontsize=9)
        if j == 0:
            ax.legend(fontsize=8, frameon=False)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def specification_curve(specs: pd.DataFrame, dimensions: dict[str, list], title: str) -> plt.Figure:
    """Estimates sorted with their CIs (top) and, beneath, which choice each specification made."""
    s = specs.sort_values("estimate", kind="stable").reset_index(drop=True)
    x = np.arange(len(s))
    n_rows = sum(len(v) for v in dimensions.values())
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 4.2 + 0.16 * n_rows), sharex=True,
                                      gridspec_kw={"height_ratios": [3.2, 0.16 * n_rows + 0.4]})
    sig = s["ci_excludes_null"].to_numpy()
    colour = np.where(sig, "#1b7837", "#8c8c8c")
    top.vlines(x, s["ci_low"], s["ci_high"], colors=colour, lw=0.6, alpha=0.6)
    top.scatter(x, s["estimate"], c=colour, s=6, zorder=3)
    top.axhline(0, color="#444", lw=0.8, ls="--")
    if "default" in s and s["default"].any():
        d = int(np.flatnonzero(s["default"].to_numpy())[0])
        top.scatter([d], [s["estimate"].iloc[d]], marker="D", s=40, facecolor="none", edgecolor="black", zorder=4,
                    label="default analysis")
        top.legend(loc="upper left", fontsize=8, frameon=False)
    # HKSJ intervals of two-trial analyses (t with 1 df) are very wide; cut them rather than flatten every other curve.
    lo, hi = np.nanpercentile(s["ci_low"], 5), np.nanpercentile(s["ci_high"], 95)
    pad = 0.1 * (hi - lo)
    top.set_ylim(min(lo, 0) - pad, max(hi, 0) + pad)
    top.set_ylabel("SMD (95% CI)\n> 0 favours baclofen")
    top.text(1.0, -0.02, "intervals beyond the axis are cut", transform=top.transAxes, ha="right", va="top", fontsize=7, color="#555")
    top.set_title(title, fontsize=11)
    ticks, labels, row = [], [], 0
    for dim, levels in dimensions.items():
        for level in levels:
            hit = (s[dim].astype(str) == str(level)).to_numpy()
            bottom.scatter(x[hit], np.full(hit.sum(), row), marker="|", s=30, c=colour[hit], lw=0.8)
            ticks.append(row)
            labels.append(f"{dim}: {level}")
            row += 1
        bottom.axhline(row - 0.5, color="#ccc", lw=0.6)
    bottom.set_yticks(ticks)
    bottom.set_yticklabels(labels, fontsize=7)
    bottom.set_ylim(row - 0.5, -0.5)
    bottom.set_xlabel(f"{len(s)} specifications, sorted by estimate (green: 95% CI excludes no effect)")
    bottom.grid(False)
    fig.tight_layout()
    return fig
