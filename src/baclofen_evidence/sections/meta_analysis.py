"""Sections of notebooks/meta_analysis.ipynb: pooled effect of baclofen on one outcome."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from baclofen_evidence import comparisons as comp
from baclofen_evidence import coverage as cov
from baclofen_evidence import domain
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence import plots
from baclofen_evidence import published
from baclofen_evidence.effect_sizes import BINARY_MEASURES, CONTINUOUS_MEASURES
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.report_parameters import ReportParameters, data_dir_param, figures_dir_param, param
from baclofen_evidence import formatting as fmt
from baclofen_evidence.headline import publish_headline, publish_title
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, lower_first, md, note, table


def subset_label(ma: meta.MetaAnalysis) -> str:
    """What subset of the evidence an analysis covers, in words, for captions and headings."""
    parts = []
    doses = dose_range_words(ma)
    if doses:
        parts.append(f"baclofen arms {doses} only")
    if ma.min_duration_weeks is not None:
        parts.append(f"trials of at least {fmt.as_printed(ma.min_duration_weeks)} weeks")
    if ma.excluded:
        parts.append("without " + ", ".join(ma.excluded))
    for flag, words in (("drop_derived", "without derived counts"), ("drop_weak", "without weak conversions"),
                        ("arm_level_only", "per-arm data only"), ("drop_converted", "without converted results"),
                        ("double_blind_only", "double-blind trials only")):
        if ma.sensitivity.get(flag):
            parts.append(words)
    return "; ".join(parts) if parts else f"every trial with a usable result, baclofen vs {ma.comparator}"


def dose_range_words(ma: meta.MetaAnalysis) -> str | None:
    """The target doses an analysis keeps, in words ('above 80 mg/day', 'at most 80 mg/day', 'from 30 to 80 mg/day');
    None when it keeps every dose."""
    if ma.dose_above is not None:
        low = f"above {fmt.dose(ma.dose_above)}"
    elif ma.dose_min is not None:
        low = f"from {fmt.as_printed(ma.dose_min)}"
    else:
        return f"at most {fmt.dose(ma.dose_max)}" if ma.dose_max is not None else None
    if ma.dose_max is None:
        return low if ma.dose_above is not None else f"of at least {fmt.dose(ma.dose_min)}"
    return f"{low.replace(' mg/day', '')} to {fmt.dose(ma.dose_max)}"


def is_subset(ma: meta.MetaAnalysis) -> bool:
    """True when an analysis covers a subset of the evidence (a dose band, a minimum duration, exclusions, or active
    comparators), so its results must not be read, or compared, as the whole evidence's."""
    return (ma.dose_above is not None or ma.dose_max is not None or ma.dose_min is not None
            or ma.min_duration_weeks is not None or bool(ma.excluded) or ma.comparator != "placebo")


def headline_text(ma: meta.MetaAnalysis) -> str:
    """The index headline: estimate with CI and prediction interval, how much of the evidence it rests
    on, the HKSJ interval when trials are few, and a warning in words when the basis is thin."""
    # A subset's headline says which subset, so the index never shows it as the answer of all the evidence.
    label = f"{ma.outcome_label} ({subset_label(ma)})" if is_subset(ma) else ma.outcome_label
    if ma.result is None:
        return f"{label}: not pooled ({ma.reason_not_pooled})"
    r = ma.result
    c = cov.coverage(ma)
    pi = (f"; 95% prediction interval {fmt.number(ma.scale(r.pi_low))} to {fmt.number(ma.scale(r.pi_high))}"
          if r.method in meta.RANDOM_METHODS else "")
    text = (f"{label}: {ma.measure} {fmt.number(ma.scale(r.estimate))} (95% CI {fmt.number(ma.scale(r.ci_low))} to "
            f"{fmt.number(ma.scale(r.ci_high))}{pi}); {c.sentence()}")
    if ma.k < meta.FEW_TRIALS and not ma.hksj and ma.method != "MH":
        h = meta.rerun(meta.MetaAnalysis(**{**ma.__dict__, "hksj": True}), ma.studies)
        if h is not None:
            text += (f". With the Hartung-Knapp-Sidik-Jonkman adjustment, advised when trials are few (k = {ma.k}), "
                     f"the 95% CI is {fmt.number(ma.scale(h.ci_low))} to {fmt.number(ma.scale(h.ci_high))}")
    if c.thin:
        text += ". It rests on less than half of the participants randomized in these trials"
    return text + "."


@dataclass
class MetaAnalysisReport(ReportParameters):
    """The meta-analysis report: its parameters (declared once, here) and one method per section."""

    CLI_COMMAND = "meta"

    outcome: str = param("abstinence", "outcome id of the data package, e.g. abstinence, relapse, dropout, "
                                       "pct_days_abstinent, primary_drinking (the overview)")
    measure: str | None = param(None, "effect measure: RR, OR, RD (binary) or MD, SMD (continuous); None = RR or MD",
                                choices=(None,) + BINARY_MEASURES + CONTINUOUS_MEASURES)
    method: str = param("REML", "pooling method", choices=meta.METHODS)
    hksj: bool = param(False, "Hartung-Knapp-Sidik-Jonkman adjusted confidence interval")
    dose_threshold: float = param(domain.DEFAULT_DOSE_THRESHOLD_MG_DAY,
                                  "mg/day: arms at or below it are low dose, above it high dose (dose_band, dose subgroups)")
    exclude: list[str] = param([], "study ids to leave out")
    comparator: str = param("placebo", "control group", choices=tuple(comp.CONTROL_ROLES))
    dose_band: str = param("all", "baclofen arms pooled: all; low = at or below dose_threshold; high = above it",
                           choices=domain.DOSE_BANDS)
    min_duration_weeks: float | None = param(None, "keep only trials at least this many weeks long; None = every trial")
    data_dir: str | None = data_dir_param()
    figures_dir: str | None = figures_dir_param()

    def __post_init__(self):
        self.ev = evidence(self.data_dir)
        self.figs = figures_folder(self.figures_dir, f"meta_analysis_{self.outcome}")
        limits = meta.dose_limits(self.dose_band, self.dose_threshold)
        self.dose_max, self.dose_above = limits["dose_max"], limits["dose_above"]
        self.ma = self._run(self.outcome, self.measure)

    def _run(self, outcome: str, measure: str | None, **overrides) -> meta.MetaAnalysis:
        """This report's analysis of any outcome: the same settings, so every table agrees with the forest plot."""
        settings = dict(method=self.method, hksj=self.hksj, exclude=self.exclude or [], dose_max=self.dose_max,
                        comparator=self.comparator, min_duration_weeks=self.min_duration_weeks, dose_above=self.dose_above)
        settings.update(overrides)
        return meta.run(self.ev, outcome, measure, **settings)

    # -------------------------------------------------------------- helpers

    @property
    def restricted(self) -> bool:
        return is_subset(self.ma)

    def _effect(self, est: float, lo: float, hi: float) -> str:
        ma = self.ma
        return fmt.effect(ma.measure, ma.scale(est), ma.scale(lo), ma.scale(hi))

    def _selection_text(self) -> list[str]:
        ma = self.ma
        lines = [f"Outcome: <b>{esc(ma.outcome_label)}</b> ({esc(ma.outcome_id)}); comparator: {esc(ma.comparator)}."]
        if ma.excluded:
            lines.append(f"Excluded on request: {esc(', '.join(ma.excluded))}.")
        doses = dose_range_words(ma)
        if doses:
            lines.append(f"Only baclofen arms with a target dose {doses} (multi-dose trials split by arm, control shared out).")
        if ma.min_duration_weeks is not None:
            lines.append(f"Only trials with at least {fmt.as_printed(ma.min_duration_weeks)} weeks of treatment.")
        return lines

    # -------------------------------------------------------------- sections

    def title(self) -> str:
        """The page's heading, from the parameters (and the data's labels) only, so every variant is named for what it is."""
        d = meta.analysis_outcomes(self.ev.descriptor)[self.outcome]
        kind = "Overview" if d["kind"] == "overview" else "Meta-analysis"
        parts = [lower_first(d["label"])]
        if self.measure is not None:
            parts.append(self.measure)
        if self.dose_band == "high":
            parts.append(f"high-dose arms (> {fmt.dose(self.dose_threshold)})")
        elif self.dose_band == "low":
            parts.append(f"low-dose arms (≤ {fmt.dose(self.dose_threshold)})")
        if self.min_duration_weeks is not None:
            parts.append(f"trials of {fmt.number(self.min_duration_weeks, 0)} weeks or more")
        if self.comparator != "placebo":
            parts.append(f"versus {self.comparator} comparators")
        if self.exclude:
            parts.append("without " + ", ".join(self.exclude))
        if self.method != "REML":
            parts.append(meta.METHOD_NAMES[self.method])
        if self.hksj:
            parts.append("HKSJ interval")
        return f"{kind}: " + ", ".join(parts)

    def headline(self) -> None:
        publish_title(self.title())
        publish_headline(headline_text(self.ma))

    def defaults(self) -> None:
        md(f"### Analysis settings ({esc(subset_label(self.ma))})")
        bullets(self._selection_text() + [esc(line) for line in meta.defaults_text(self.ma)])

    def included(self) -> None:
        ma = self.ma
        if ma.studies.empty:
            md(f"**No data.** {esc(ma.reason_not_pooled)}")
            return
        s = ma.studies
        cols = {"label": "Study", "treatment": "Baclofen group", "control": "Control", "timepoint_weeks": "Week"}
        frame = s[list(cols)].rename(columns=cols)
        arm = s["route"] == "arm_level"
        if ma.kind == "binary":
            frame["Baclofen events/total"] = [f"{fmt.as_printed(a)}/{fmt.as_printed(n)}" if k else "—" for a, n, k in zip(s["ai"], s["n1i"], arm)]
            frame["Control events/total"] = [f"{fmt.as_printed(c)}/{fmt.as_printed(n)}" if k else "—" for c, n, k in zip(s["ci"], s["n2i"], arm)]
        elif ma.kind == "continuous":
            frame["Baclofen mean (SD) n"] = [f"{fmt.number(m, 1)} ({fmt.number(sd, 1)}) {fmt.as_printed(n)}" if k else "—" for m, sd, n, k in zip(s["m1i"], s["sd1i"], s["n1i"], arm)]
            frame["Control mean (SD) n"] = [f"{fmt.number(m, 1)} ({fmt.number(sd, 1)}) {fmt.as_printed(n)}" if k else "—" for m, sd, n, k in zip(s["m2i"], s["sd2i"], s["n2i"], arm)]
        frame["Participants"] = [fmt.as_printed(p) for p in s["participants"]]
        frame[f"{ma.measure} (95% CI)"] = [f"{fmt.number(ma.scale(y))} ({fmt.number(ma.scale(lo))} to {fmt.number(ma.scale(hi))})"
                                           for y, lo, hi in zip(s["yi"], s["ci_low"], s["ci_high"])]
        frame["Data from"] = s["source_outcome"]
        frame["Route"] = [r.replace("_", " ") for r in s["route"]]
        frame["Flags"] = [", ".join(f for f, on in (("derived counts", d), ("weak conversion", w), ("secondary page", sec),
                                                     ("zero-cell correction", z)) if on)
                          for d, w, sec, z in zip(s["derived"].astype(bool), s["weak"].astype(bool), s["secondary"].astype(bool),
                                                  s["corrected"].astype(bool))]
        frame["How the number was reached"] = s["conversion"].fillna("")
        table(frame, caption=f"Comparisons pooled ({subset_label(ma)})", formats={"Week": fmt.as_printed})
        if not ma.dropped.empty:
            note("Left out by the zero-cell rule: " + "; ".join(f"{esc(r.label)} ({esc(r.dropped)})" for r in ma.dropped.itertuples()))

    def coverage(self) -> None:
        """How much of the randomized evidence the pooled result rests on, and every trial in or out."""
        ma = self.ma
        c = cov.coverage(ma)
        md(f"This analysis pools **{esc(c.sentence())}**.")
        if c.thin:
            md("**It rests on less than half of the participants randomized in these trials**: read it as the answer of "
               "the trials that reported this outcome in a usable form, not of the evidence as a whole.")
        if c.randomized_unknown:
            note("Randomized n not in the data for: " + esc(", ".join(c.randomized_unknown)) + " (not counted in the denominator).")
        flow = cov.flow(ma)
        if flow.empty:
            return
        counts = flow["Status"].value_counts()
        md(f"PRISMA-style account: {counts.get('in this analysis', 0)} of {len(flow)} randomized trials in the data package are in; "
           "each one that is not is listed with the reason.")
        table(flow.drop(columns=["study_id"]), caption="Every randomized trial of baclofen for alcohol dependence: in this analysis, or why not",
              formats={"Year": fmt.year, "Randomized": fmt.count})

    def sensitivity(self) -> None:
        """The pooled result without derived counts, without weak conversions, and with per-arm data only."""
        ma = self.ma
        variants = [("Main analysis", {}), ("Without counts derived from percentages", {"drop_derived": True}),
                    ("Without weak conversions" + (" and stand-in outcomes" if ma.kind == "overview" else ""), {"drop_weak": True}),
                    ("Both of the above", {"drop_derived": True, "drop_weak": True})]
        if ma.kind != "overview":
            variants.append(("Per-arm data only (as before study-level results were used)", {"arm_level_only": True}))
        variants.append(("Hartung-Knapp-Sidik-Jonkman CI", {"hksj": True}))
        rows = []
        for name, change in variants:
            m = self._run(ma.outcome_id, ma.measure, **change) if change else ma
            r = m.result
            rows.append({"Analysis": name, "Trials": m.studies["study_id"].nunique() if not m.studies.empty else 0,
                         "Participants": m.n_participants,
                         f"{ma.measure} (95% CI)": "not pooled" if r is None else
                         f"{fmt.number(m.scale(r.estimate))} ({fmt.number(m.scale(r.ci_low))} to {fmt.number(m.scale(r.ci_high))})",
                         "95% prediction interval": "" if r is None or r.method not in meta.RANDOM_METHODS else
                         f"{fmt.number(m.scale(r.pi_low))} to {fmt.number(m.scale(r.pi_high))}"})
        table(pd.DataFrame(rows), caption=f"Sensitivity analyses ({subset_label(ma)})")
        note("Derived counts: events computed from a printed percentage and its denominator. Weak conversions rest on an assumption "
             "beyond the printed numbers: equal group sizes, a z from a p-value alone, a hazard ratio read as an odds ratio"
             + ("; stand-in outcomes are a trial's secondary drinking outcome used where its primary one had no reachable number." if ma.kind == "overview" else "."))

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
            (f"Pooled {ma.measure} (95% CI)", f"{fmt.number(ma.scale(r.estimate), 3)} ({fmt.number(ma.scale(r.ci_low), 3)} to {fmt.number(ma.scale(r.ci_high), 3)})"),
            (f"{'t' if r.hksj else 'z'}, p", f"{fmt.number(r.stat)}, {fmt.p_only(r.p)}"),
        ]
        if r.method in meta.METHODS[2:]:
            rows.append(("95% prediction interval", f"{fmt.number(ma.scale(r.pi_low), 3)} to {fmt.number(ma.scale(r.pi_high), 3)}"))
        rows += [("τ², τ", f"{fmt.significant(r.tau2)}, {fmt.significant(r.tau)}"), ("Q (df), p", f"{fmt.number(r.q)} ({r.q_df}), {fmt.p_only(r.q_p)}"),
                 ("I², H²", f"{fmt.number(r.i2, 1)}%, {fmt.number(r.h2)}")]
        if ma.ratio:
            rows.append(("Log-scale estimate (SE)", f"{fmt.significant(r.estimate, 4)} ({fmt.significant(r.se, 4)})"))
        table(pd.DataFrame(rows, columns=["Statistic", "Value"]), caption=f"{ma.model_name()} ({subset_label(ma)})")

    def subgroups(self) -> None:
        sg = meta.subgroups_by_dose(self.ev, self.ma, self.dose_threshold)
        if sg.groups.empty:
            md("No subgroup analysis: no comparisons.")
            return
        ma = self.ma
        frame = sg.groups.rename(columns={"band": "Dose band", "k": "Comparisons", "studies": "Trials", "participants": "Participants"})
        frame[f"{ma.measure} (95% CI)"] = [f"{fmt.number(e)} ({fmt.number(lo)} to {fmt.number(hi)})" for e, lo, hi in zip(sg.groups["estimate"], sg.groups["ci_low"], sg.groups["ci_high"])]
        frame["I² (%)"] = [("" if pd.isna(i) else fmt.number(i, 0)) for i in sg.groups["i2"]]
        table(frame[["Dose band", "Comparisons", "Trials", "Participants", f"{ma.measure} (95% CI)", "I² (%)"]],
              caption=f"Subgroups by arm target dose, threshold {fmt.dose(self.dose_threshold)}")
        figure(plots.subgroup_forest(sg, ma), "subgroups", self.figs, alt="Subgroup forest plot by dose band")
        if sg.q_between is None:
            md("Test for subgroup differences: not possible (only one dose band has data).")
        else:
            md(f"Test for subgroup differences: Chi² = {fmt.number(sg.q_between)}, df = {sg.df_between} ({fmt.p_value(sg.p_between)}).")

    def leave_one_out(self) -> None:
        ma = self.ma
        if ma.result is None or ma.studies["study_id"].nunique() < 3:
            md("Leave-one-out needs at least 3 trials.")
            return
        loo = meta.leave_one_out(ma)
        frame = pd.DataFrame({
            "Omitted": loo["label"], "k": loo["k"],
            f"{ma.measure} (95% CI)": [f"{fmt.number(e)} ({fmt.number(lo)} to {fmt.number(hi)})" for e, lo, hi in zip(loo["estimate"], loo["ci_low"], loo["ci_high"])],
            "τ²": [fmt.significant(t) for t in loo["tau2"]], "I² (%)": [fmt.number(i, 0) for i in loo["i2"]],
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
        md(f"Egger regression test: intercept {fmt.number(test.intercept)} (SE {fmt.number(test.se)}), {fmt.p_value(test.p)}.")

    def summary_of_findings(self) -> None:
        """GRADE-style table over every outcome with data from at least two trials, with this report's settings."""
        rows = []
        defs = meta.analysis_outcomes(self.ev.descriptor)
        for outcome, d in defs.items():
            try:
                ma = self._run(outcome, None)
            except ParameterError:
                continue
            if ma.result is None:
                continue
            if ma.kind == "overview":
                r, s = ma.result, ma.studies
                rows.append({"Outcome": d["label"], "Risk or mean with placebo": "—",
                             "With baclofen": f"SMD {fmt.signed(r.estimate)} ({fmt.signed(r.ci_low)} to {fmt.signed(r.ci_high)})", "Relative effect (95% CI)": "—",
                             "Participants (trials)": f"{ma.n_participants} ({s['study_id'].nunique()})",
                             "Certainty": "not assessed" + ("; downgrade signals: inconsistency" if r.i2 >= 50 else "")})
                continue
            r, s = ma.result, ma.studies
            arm = s[s["route"] == "arm_level"]
            if ma.kind == "binary" and arm.empty:
                control = "—"
                treated = "—"
            elif ma.kind == "binary":
                acr = float(arm["ci"].sum() / arm["n2i"].sum())
                risk = {"RR": lambda x: acr * math.exp(x), "OR": lambda x: acr * math.exp(x) / (1 - acr + acr * math.exp(x)),
                        "RD": lambda x: acr + x}[ma.measure]
                control = f"{fmt.number(1000 * acr, 0)} per 1000"
                treated = f"{fmt.number(1000 * risk(r.estimate), 0)} per 1000 ({fmt.number(1000 * risk(r.ci_low), 0)} to {fmt.number(1000 * risk(r.ci_high), 0)})"
            else:
                control = f"mean {fmt.number(float(np.average(arm['m2i'], weights=arm['n2i'])), 1)}" if not arm.empty else "—"
                treated = f"{ma.measure} {fmt.signed(r.estimate)} ({fmt.signed(r.ci_low)} to {fmt.signed(r.ci_high)})"
            relative = f"{ma.measure} {fmt.number(ma.scale(r.estimate))} ({fmt.number(ma.scale(r.ci_low))} to {fmt.number(ma.scale(r.ci_high))})" if ma.ratio else "—"
            signals = []
            if r.i2 >= 50:
                signals.append(f"inconsistency (I² {fmt.number(r.i2, 0)}%)")
            if r.ci_low <= 0 <= r.ci_high if not ma.ratio else r.ci_low <= 0 <= r.ci_high:
                signals.append("imprecision (CI includes no effect)")
            if ma.kind == "binary" and float(arm["ai"].sum() + arm["ci"].sum()) < 300:
                signals.append("imprecision (fewer than 300 events)")
            rows.append({"Outcome": d["label"], "Risk or mean with placebo": control, "With baclofen": treated,
                         "Relative effect (95% CI)": relative,
                         "Participants (trials)": f"{ma.n_participants} ({s['study_id'].nunique()})",
                         "Certainty": "not assessed" + (f"; downgrade signals: {', '.join(signals)}" if signals else "")})
        if not rows:
            md("No outcome has data from two or more trials with these settings.")
            return
        frame = pd.DataFrame(rows)
        if self.restricted:
            # Every row is the subset, not the evidence as a whole; said in the table itself, not only above it.
            frame.insert(1, "Evidence covered", subset_label(self.ma))
            md(f"**Subset only**: every row below covers {esc(subset_label(self.ma))}, not the evidence as a whole; "
               "the unrestricted report of each outcome gives the whole-evidence result.")
        table(frame, caption=f"Summary of findings: baclofen vs {self.comparator} ({meta.METHOD_NAMES[self.method]}; {subset_label(self.ma)})")
        note("Certainty of evidence is not graded: the data package holds no risk-of-bias, indirectness or publication-bias "
             "judgements, so only the computable signals (inconsistency, imprecision) are shown.")

    def _whole_evidence(self, outcome: str, measure: str | None, **overrides) -> meta.MetaAnalysis:
        """The analysis over the whole evidence (every dose, every duration, no exclusions, against placebo), with this
        report's model: what a published whole-review estimate can be set beside."""
        settings = dict(method=self.method, hksj=self.hksj)
        settings.update(overrides)
        return meta.run(self.ev, outcome, measure, **settings)

    def published(self) -> None:
        """Published pooled estimates beside ours, like with like: a restricted report compares them with the whole
        evidence, never with its subset."""
        whole = self.restricted
        run = self._whole_evidence if whole else self._run
        ours = "Ours, whole evidence" if whole else "Ours, every trial"
        rows = []
        for c in published.compare(self.ev, run, self.method):
            rows.append({"Review": c.review, "Outcome": c.outcome, "Measure": c.measure, "Published (95% CI)": c.published,
                         ours: c.ours_all, "Ours, trials the review could include": c.ours_restricted,
                         "Difference": c.difference, "Trials counted": c.cutoff_rule, "Why they differ": "; ".join(c.reasons)})
        if whole:
            md(f"The published estimates are whole-review results, so they are set beside this project's **whole-evidence** "
               f"analysis (every dose, every trial duration, no exclusions, against placebo), not beside this report's subset "
               f"({esc(subset_label(self.ma))}).")
            caption = "Published whole-review estimates and this project's whole-evidence results on the same measure"
        else:
            caption = f"Published pooled estimates and ours on the same measure ({subset_label(self.ma)})"
        table(pd.DataFrame(rows), caption=caption)
        note("Ours are computed with this report's model on the review's own measure. Where a review pooled a subset or a "
             "network, the comparison is only indicative; the reasons column says what differs.")
