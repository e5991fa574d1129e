"""Sections of notebooks/robustness.ipynb: how robust is the answer? GOSH and the multiverse."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pandas as pd

from baclofen_evidence import gosh
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence import multiverse as mvm
from baclofen_evidence import robustness_plots as rp
from baclofen_evidence.headline import publish_headline, publish_title
from baclofen_evidence.report_parameters import ReportParameters, data_dir_param, figures_dir_param, param
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, md, note, table
from baclofen_evidence import formatting as fmt

INFLUENTIAL = 3  # trials named in the text, per measure


THREE_DECIMALS = partial(fmt.number, digits=3)  # shifts in SMD are hundredths: a third decimal shows them
ONE_DECIMAL = partial(fmt.number, digits=1)


@dataclass
class RobustnessReport(ReportParameters):
    """The robustness report: its parameters (declared once, here) and one method per section."""

    outcomes: list[str] | None = param(None, f"analyses given GOSH plots; None = {meta.OVERVIEW}, abstinence, dropout")
    gosh_method: str = param("REML", "model of the per-trial GOSH views", choices=gosh.METHODS)
    max_subsets: int = param(gosh.MAX_SUBSETS, "all subsets up to this many, a seeded random sample above (metafor's default)")
    seed: int = param(gosh.SEED, "seed of the random sample")
    data_dir: str | None = data_dir_param()
    figures_dir: str | None = figures_dir_param()

    def __post_init__(self):
        self.ev = evidence(self.data_dir)
        self.figs = figures_folder(self.figures_dir, "robustness")
        if self.gosh_method not in gosh.METHODS:
            raise ParameterError(f"gosh_method: {self.gosh_method!r} is not one of {', '.join(gosh.METHODS)}")
        self.outcomes = list(self.outcomes or [meta.OVERVIEW, "abstinence", "dropout"])
        self.cache: dict = {}
        self.analyses = {o: meta.run(self.ev, o, cache=self.cache) for o in self.outcomes}
        self.labels = dict(zip(self.ev.studies["study_id"], self.ev.studies["label"]))
        # Inline: a few thousand subsets at most here, far below where a process pool pays for its start.
        self.gosh = {}
        for o, ma in self.analyses.items():
            if ma.k >= 2:
                methods = gosh.METHODS if o == self.outcomes[0] else (self.gosh_method,)
                self.gosh[o] = {m: gosh.run(ma.studies["yi"], ma.studies["vi"], list(ma.studies["study_id"]), method=m,
                                            max_subsets=self.max_subsets, seed=self.seed, workers=1) for m in methods}
        self.mv = mvm.build(self.ev, cache=self.cache)

    def _scale_label(self, ma: meta.MetaAnalysis) -> str:
        return f"log {ma.measure}" if ma.ratio else ma.measure

    # -------------------------------------------------------------- sections

    def title(self) -> str:
        return "Robustness: every subset of the trials (GOSH) and every defensible analysis (multiverse)"

    def headline(self) -> None:
        publish_title(self.title())
        s = self.mv.summary()
        if not s["specifications"]:
            publish_headline("Robustness: no specification could be estimated")
            return
        top = mvm.choice_effects(self.mv).iloc[0]
        publish_headline(f"Across {s['specifications']} defensible analyses, {fmt.percent(s['share_favouring_baclofen'])} favour baclofen and "
                         f"{fmt.percent(s['share_ci_excludes_null'])} have a 95% CI that excludes no effect (median SMD {fmt.number(s['median_estimate'])}); "
                         f"the choice of {top['choice']} moves the answer most")

    def defaults(self) -> None:
        first = self.outcomes[0]
        res = self.gosh.get(first, {}).get(self.gosh_method)
        lines = [
            f"GOSH (Olkin, Dahabreh & Trikalinos 2012): the model fitted to every subset of the trials of an analysis; all "
            f"subsets up to {fmt.count(self.max_subsets)}, above that a random sample of {fmt.count(self.max_subsets)} (seed {self.seed}), as R "
            f"metafor's gosh() does: with the default limit, sampling takes over from k = 20 trials.",
            f"GOSH models: FE, DL, REML and PM for {esc(first)}; {esc(self.gosh_method)} for the other analyses. Per subset: k, "
            "estimate, SE, τ², I², H² and Q, equal to metafor's gosh() to 1e-6 (tests/test_gosh_reference.py).",
            "τ² for REML and PM: Newton steps inside a bracket, to 1e-12, for all subsets at once; a subset whose iteration does "
            f"not converge in {gosh.MAX_ITER} steps is counted and shown as not converged, never given a value. Where the REML "
            "likelihood has two modes, the higher one (τ² = 0 included) is the estimate.",
            "GOSH plots: subsets of at least 2 trials, estimate against I², as hexagon counts on a log colour scale.",
            "Influence of a trial: mean estimate (and mean I²) of the subsets that contain it minus that of the subsets that do "
            "not; over all subsets every other trial is equally often in both groups, so the difference is the trial's own pull.",
            "Each analysis's trials and settings are those of its meta-analysis report (REML, placebo comparator, every usable route).",
        ]
        if res is not None:
            lines.append(f"{esc(first)}: {esc(res.description())}.")
        bullets(lines + [esc(x) for x in mvm.defaults_text()])

    def gosh_overview(self) -> None:
        first = self.outcomes[0]
        ma = self.analyses[first]
        if first not in self.gosh:
            md(f"No GOSH plot: {esc(ma.reason_not_pooled or 'fewer than 2 trials')}.")
            return
        fig = rp.gosh_panels(self.gosh[first], self._scale_label(ma), f"GOSH: {ma.outcome_label}, {ma.k} trials")
        figure(fig, f"gosh_{first}", self.figs, alt=f"GOSH plots of {first} for FE, DL, REML and PM")
        rows = [{"Model": m, "Subsets": r.n_subsets, "Exhaustive": "all" if r.exhaustive else "random sample",
                 "Not converged": r.n_unconverged,
                 "Median estimate": float(r.stats.loc[r.stats["k"] >= 2, "estimate"].median()),
                 "Median I² (%)": float(r.stats.loc[r.stats["k"] >= 2, "i2"].median())} for m, r in self.gosh[first].items()]
        table(pd.DataFrame(rows), caption=f"GOSH of {ma.outcome_label}: every model (subsets of 2 or more trials in the medians)",
              formats={"Median estimate": THREE_DECIMALS, "Median I² (%)": ONE_DECIMAL})

    def gosh_trials(self) -> None:
        first = self.outcomes[0]
        if first not in self.gosh:
            return
        ma, res = self.analyses[first], self.gosh[first][self.gosh_method]
        fig = rp.gosh_by_trial(res, self.labels, self._scale_label(ma),
                               f"{ma.outcome_label}: subsets with each trial (red) and without it (blue), {self.gosh_method}")
        figure(fig, f"gosh_{first}_by_trial", self.figs, alt="Estimates of subsets with and without each trial")
        self._influence(ma, res)

    def _influence(self, ma: meta.MetaAnalysis, res: gosh.GoshResult) -> None:
        inf = gosh.influence(res)
        shown = pd.DataFrame({"Trial": [self.labels.get(s, s) for s in inf["study"]],
                              "Mean estimate with": inf["mean_estimate_with"], "without": inf["mean_estimate_without"],
                              "Shift in estimate": inf["shift_estimate"], "Mean I² with (%)": inf["mean_i2_with"],
                              "without (%)": inf["mean_i2_without"], "Shift in I² (points)": inf["shift_i2"]})
        table(shown, caption=f"Influence of each trial on {ma.outcome_label} ({res.method}; subsets of 2 or more trials)",
              formats={c: THREE_DECIMALS for c in ("Mean estimate with", "without", "Shift in estimate")} |
                      {c: ONE_DECIMAL for c in ("Mean I² with (%)", "without (%)", "Shift in I² (points)")})
        est = gosh.most_influential(inf, "shift_estimate", INFLUENTIAL)
        het = gosh.most_influential(inf, "shift_i2", INFLUENTIAL)
        md("**Shift the estimate most:** " + "; ".join(f"{esc(self.labels.get(r.study, r.study))} ({fmt.signed(r.shift_estimate, 3)})"
                                                       for r in est.itertuples())
           + ". **Shift the heterogeneity most:** " + "; ".join(f"{esc(self.labels.get(r.study, r.study))} ({fmt.signed(r.shift_i2, 1)} points of I²)"
                                                                for r in het.itertuples()) + ".")

    def gosh_other(self) -> None:
        for o in self.outcomes[1:]:
            ma = self.analyses[o]
            if o not in self.gosh:
                md(f"**{esc(ma.outcome_label)}:** no GOSH ({esc(ma.reason_not_pooled or 'fewer than 2 trials')}).")
                continue
            res = self.gosh[o][self.gosh_method]
            md(f"### {esc(ma.outcome_label)} ({ma.k} trials, {self._scale_label(ma)})")
            figure(rp.gosh_panels({self.gosh_method: res}, self._scale_label(ma), f"GOSH: {ma.outcome_label}"),
                   f"gosh_{o}", self.figs, alt=f"GOSH plot of {o}")
            self._influence(ma, res)

    def specification_curve(self) -> None:
        mv = self.mv
        if not mv.n:
            md("No specification could be estimated.")
            return
        dims = {"trials": [t for t in list(mvm.FILTERS) + [f"without {s}" for s in mv.trials_left_out] if t in set(mv.specs["trials"])],
                "outcome": [o for o in mvm.OUTCOMES if o in set(mv.specs["outcome"])], "estimator": list(mvm.ESTIMATORS),
                "hksj": [False, True], "dose": [d for d in mvm.DOSE_BANDS if d in set(mv.specs["dose"])]}
        fig = rp.specification_curve(mv.specs, dims, f"Specification curve: {mv.n} analyses of baclofen against placebo")
        figure(fig, "specification_curve", self.figs, alt="Specification curve with the choice matrix beneath")

    def multiverse_summary(self) -> None:
        mv, s = self.mv, self.mv.summary()
        md(f"The grid crosses {len(mvm.FILTERS) + len(mv.trials_left_out)} trial sets, {len(mvm.OUTCOMES)} outcomes, "
           f"{len(mvm.ESTIMATORS)} estimators, with and without HKSJ, and {len(mvm.DOSE_BANDS)} dose bands: **{fmt.count(s['grid'])} "
           f"combinations**, of which **{fmt.count(s['dropped'])} were dropped** and **{s['specifications']} analysed**.")
        table(mv.drop_reasons().rename(columns={"reason": "Why dropped", "specifications": "Combinations"}),
              caption="Combinations dropped, by reason")
        if not mv.n:
            return
        md(f"**{fmt.percent(s['share_favouring_baclofen'])}** of the specifications favour baclofen (SMD > 0); **{fmt.percent(s['share_ci_excludes_null'])}** "
           f"have a 95% CI that excludes no effect ({fmt.percent(s['share_ci_excludes_null_favouring'])} excluding it in baclofen's favour). "
           f"Median SMD {fmt.number(s['median_estimate'])}, from {fmt.number(s['min_estimate'])} to {fmt.number(s['max_estimate'])}.")
        summary = mvm.level_summary(mv).rename(columns={"choice": "Choice", "level": "Option", "specifications": "Specifications",
                                                        "median_estimate": "Median SMD", "share_favouring": "Share favouring",
                                                        "share_ci_excludes_null": "Share CI excludes 0"})
        table(summary, caption="Each option of each choice", formats={"Median SMD": fmt.number, "Share favouring": fmt.percent,
                                                                       "Share CI excludes 0": fmt.percent})

    def choices(self) -> None:
        mv = self.mv
        if not mv.n:
            return
        eff = mvm.choice_effects(mv)
        top = eff.iloc[0]
        flips = eff.sort_values("share_verdict_flips", ascending=False, kind="stable").iloc[0]
        md(f"**The choice of {esc(top['choice'])} moves the estimate most**: changing it alone, others fixed, shifts the SMD by "
           f"{fmt.number(top['mean_abs_shift'])} on average (at most {fmt.number(top['max_abs_shift'])}). The choice that most often changes whether "
           f"the 95% CI excludes no effect is **{esc(flips['choice'])}** ({fmt.percent(flips['share_verdict_flips'])} of pairs).")
        table(eff.rename(columns={"choice": "Choice", "pairs": "Pairs differing in it alone", "mean_abs_shift": "Mean |shift| (SMD)",
                                  "max_abs_shift": "Largest |shift|", "share_verdict_flips": "Share of pairs whose verdict differs"}),
              caption="How much each single choice moves the answer",
              formats={"Mean |shift| (SMD)": THREE_DECIMALS, "Largest |shift|": THREE_DECIMALS, "Share of pairs whose verdict differs": fmt.percent})
        shifts = mvm.level_shifts(mv).head(10)
        table(shifts.rename(columns={"choice": "Choice", "level": "Option", "default": "Against", "pairs": "Pairs",
                                     "mean_shift": "Mean shift (SMD)", "mean_abs_shift": "Mean |shift|",
                                     "share_verdict_flips": "Verdict differs"}),
              caption="The ten options that move the estimate most from the default analysis's choice",
              formats={"Mean shift (SMD)": partial(fmt.signed, digits=3), "Mean |shift|": THREE_DECIMALS, "Verdict differs": fmt.percent})
        note("The default analysis is the overview synthesis of all trials, REML, Wald-type CI, all doses: the headline of the "
             "overview report. HKSJ changes the interval, never the estimate.")
