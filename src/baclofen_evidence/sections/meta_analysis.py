"""Sections of notebooks/meta_analysis.ipynb: pooled effect of baclofen on one outcome."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from baclofen_evidence import meta_analysis as meta
from baclofen_evidence import plots
from baclofen_evidence.parameters import ParameterError, require_number
from baclofen_evidence.headline import publish_headline
from baclofen_evidence.rules import outcome_definitions
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, md, note, table


@dataclass
class Report:
    outcome: str = "abstinence"
    measure: str | None = None
    method: str = "REML"
    hksj: bool = False
    dose_threshold: float = 80.0
    exclude: list | None = None
    comparator: str = "placebo"
    dose_band: str = "all"
    min_duration_weeks: float | None = None
    data_dir: str | None = None
    figures_dir: str | None = None

    def __post_init__(self):
        self.ev = evidence(self.data_dir)
        self.figs = figures_folder(self.figures_dir, f"meta_analysis_{self.outcome}")
        require_number("dose_threshold", self.dose_threshold, optional=False)
        if self.dose_band not in ("all", "low", "high"):
            raise ParameterError(f"dose_band: {self.dose_band!r} is not one of all, low, high")
        self.dose_max = self.dose_threshold if self.dose_band == "low" else None
        self.dose_above = self.dose_threshold if self.dose_band == "high" else None
        self.ma = self._run(self.outcome, self.measure)

    def _run(self, outcome: str, measure: str | None, **overrides) -> meta.MetaAnalysis:
        """This report's analysis of any outcome: the same settings, so every table agrees with the forest plot."""
        settings = dict(method=self.method, hksj=self.hksj, exclude=self.exclude or [], dose_max=self.dose_max,
                        comparator=self.comparator, min_duration_weeks=self.min_duration_weeks, dose_above=self.dose_above)
        settings.update(overrides)
        return meta.run(self.ev, outcome, measure, **settings)

    # -------------------------------------------------------------- helpers

    def _effect(self, est: float, lo: float, hi: float) -> str:
        ma = self.ma
        return f"{ma.measure} {ma.scale(est):.2f} (95% CI {ma.scale(lo):.2f} to {ma.scale(hi):.2f})"

    def _selection_text(self) -> list[str]:
        ma = self.ma
        lines = [f"Outcome: <b>{esc(ma.outcome_label)}</b> ({esc(ma.outcome_id)}); comparator: {esc(ma.comparator)}."]
        if ma.excluded:
            lines.append(f"Excluded on request: {esc(', '.join(ma.excluded))}.")
        if ma.dose_above is not None or ma.dose_min is not None or ma.dose_max is not None:
            lo = (f"above {ma.dose_above:g}" if ma.dose_above is not None
                  else f"from {ma.dose_min:g}" if ma.dose_min is not None else "from 0")
            hi = f"up to {ma.dose_max:g}" if ma.dose_max is not None else "with no upper limit"
            lines.append(f"Only baclofen arms with a target dose {lo} {hi} mg/day (multi-dose trials split by arm, control shared out).")
        if ma.min_duration_weeks is not None:
            lines.append(f"Only trials with at least {ma.min_duration_weeks:g} weeks of treatment.")
        return lines

    # -------------------------------------------------------------- sections

    def headline(self) -> None:
        ma, r = self.ma, self.ma.result
        if r is None:
            text = f"{ma.outcome_label}: not pooled ({ma.reason_not_pooled})"
        else:
            text = (f"{ma.outcome_label}: {self._effect(r.estimate, r.ci_low, r.ci_high)}, "
                    f"{ma.k} comparisons, {ma.n_participants} participants; I² {r.i2:.0f}%")
        publish_headline(text)

    def defaults(self) -> None:
        md("### Analysis settings")
        bullets(self._selection_text() + [esc(line) for line in meta.defaults_text(self.ma)])

    def included(self) -> None:
        ma = self.ma
        if ma.studies.empty:
            md(f"**No data.** {esc(ma.reason_not_pooled)}")
            return
        s = ma.studies
        cols = {"label": "Study", "treatment": "Baclofen group", "control": "Control", "timepoint_weeks": "Week"}
        frame = s[list(cols)].rename(columns=cols)
        if ma.kind == "binary":
            frame["Baclofen events/total"] = [f"{a:g}/{n:g}" for a, n in zip(s["ai"], s["n1i"])]
            frame["Control events/total"] = [f"{c:g}/{n:g}" for c, n in zip(s["ci"], s["n2i"])]
        else:
            frame["Baclofen mean (SD) n"] = [f"{m:.1f} ({sd:.1f}) {n:g}" for m, sd, n in zip(s["m1i"], s["sd1i"], s["n1i"])]
            frame["Control mean (SD) n"] = [f"{m:.1f} ({sd:.1f}) {n:g}" for m, sd, n in zip(s["m2i"], s["sd2i"], s["n2i"])]
        frame["Data from"] = s["source_outcome"]
        frame["Zero-cell correction"] = ["yes" if c else "" for c in s["corrected"]]
        table(frame, caption="Comparisons pooled", formats={"Week": "g"})
        if not ma.dropped.empty:
            note("Left out by the zero-cell rule: " + "; ".join(f"{esc(r.label)} ({esc(r.dropped)})" for r in ma.dropped.itertuples()))

    def forest(self) -> None:
        ma = self.ma
        if ma.studies.empty:
            md(f"No forest plot: {esc(ma.reason_not_pooled)}.")
            return
        figure(plots.forest(ma), "forest", self.figs, alt=f"Forest plot of {ma.outcome_label}")
        if ma.result is None:
            md(f"**Not pooled:** {esc(ma.reason_not_pooled)}.")

    def pooled(self) -> None:
        ma, r = self.ma, self.ma.result
        if r is None:
            md(f"**Not pooled:** {esc(ma.reason_not_pooled)}.")
            return
        rows = [
            ("Comparisons (k)", f"{r.k}"), ("Participants", f"{ma.n_participants}"),
            (f"Pooled {ma.measure} (95% CI)", f"{ma.scale(r.estimate):.3f} ({ma.scale(r.ci_low):.3f} to {ma.scale(r.ci_high):.3f})"),
            (f"{'t' if r.hksj else 'z'}, p", f"{r.stat:.2f}, {r.p:.4f}"),
        ]
        if r.method in meta.METHODS[2:]:
            rows.append(("95% prediction interval", f"{ma.scale(r.pi_low):.3f} to {ma.scale(r.pi_high):.3f}"))
        rows += [("τ², τ", f"{r.tau2:.4f}, {r.tau:.4f}"), ("Q (df), p", f"{r.q:.2f} ({r.q_df}), {r.q_p:.4f}"),
                 ("I², H²", f"{r.i2:.1f}%, {r.h2:.2f}")]
        if ma.ratio:
            rows.append(("Log-scale estimate (SE)", f"{r.estimate:.4f} ({r.se:.4f})"))
        table(pd.DataFrame(rows, columns=["Statistic", "Value"]), caption=ma.model_name())

    def subgroups(self) -> None:
        sg = meta.subgroups_by_dose(self.ev, self.ma, self.dose_threshold)
        if sg.groups.empty:
            md("No subgroup analysis: no comparisons.")
            return
        ma = self.ma
        frame = sg.groups.rename(columns={"band": "Dose band", "k": "Comparisons", "studies": "Trials", "participants": "Participants"})
        frame[f"{ma.measure} (95% CI)"] = [f"{e:.2f} ({lo:.2f} to {hi:.2f})" for e, lo, hi in zip(sg.groups["estimate"], sg.groups["ci_low"], sg.groups["ci_high"])]
        frame["I² (%)"] = [("" if pd.isna(i) else f"{i:.0f}") for i in sg.groups["i2"]]
        table(frame[["Dose band", "Comparisons", "Trials", "Participants", f"{ma.measure} (95% CI)", "I² (%)"]],
              caption=f"Subgroups by arm target dose, threshold {self.dose_threshold:g} mg/day")
        figure(plots.subgroup_forest(sg, ma), "subgroups", self.figs, alt="Subgroup forest plot by dose band")
        if sg.q_between is None:
            md("Test for subgroup differences: not possible (only one dose band has data).")
        else:
            md(f"Test for subgroup differences: Chi² = {sg.q_between:.2f}, df = {sg.df_between} (P = {sg.p_between:.3f}).")

    def leave_one_out(self) -> None:
        ma = self.ma
        if ma.result is None or ma.studies["study_id"].nunique() < 3:
            md("Leave-one-out needs at least 3 trials.")
            return
        loo = meta.leave_one_out(ma)
        frame = pd.DataFrame({
            "Omitted": loo["label"], "k": loo["k"],
            f"{ma.measure} (95% CI)": [f"{e:.2f} ({lo:.2f} to {hi:.2f})" for e, lo, hi in zip(loo["estimate"], loo["ci_low"], loo["ci_high"])],
            "τ²": [f"{t:.3f}" for t in loo["tau2"]], "I² (%)": [f"{i:.0f}" for i in loo["i2"]],
        })
        table(frame, caption="Leave-one-out: the pooled estimate without each trial")

    def cumulative(self) -> None:
        ma = self.ma
        if ma.studies.empty:
            md("No cumulative analysis: no comparisons.")
            return
        cum = meta.cumulative(ma)
        figure(plots.cumulative_forest(cum, ma), "cumulative", self.figs, alt="Cumulative forest plot by year")

    def small_study_effects(self) -> None:
        ma = self.ma
        test = meta.egger(ma) if ma.result is not None else meta.EggerTest(ma.k, reason="not run: nothing pooled")
        if test.reason:
            md(f"Funnel plot and Egger test: {esc(test.reason)}.")
            return
        figure(plots.funnel(ma), "funnel", self.figs, alt="Funnel plot")
        md(f"Egger regression test: intercept {test.intercept:.2f} (SE {test.se:.2f}), P = {test.p:.3f}.")

    def summary_of_findings(self) -> None:
        """GRADE-style table over every outcome with data from at least two trials, with this report's settings."""
        rows = []
        defs = outcome_definitions(self.ev.descriptor)
        for outcome, d in defs.items():
            try:
                ma = self._run(outcome, None)
            except ParameterError:
                continue
            if ma.result is None:
                continue
            r, s = ma.result, ma.studies
            if ma.kind == "binary":
                acr = float(s["ci"].sum() / s["n2i"].sum())
                risk = {"RR": lambda x: acr * math.exp(x), "OR": lambda x: acr * math.exp(x) / (1 - acr + acr * math.exp(x)),
                        "RD": lambda x: acr + x}[ma.measure]
                control = f"{1000 * acr:.0f} per 1000"
                treated = f"{1000 * risk(r.estimate):.0f} per 1000 ({1000 * risk(r.ci_low):.0f} to {1000 * risk(r.ci_high):.0f})"
            else:
                control = f"mean {float(np.average(s['m2i'], weights=s['n2i'])):.1f}"
                treated = f"{ma.measure} {r.estimate:+.2f} ({r.ci_low:+.2f} to {r.ci_high:+.2f})"
            relative = f"{ma.measure} {ma.scale(r.estimate):.2f} ({ma.scale(r.ci_low):.2f} to {ma.scale(r.ci_high):.2f})" if ma.ratio else "—"
            signals = []
            if r.i2 >= 50:
                signals.append(f"inconsistency (I² {r.i2:.0f}%)")
            if r.ci_low <= 0 <= r.ci_high if not ma.ratio else r.ci_low <= 0 <= r.ci_high:
                signals.append("imprecision (CI includes no effect)")
            if ma.kind == "binary" and float(s["ai"].sum() + s["ci"].sum()) < 300:
                signals.append("imprecision (fewer than 300 events)")
            rows.append({"Outcome": d["label"], "Risk or mean with placebo": control, "With baclofen": treated,
                         "Relative effect (95% CI)": relative,
                         "Participants (trials)": f"{ma.n_participants} ({s['study_id'].nunique()})",
                         "Certainty": "not assessed" + (f"; downgrade signals: {', '.join(signals)}" if signals else "")})
        if not rows:
            md("No outcome has data from two or more trials with these settings.")
            return
        table(pd.DataFrame(rows), caption=f"Summary of findings: baclofen vs {self.comparator} ({meta.METHOD_NAMES[self.method]})")
        note("Certainty of evidence is not graded: the data package holds no risk-of-bias, indirectness or publication-bias "
             "judgements, so only the computable signals (inconsistency, imprecision) are shown.")

    def published(self) -> None:
        """Our pooled estimates beside the published ones, with the reasons they differ."""
        pe = self.ev.published_estimates.merge(self.ev.reviews[["review_id", "label"]], on="review_id")
        rows = []
        for r in pe.itertuples():
            ours = "—"
            why = []
            if not pd.isna(r.outcome_id) and r.measure in ("RR", "OR", "RD", "MD", "SMD"):
                try:
                    ma = self._run(r.outcome_id, r.measure)
                except ParameterError as exc:
                    ma = None
                    why.append(str(exc))
                if ma is not None and ma.result is not None:
                    res = ma.result
                    ours = f"{ma.scale(res.estimate):.2f} ({ma.scale(res.ci_low):.2f} to {ma.scale(res.ci_high):.2f}), k = {ma.k}"
                    if not pd.isna(r.k) and int(r.k) != ma.k:
                        why.append(f"different trial set: {ma.k} here vs {int(r.k)} in the review")
                    if (ma.studies["source_outcome"] != r.outcome_id).any():
                        why.append("some trials enter as the complement of abstinence")
                elif ma is not None:
                    why.append(ma.reason_not_pooled)
            if not pd.isna(r.note):
                why.append(r.note)
            rows.append({"Review": r.label, "Outcome": r.outcome, "Measure": r.measure,
                         "Published (95% CI)": f"{r.estimate:g} ({r.ci_low:g} to {r.ci_high:g})" + (f", k = {int(r.k)}" if not pd.isna(r.k) else ""),
                         f"This analysis ({self.method})": ours, "Why they may differ": "; ".join(why)})
        table(pd.DataFrame(rows), caption="Published pooled estimates and ours on the same measure")
