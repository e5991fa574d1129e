"""Sections of notebooks/dose_response.ipynb: does a higher dose do better?"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import dose_response as dr
from baclofen_evidence import plots
from baclofen_evidence.parameters import require_number
from baclofen_evidence.headline import publish_headline
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, md, note, table
from baclofen_evidence import formatting as fmt


@dataclass
class Report:
    outcome: str = "abstinence"
    measure: str | None = None
    dose_threshold: float = 80.0
    exclude: list | None = None
    data_dir: str | None = None
    figures_dir: str | None = None

    def __post_init__(self):
        self.ev = evidence(self.data_dir)
        self.figs = figures_folder(self.figures_dir, "dose_response")
        require_number("dose_threshold", self.dose_threshold, optional=False)
        self.result = dr.dose_response(self.ev, self.outcome, self.measure, exclude=self.exclude or [])

    def headline(self) -> None:
        fit, ma = self.result.fit, self.result.analysis
        if fit is None:
            publish_headline(f"Dose-response for {ma.outcome_label}: not estimable ({self.result.reason})")
            return
        unit = f"log {ma.measure}" if ma.ratio else ma.measure
        publish_headline(f"{ma.outcome_label}: slope {fmt.signed(100 * fit.slope, 3)} {unit} per 100 mg/day "
                         f"(95% CI {fmt.signed(100 * fit.slope_ci_low, 3)} to {fmt.signed(100 * fit.slope_ci_high, 3)}); permutation {fmt.p_value(self.result.permutation_p)}")

    def method(self) -> None:
        bullets([
            "Model: mixed-effects meta-regression of the effect on dose, residual τ² by REML, z-tests (R metafor's rma with mods = ~ dose).",
            "Each baclofen arm is a point: trials with two doses contribute two comparisons, their control group shared out evenly.",
            "Dose: the trial's mean achieved dose for its top arm where reported, else the arm's target or maximum.",
            "Permutation test: dose values permuted across comparisons and the model refitted; exact when there are at most 5,040 permutations, otherwise 5,000 random permutations from a fixed seed.",
            f"The dashed line marks {fmt.dose(self.dose_threshold)}, the maximum dose in the US spasticity label and France's authorised maximum for alcohol.",
        ])

    def bubble(self) -> None:
        res = self.result
        if res.analysis.studies.empty:
            md(f"No data: {esc(res.analysis.reason_not_pooled)}.")
            return
        figure(plots.dose_response(res, self.dose_threshold), "dose_response", self.figs, alt="Effect against dose")
        if res.fit is None:
            md(f"No regression line: {esc(res.reason)}.")

    def slope(self) -> None:
        res, fit = self.result, self.result.fit
        if fit is None:
            md(f"Slope not estimable: {esc(res.reason)}.")
            return
        ma = res.analysis
        scale = f"log {ma.measure}" if ma.ratio else ma.measure
        rows = [("Comparisons", f"{fit.k}"),
                (f"Slope ({scale} per 100 mg/day)", fmt.signed(100 * fit.slope, 4)),
                ("95% CI", f"{fmt.signed(100 * fit.slope_ci_low, 4)} to {fmt.signed(100 * fit.slope_ci_high, 4)}"),
                ("Wald P", fmt.p_only(fit.slope_p)),
                (f"Permutation P ({'exact, ' if res.exact else ''}{fmt.count(res.n_permutations)} permutations)", fmt.p_only(res.permutation_p)),
                ("Residual τ²", fmt.significant(fit.tau2))]
        if ma.ratio:
            rows.insert(2, (f"{ma.measure} per extra 100 mg/day", fmt.number(math.exp(100 * fit.slope), 3)))
        table(pd.DataFrame(rows, columns=["Statistic", "Value"]), caption=f"Meta-regression of {ma.outcome_label} on dose")

    def within_trials(self) -> None:
        c = dr.within_trial_contrasts(self.ev)
        if c.empty:
            md("No trial randomized patients to two or more baclofen doses.")
            return
        frame = pd.DataFrame({
            "Trial": c["label"], "Doses (mg/day)": [f"{fmt.as_printed(lo)} vs {fmt.as_printed(hi)}" for lo, hi in zip(c["low_dose"], c["high_dose"])],
            "Outcome": c["outcome"].fillna("no arm-level outcome data in the package"),
            "Low dose arm": c["low_arm"], "High dose arm": c["high_arm"],
            "High vs low (95% CI)": [("" if pd.isna(e) else f"{m} {fmt.number(e)} ({fmt.number(lo)} to {fmt.number(hi)})")
                                     for m, e, lo, hi in zip(c["measure"], c["high_vs_low"], c["ci_low"], c["ci_high"])],
        })
        table(frame, caption="Within-trial contrasts: high versus low dose, randomized within the same trial")
        note("Within-trial contrasts compare doses without confounding by trial population, so they speak more directly to "
             "dose-response than the between-trial regression; the studies' own conclusions are in the evidence map report.")
