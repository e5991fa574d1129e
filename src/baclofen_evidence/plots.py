"""Figures for the reports: RevMan-style forest plots, the evidence map, dose-response, costs, claims.

Every function returns a matplotlib Figure and draws nothing at random, so two renders give the
same PNG and SVG bytes (``style()`` fixes the SVG hash salt and drops dates from file metadata).
``save()`` writes a figure as PNG and SVG into a report's figure folder, atomically.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

from baclofen_evidence import domain  # noqa: E402
from baclofen_evidence import formatting as fmt  # noqa: E402
from baclofen_evidence.files import STAGE_ENV, atomic_write  # noqa: E402

DIRECTION_COLOURS = {
    "favours_baclofen": "#1b7837",
    "mixed": "#d9a400",
    "no_difference": "#6c6c6c",
    "favours_control": "#b2182b",
    "uncontrolled_improvement": "#67a9cf",
    "not_applicable": "#c2c2c2",
}
VERDICT_COLOURS = {"consistent": "#1b7837", "identified": "#a6dba0", "overstated": "#d9a400", "inconsistent": "#b2182b",
                   "unverifiable": "#9e9e9e", "depends_on_identification": "#c2a5cf"}
DESIGN_MARKERS = {
    "rct": "o", "quasi_randomized": "p", "open_label": "s", "observational_cohort": "D", "retrospective_review": "P", "case_series": "X",
    "case_report": "^", "human_laboratory": "v", "preclinical_animal": "*", "news_anecdote": "h", "registered_unreported": "d",
}
SQUARE = "#2b5c8a"
ROUTE_MARKS = {"reported_estimate": " †", "converted": " ‡"}
DIAMOND = "#111111"


def style() -> None:
    """Deterministic, readable defaults for every figure."""
    sns.set_theme(style="whitegrid", context="notebook")
    matplotlib.rcParams.update({
        "svg.hashsalt": "baclofen-evidence",
        "svg.fonttype": "path",
        "figure.dpi": 100,
        "savefig.dpi": 110,
        "font.family": "DejaVu Sans",
        "axes.titleweight": "bold",
        # Labels come from the data: "$" in a study label must print as "$", not start (or break) mathtext.
        "text.parse_math": False,
    })


style()


PNG_METADATA = {"Software": None}
SVG_METADATA = {"Date": None, "Creator": None}


def save(fig: plt.Figure, name: str, directory: Path | str | None) -> bytes:
    """Write `name`.png and `name`.svg into `directory` (created if needed), each atomically.

    Returns the PNG bytes, so a notebook can show the very image it saved without drawing it twice.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata=PNG_METADATA, bbox_inches="tight")
    png = buffer.getvalue()
    if directory is None:
        return png
    directory = Path(os.environ.get(STAGE_ENV) or directory)
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write(directory / f"{name}.png", png)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata=SVG_METADATA, bbox_inches="tight")
    atomic_write(directory / f"{name}.svg", buffer.getvalue())
    return png


def _effect_column(est: float, lo: float, hi: float, ratio: bool) -> str:
    """Two decimals, one for a mean difference in tens: the column keeps its width."""
    return fmt.bracketed(est, lo, hi, 2 if ratio or max(abs(est), abs(lo), abs(hi)) < 10 else 1)


def _p_text(p: float) -> str:
    return "P" + fmt.p_value(p)[1:]  # RevMan's capital P


# ---------------------------------------------------------------- forest plots


def forest(ma, title: str | None = None) -> plt.Figure:
    """RevMan-style forest plot of a MetaAnalysis (see meta_analysis.MetaAnalysis)."""
    s = ma.studies.reset_index(drop=True)
    k = len(s)
    res = ma.result
    binary = ma.kind == "binary"
    to = ma.scale
    rows = k + (3 if res is not None else 0)
    height = 1.6 + 0.34 * (rows + 3)
    fig = plt.figure(figsize=(12.5, height))
    grid = fig.add_gridspec(1, 3, width_ratios=[5.4, 4.2, 3.0], wspace=0.02, left=0.02, right=0.98)
    left, mid, right = (fig.add_subplot(grid[0, i]) for i in range(3))
    top = k + 1.2
    y = np.arange(k, 0, -1, dtype=float)
    for ax in (left, right):
        ax.set_xlim(0, 1)
        ax.axis("off")
    for ax in (left, mid, right):
        ax.set_ylim(-3.6 if res is not None else 0.2, top + 0.6)
    treat_head, ctrl_head = ("Baclofen", "Placebo" if ma.comparator == "placebo" else "Comparator")
    left.text(0.0, top, "Study", weight="bold", va="center")
    if binary:
        left.text(0.62, top, f"{treat_head}\nevents/total", weight="bold", ha="center", va="center", fontsize=9)
        left.text(0.86, top, f"{ctrl_head}\nevents/total", weight="bold", ha="center", va="center", fontsize=9)
    elif ma.kind == "overview":
        left.text(0.62, top, "Participants", weight="bold", ha="center", va="center", fontsize=9)
        left.text(0.86, top, "Route", weight="bold", ha="center", va="center", fontsize=9)
    else:
        left.text(0.62, top, f"{treat_head}\nmean (SD) n", weight="bold", ha="center", va="center", fontsize=9)
        left.text(0.86, top, f"{ctrl_head}\nmean (SD) n", weight="bold", ha="center", va="center", fontsize=9)
    right.text(0.02, top, "Weight", weight="bold", va="center", fontsize=9.5)
    right.text(0.36, top, f"{ma.measure} [95% CI]", weight="bold", va="center", fontsize=9.5)
    for yi_, row in zip(y, s.itertuples()):
        label = row.label if ma.mode == "combined" else f"{row.label}, {fmt.as_printed(row.dose_mg_day)} mg"
        left.text(0.0, yi_, label + ("" if row.route == "arm_level" else ROUTE_MARKS[row.route]), va="center", fontsize=9.5)
        if row.route != "arm_level" or ma.kind == "overview":
            left.text(0.62, yi_, fmt.as_printed(row.participants), ha="center", va="center", fontsize=9.5)
            left.text(0.86, yi_, row.route.replace("_", " ").replace("reported estimate", "reported"), ha="center", va="center", fontsize=8.5)
        elif binary:
            left.text(0.62, yi_, f"{fmt.as_printed(row.ai)}/{fmt.as_printed(row.n1i)}", ha="center", va="center", fontsize=9.5)
            left.text(0.86, yi_, f"{fmt.as_printed(row.ci)}/{fmt.as_printed(row.n2i)}", ha="center", va="center", fontsize=9.5)
        else:
            left.text(0.62, yi_, f"{fmt.number(row.m1i, 1)} ({fmt.number(row.sd1i, 1)}) {fmt.as_printed(row.n1i)}", ha="center", va="center", fontsize=9)
            left.text(0.86, yi_, f"{fmt.number(row.m2i, 1)} ({fmt.number(row.sd2i, 1)}) {fmt.as_printed(row.n2i)}", ha="center", va="center", fontsize=9)
        weight = "" if pd.isna(row.weight) else f"{fmt.number(row.weight, 1)}%"
        right.text(0.02, yi_, weight, va="center", fontsize=9.5)
        right.text(0.36, yi_, _effect_column(to(row.yi), to(row.ci_low), to(row.ci_high), ma.ratio), va="center", fontsize=9.5)
        mid.plot([to(row.ci_low), to(row.ci_high)], [yi_, yi_], color="#333333", lw=1.1, solid_capstyle="butt")
        size = 30 + 3.2 * (row.weight if not pd.isna(row.weight) else 10)
        mid.scatter([to(row.yi)], [yi_], marker="s", s=size, color=SQUARE, zorder=3, edgecolors="none")
    mid.axvline(ma.null_value, color="#222222", lw=0.9)
    lows = list(to(x) for x in s["ci_low"]) if k else [ma.null_value]
    highs = list(to(x) for x in s["ci_high"]) if k else [ma.null_value]
    if res is not None:
        yd = -0.4
        diamond = [(to(res.ci_low), yd), (to(res.estimate), yd + 0.33), (to(res.ci_high), yd), (to(res.estimate), yd - 0.33)]
        mid.add_patch(Polygon(diamond, closed=True, color=DIAMOND, zorder=3))
        total_label = f"Total ({'random' if res.method in ('DL', 'REML', 'PM') else 'fixed'}, 95% CI)"
        left.text(0.0, yd, total_label, weight="bold", va="center", fontsize=9.5)
        if ma.kind == "overview" or (s["route"] != "arm_level").any():
            left.text(0.62, yd, fmt.as_printed(s['participants'].sum()), ha="center", va="center", weight="bold", fontsize=9.5)
        elif binary:
            left.text(0.62, yd, f"{fmt.as_printed(s['ai'].sum())}/{fmt.as_printed(s['n1i'].sum())}", ha="center", va="center", weight="bold", fontsize=9.5)
            left.text(0.86, yd, f"{fmt.as_printed(s['ci'].sum())}/{fmt.as_printed(s['n2i'].sum())}", ha="center", va="center", weight="bold", fontsize=9.5)
        else:
            left.text(0.62, yd, fmt.as_printed(s['n1i'].sum()), ha="center", va="center", weight="bold", fontsize=9.5)
            left.text(0.86, yd, fmt.as_printed(s['n2i'].sum()), ha="center", va="center", weight="bold", fontsize=9.5)
        right.text(0.02, yd, "100.0%", va="center", weight="bold", fontsize=9.5)
        right.text(0.36, yd, _effect_column(to(res.estimate), to(res.ci_low), to(res.ci_high), ma.ratio), va="center", weight="bold", fontsize=9.5)
        lows.append(to(res.ci_low)), highs.append(to(res.ci_high))
        if res.method in ("DL", "REML", "PM") and res.k >= 3:
            ypi = -1.15
            mid.plot([to(res.pi_low), to(res.pi_high)], [ypi, ypi], color="#8c2d04", lw=2.2, solid_capstyle="butt")
            left.text(0.0, ypi, "95% prediction interval", va="center", fontsize=9, style="italic")
            right.text(0.36, ypi, f"[{fmt.number(to(res.pi_low))}, {fmt.number(to(res.pi_high))}]", va="center", fontsize=9, style="italic")
            lows.append(to(res.pi_low)), highs.append(to(res.pi_high))
        footer = (f"Heterogeneity: Tau² = {fmt.significant(res.tau2)}; Chi² = {fmt.number(res.q)}, df = {res.q_df} ({_p_text(res.q_p)}); I² = {fmt.number(res.i2, 0)}%\n"
                  f"Test for overall effect: {'t' if res.hksj else 'Z'} = {fmt.number(abs(res.stat))} ({_p_text(res.p)})")
        if (s["route"] != "arm_level").any():
            footer += "\n† the trial's own estimate; ‡ converted (routes in the table)"
        left.text(0.0, -2.6, footer, va="center", fontsize=8.8)
    lo, hi = min(lows + [ma.null_value]), max(highs + [ma.null_value])
    if ma.ratio:
        lo, hi = max(lo, 1e-3), min(hi, 1e3)
        span = math.log10(hi) - math.log10(lo)
        mid.set_xscale("log")
        mid.set_xlim(10 ** (math.log10(lo) - 0.08 * span - 0.05), 10 ** (math.log10(hi) + 0.08 * span + 0.05))
        log_axis(mid, "x", *mid.get_xlim())
    else:
        span = hi - lo or 1.0
        mid.set_xlim(lo - 0.08 * span, hi + 0.08 * span)
    mid.set_yticks([])
    mid.grid(False)
    for side in ("top", "right", "left"):
        mid.spines[side].set_visible(False)
    fav_left, fav_right = ma.favours()
    mid.set_xlabel(f"{fav_left}   ⟵   ⟶   {fav_right}", fontsize=9)
    fig.suptitle(title or f"{ma.outcome_label}: {ma.model_name()}", x=0.02, ha="left", fontsize=12, weight="bold")
    return fig


def subgroup_forest(sg, ma) -> plt.Figure:
    """Comparisons grouped by dose band, each band with its own pooled diamond."""
    studies = sg.studies
    groups = sg.groups.set_index("band")
    lines = []  # (kind, label, estimate, low, high, weight)
    for band in groups.index:
        for r in studies[studies["band"] == band].itertuples():
            lines.append(("study", f"{r.label}, {fmt.as_printed(r.dose_mg_day)} mg", ma.scale(r.yi), ma.scale(r.ci_low), ma.scale(r.ci_high)))
        g = groups.loc[band]
        lines.append(("diamond", f"Subtotal {band} (k = {int(g['k'])})", g["estimate"], g["ci_low"], g["ci_high"]))
    if ma.result is not None:
        r = ma.result
        lines.append(("total", "Overall (all trials, merged arms)", ma.scale(r.estimate), ma.scale(r.ci_low), ma.scale(r.ci_high)))
    n = len(lines)
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.38 * n))
    labels = []
    for i, (kind, label, est, lo, hi) in enumerate(lines):
        y = n - i
        labels.append(label)
        if kind == "study":
            ax.plot([lo, hi], [y, y], color="#333333", lw=1.1)
            ax.scatter([est], [y], marker="s", color=SQUARE, s=40, zorder=3)
        else:
            colour = DIAMOND if kind == "total" else "#6a51a3"
            ax.add_patch(Polygon([(lo, y), (est, y + 0.3), (hi, y), (est, y - 0.3)], closed=True, color=colour, zorder=3))
    ax.set_yticks(range(n, 0, -1))
    ax.set_yticklabels(labels, fontsize=8.5)
    ax.axvline(ma.null_value, color="#222222", lw=0.9)
    values = [v for line in lines for v in line[2:]]
    if ma.ratio:
        log_axis(ax, "x", min(values) / 1.3, max(values) * 1.3, RATIO_TICKS[2:-2])
    ax.set_ylim(0.3, n + 0.7)
    fav_left, fav_right = ma.favours()
    ax.set_xlabel(f"{ma.measure} (95% CI)    {fav_left} ⟵  ⟶ {fav_right}")
    ax.set_title(f"{ma.outcome_label} by dose band (threshold {fmt.dose(sg.threshold)})")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def log_axis(ax, axis: str, low: float, high: float, ticks=RATIO_TICKS) -> None:
    """A log-scaled ratio (or dose) axis whose ticks are the round values between `low` and `high`, labelled
    as printed (0.5, 2): matplotlib's own log labels would be mathtext, which is off because labels come from data."""
    getattr(ax, f"set_{axis}scale")("log")
    shown = [t for t in ticks if low <= t <= high]
    getattr(ax, f"set_{axis}ticks")(shown)
    getattr(ax, f"set_{axis}ticklabels")([fmt.as_printed(t) for t in shown])
    ax.minorticks_off()


def cumulative_forest(table: pd.DataFrame, ma) -> plt.Figure:
    """Cumulative meta-analysis by year: the pooled estimate after each study is added."""
    k = len(table)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.42 * max(k, 1)))
    y = np.arange(k, 0, -1)
    ax.hlines(y, table["ci_low"], table["ci_high"], color="#333333", lw=1.2)
    ax.scatter(table["estimate"], y, marker="D", color=DIAMOND, s=36, zorder=3)
    ax.set_yticks(y)
    ax.set_yticklabels([f"+ {r.label} (k = {r.k})" for r in table.itertuples()])
    ax.axvline(ma.null_value, color="#222222", lw=0.9)
    if ma.ratio:
        log_axis(ax, "x", table["ci_low"].min() / 1.5, table["ci_high"].max() * 1.5, RATIO_TICKS[3:-2])
    fav_left, fav_right = ma.favours()
    ax.set_xlabel(f"{ma.measure} (95% CI)    {fav_left} ⟵  ⟶ {fav_right}")
    ax.set_title(f"Cumulative meta-analysis by year: {ma.outcome_label}")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def funnel(ma) -> plt.Figure:
    s = ma.studies
    se = np.sqrt(s["vi"])
    fig, ax = plt.subplots(figsize=(6.5, 5))
    center = ma.result.estimate
    top = float(se.max()) * 1.1
    grid = np.linspace(0, top, 50)
    ax.plot(center - 1.96 * grid, grid, color="#888888", ls="--", lw=1)
    ax.plot(center + 1.96 * grid, grid, color="#888888", ls="--", lw=1)
    ax.axvline(center, color="#222222", lw=1)
    ax.scatter(s["yi"], se, color=SQUARE, zorder=3)
    ax.invert_yaxis()
    ax.set_xlabel(f"{ma.measure}{' (log scale)' if ma.ratio else ''}")
    ax.set_ylabel("Standard error")
    ax.set_title(f"Funnel plot: {ma.outcome_label}")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- evidence map


def evidence_map(studies: pd.DataFrame) -> plt.Figure:
    """Every study on year x maximum dose: size = n, colour = direction, marker = design."""
    data = studies[studies["dose_max_mg_day"].notna() & studies["year"].notna()].copy()
    data["year"] = data["year"].astype(int)
    data["n"] = data["n_randomized"].fillna(1).astype(float)
    fig, ax = plt.subplots(figsize=(11, 6.2))
    sns.scatterplot(
        data=data, x="year", y="dose_max_mg_day", hue="direction", style="design", size="n",
        hue_order=[d for d in DIRECTION_COLOURS if d in set(data["direction"])], palette=DIRECTION_COLOURS,
        style_order=[d for d in DESIGN_MARKERS if d in set(data["design"])], markers=DESIGN_MARKERS,
        sizes=(40, 700), alpha=0.85, edgecolor="#222222", linewidth=0.6, ax=ax,
    )
    label_max = domain.US_SPASTICITY_LABEL_MAX_MG_DAY
    ax.axhline(label_max, color="#8c2d04", ls="--", lw=1)
    ax.text(data["year"].min() - 0.5, label_max * 1.05, f"{fmt.dose(label_max)}: US spasticity label maximum", color="#8c2d04",
            fontsize=9)
    for r in data.itertuples():
        ax.annotate(r.label, (r.year, r.dose_max_mg_day), xytext=(5, 4), textcoords="offset points", fontsize=7.5, color="#333333")
    ax.set_xlabel("Year of report")
    ax.set_ylabel("Target or maximum baclofen dose (mg/day)")
    log_axis(ax, "y", 0, math.inf, (10, 20, 30, 50, 80, 100, 150, 200, 300, 600))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title("Evidence map: every study with a known dose")
    fig.tight_layout()
    return fig


def mention_matrix(matrix: pd.DataFrame) -> plt.Figure:
    """Sources x studies: 2 = named, 1 = alluded to, 0 = not mentioned."""
    fig, ax = plt.subplots(figsize=(min(2.5 + 0.42 * matrix.shape[1], 16), 1.8 + 0.5 * matrix.shape[0]))
    cmap = matplotlib.colors.ListedColormap(["#f7f7f7", "#9ecae1", "#08519c"])
    sns.heatmap(matrix, cmap=cmap, vmin=-0.5, vmax=2.5, linewidths=0.5, linecolor="#dddddd", cbar=False, ax=ax, square=False)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=60, labelsize=8)
    ax.tick_params(axis="y", labelrotation=0, labelsize=8)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    handles = [matplotlib.patches.Patch(color="#08519c", label="named"), matplotlib.patches.Patch(color="#9ecae1", label="alluded to")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    ax.set_title("Which source mentions which study")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- dose-response


def dose_point_label(label: str, plotted: float, target: float) -> str:
    """A point's label names the dose it is plotted at; the arm's target or maximum too when the mean achieved differs."""
    if plotted == target:
        return f"{label} ({fmt.dose(plotted)})"
    return f"{label} (mean {fmt.dose(plotted)}; target {fmt.dose(target)})"


def dose_response(dr, threshold: float = domain.DEFAULT_DOSE_THRESHOLD_MG_DAY) -> plt.Figure:
    """Effect against dose; the fitted line spans only the doses the trials used, and the dashed line is the
    report's own threshold (the label maximum is marked separately when the two differ)."""
    ma = dr.analysis
    s = ma.studies
    fig, ax = plt.subplots(figsize=(9, 5.5))
    tau2 = dr.fit.tau2 if dr.fit else 0.0
    w = 1 / (s["vi"] + tau2)
    sizes = 60 + 900 * w / w.max()
    y = [ma.scale(v) for v in s["yi"]]
    ax.scatter(s["dose_for_regression"], y, s=sizes, color=SQUARE, alpha=0.55, edgecolor="#222222", zorder=3)
    middle = (s["dose_for_regression"].min() + s["dose_for_regression"].max()) / 2
    for r, yy in zip(s.itertuples(), y):
        right = r.dose_for_regression > middle  # labels of the highest doses go to the left, inside the axes
        ax.annotate(dose_point_label(r.label, r.dose_for_regression, r.dose_mg_day), (r.dose_for_regression, yy),
                    xytext=(-8 if right else 6, 5), textcoords="offset points", fontsize=7.5, ha="right" if right else "left")
    if dr.fit is not None:
        grid = np.linspace(s["dose_for_regression"].min(), s["dose_for_regression"].max(), 200)
        fit, lo, hi = dr.fit.predict(grid)
        ax.plot(grid, [ma.scale(v) for v in fit], color=DIAMOND, lw=1.5, label="meta-regression (REML), over the doses used")
        ax.fill_between(grid, [ma.scale(v) for v in lo], [ma.scale(v) for v in hi], color="#999999", alpha=0.25, label="95% CI")
    ax.axhline(ma.null_value, color="#222222", lw=0.8)
    ax.axvline(threshold, color="#8c2d04", ls="--", lw=1, label=f"threshold of this report: {fmt.dose(threshold)}"
               + (" (US spasticity label maximum)" if threshold == domain.US_SPASTICITY_LABEL_MAX_MG_DAY else ""))
    if threshold != domain.US_SPASTICITY_LABEL_MAX_MG_DAY:
        ax.axvline(domain.US_SPASTICITY_LABEL_MAX_MG_DAY, color="#555555", ls=":", lw=1,
                   label=f"US spasticity label maximum: {fmt.dose(domain.US_SPASTICITY_LABEL_MAX_MG_DAY)}")
    if ma.ratio:
        log_axis(ax, "y", min(y) / 2, max(y) * 2, RATIO_TICKS[3:-3])
    ax.set_xlabel("Baclofen dose (mg/day): the trial's mean achieved dose where reported, else the arm's target")
    ax.set_ylabel(f"{ma.measure}, baclofen vs {ma.comparator}")
    ax.set_title(f"Dose-response: {ma.outcome_label}")
    ax.legend(loc="best", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- costs and claims


def cost_ranges(table: pd.DataFrame, currency: str) -> plt.Figure:
    """Each study's drug cost per patient from the cheapest to the dearest price (columns drug_cost_low/high)."""
    data = table.dropna(subset=["drug_cost_low", "drug_cost_high"]).sort_values("drug_cost_high")
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.32 * max(len(data), 1)))
    y = np.arange(len(data))
    ax.hlines(y, data["drug_cost_low"], data["drug_cost_high"], color=SQUARE, linewidth=3)
    ax.plot(data["drug_cost_low"], y, "o", color=SQUARE, markersize=4)
    ax.plot(data["drug_cost_high"], y, "o", color=SQUARE, markersize=4)
    ax.set_yticks(y, data["label"])
    ax.set_xscale("log")
    # With mathtext off (labels come from the data), the default log ticks would print as "$\\mathdefault{10^{2}}$".
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: fmt.significant(v)))
    ax.minorticks_off()
    ax.set_xlabel(f"Drug cost per patient, cheapest to dearest price ({currency}, log scale)")
    for yy, lo, hi in zip(y, data["drug_cost_low"], data["drug_cost_high"]):
        ax.text(hi * 1.08, yy, fmt.money_range(lo, hi, currency, digits=2), va="center", fontsize=8)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def verdict_bars(verdicts: pd.DataFrame, source_labels: dict[str, str]) -> plt.Figure:
    counts = verdicts.groupby(["source_id", "verdict"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=[v for v in VERDICT_COLOURS if v in counts.columns], fill_value=0)
    counts.index = [source_labels.get(i, i) for i in counts.index]
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.55 * max(len(counts), 1)))
    left = np.zeros(len(counts))
    for verdict in counts.columns:
        ax.barh(counts.index, counts[verdict], left=left, color=VERDICT_COLOURS[verdict], label=verdict)
        left += counts[verdict].to_numpy()
    ax.set_xlabel("Number of claims")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    ax.set_title("Verdicts on the sources' claims")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig
