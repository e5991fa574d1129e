"""The TSA figure as reviewers know it: cumulative participants on x, the Z-curve, ±1.96, the alpha-spending
and futility boundaries, and the required information size marked."""

from __future__ import annotations

import numpy as np

from baclofen_evidence import group_sequential as gs
from baclofen_evidence.plots import plt  # styled once there: deterministic SVG
from baclofen_evidence import formatting as fmt

Z_CAP = 8.0
BOUNDARY = "#b2182b"
FUTILITY = "#2166ac"
CURVE = "#111111"


def _bounds(tsa):
    """The bounds at the looks the boundaries were computed at (the actual looks, then the RIS): drawn
    there and joined by straight lines, not on a finer grid, which would be a design with other looks."""
    b = gs.boundaries(tsa.design, tsa.inputs.alpha, tsa.inputs.beta)
    return np.asarray(tsa.design), b


def figure(tsa, title: str | None = None):
    fig, ax = plt.subplots(figsize=(9, 5.6))
    grid, b = _bounds(tsa)
    x = grid * tsa.ris_adjusted
    eff = np.where(np.isfinite(b.efficacy) & (b.efficacy <= Z_CAP), b.efficacy, np.nan)
    ax.plot(x, eff, color=BOUNDARY, lw=1.8, marker="s", ms=4, label="Alpha-spending boundary (O'Brien-Fleming)")
    ax.plot(x, -eff, color=BOUNDARY, lw=1.8, marker="s", ms=4)
    fut = np.where(np.isfinite(b.futility), b.futility, np.nan)
    ax.plot(x, fut, color=FUTILITY, lw=1.4, ls="--", marker="v", ms=4, label="Futility boundary (non-binding beta spending)")
    ax.plot(x, -fut, color=FUTILITY, lw=1.4, ls="--", marker="^", ms=4)
    ax.axhline(1.96, color="#777777", lw=1, ls=":", label="Conventional ±1.96")
    ax.axhline(-1.96, color="#777777", lw=1, ls=":")
    ax.axhline(0, color="#bbbbbb", lw=0.8)
    xs = [0.0] + [look.cumulative_participants for look in tsa.looks]
    zs = [0.0] + [max(-Z_CAP, min(Z_CAP, look.z)) for look in tsa.looks]
    ax.plot(xs, zs, color=CURVE, lw=2, marker="o", ms=5, label=f"Cumulative Z-curve ({tsa.inputs.method} random effects)"
            if tsa.inputs.method != "FE" else "Cumulative Z-curve (fixed effect)")
    for look in tsa.looks:
        ax.annotate(look.label, (look.cumulative_participants, max(-Z_CAP, min(Z_CAP, look.z))), textcoords="offset points",
                    xytext=(4, 6), fontsize=7, color="#333333")
    ax.axvline(tsa.ris_adjusted, color="#444444", lw=1.2, ls="-.")
    ax.text(tsa.ris_adjusted, Z_CAP * 0.92, f"RIS {fmt.count(tsa.ris_adjusted)} ", fontsize=9, va="top", ha="right")
    right = max(tsa.ris_adjusted, tsa.accrued) * 1.08
    ax.set_xlim(0, right)
    ax.set_ylim(-Z_CAP, Z_CAP)
    ax.set_xlabel("Cumulative number of participants")
    favour = "below 0 favours baclofen" if tsa.better == "lower" else "above 0 favours baclofen"
    ax.set_ylabel(f"Cumulative Z ({favour})")
    ax.set_title(title or f"Trial sequential analysis: {tsa.outcome_label}")
    ax.legend(loc="lower left" if tsa.better == "higher" else "upper left", fontsize=8, frameon=True)
    fig.tight_layout()
    return fig
