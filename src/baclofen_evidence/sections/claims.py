"""Sections of notebooks/claims.ipynb: the popular articles' claims against the data."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import claims, plots
from baclofen_evidence.headline import publish_headline, publish_title
from baclofen_evidence.report_parameters import ReportParameters, data_dir_param, figures_dir_param, param
from baclofen_evidence import source_ids
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, md, source_labels, table
from baclofen_evidence import formatting as fmt
from baclofen_evidence import identifiers


@dataclass
class ClaimsReport(ReportParameters):
    """The claims report: its parameters (declared once, here) and one method per section."""

    source: str | None = param(None, "one source: its short id (000) or full source_id (sources.csv); None = every source")
    data_dir: str | None = data_dir_param()
    figures_dir: str | None = figures_dir_param()

    def __post_init__(self):
        self.ev = evidence(self.data_dir)
        if self.source is not None:
            self.source = source_ids.resolve(self.ev.sources, self.source)
        self.figs = figures_folder(self.figures_dir, "claims" if self.source is None else f"claims_{self.source}")
        self.verdicts = claims.verdicts(self.ev, self.source)

    def title(self) -> str:
        if self.source is None:
            return "Claims against the evidence: every source"
        source = source_ids.resolve(self.ev.sources, self.source)
        row = self.ev.sources[self.ev.sources["source_id"] == source].iloc[0]
        outlet = "" if pd.isna(row["outlet"]) else f"{row['outlet']} — "
        return f"Claims: {outlet}{row['title']}"

    def headline(self) -> None:
        publish_title(self.title())
        counts = self.verdicts["verdict"].value_counts()
        parts = [f"{counts.get(v, 0)} {v}" for v in claims.VERDICTS if counts.get(v, 0)]
        who = "all sources" if self.source is None else source_labels(self.ev)[self.source]
        publish_headline(f"{len(self.verdicts)} claims from {who}: " + ", ".join(parts))

    def rules(self) -> None:
        bullets([
            "<b>consistent</b>: the data bear the claim out, within the tolerance its wording allows; what the claim says "
            "(a number, a direction, a country, design or setting) was tested, not only that a matching study exists;",
            "<b>identified</b>: a matching study exists, but nothing the claim says about it was tested;",
            "<b>overstated</b>: the claim goes further than the data (a larger number, a firmer or wider conclusion);",
            "<b>inconsistent</b>: the data contradict it;",
            "<b>unverifiable</b>: nothing in the data package can decide it, or the only evidence for it is the article "
            "making the claim (an article cannot confirm itself);",
            "<b>depends on identification</b>: the article does not name its study, the candidates (each with the "
            "confidence of its identification) get different verdicts, and each is shown;",
            "Counts of trials are made two ways, published trials and published plus completed-but-unpublished ones; "
            "the verdict names the rule that decides and why.",
            f"A number hedged with 'about' may be off by up to {fmt.percent(claims.ABOUT_TOLERANCE)}; an exact number must match at the "
            "precision the claim uses; money in another currency is converted at the average rate of the amount's year.",
            "Counts of RCTs include randomized trials of baclofen for alcohol dependence (relapse prevention, drinking reduction "
            "or comorbid symptoms) and leave out alcohol-withdrawal trials.",
            "<b>Claims about the body of evidence</b> are decided from the analyses:",
        ])
        bullets([
            "<i>proven</i> is consistent only if a trial sequential analysis crosses its efficacy boundary on a main outcome ("
            + ", ".join(m.replace("_", " ") for m in claims.MAIN_OUTCOMES) + ") whose analysis holds at least half of everyone "
            "randomized in the placebo-controlled RCTs; otherwise it is overstated if the pooled result still favours baclofen, "
            "inconsistent if not. <i>Not proven</i> ('more research is needed') is the converse; <i>may help</i> needs the "
            "pooled confidence interval on baclofen's side. The overview's TSA is approximate and never firm;",
            f"<i>mixed or varying results</i> need both substantial heterogeneity in the overview synthesis (I² of at least "
            f"{fmt.number(claims.SUBSTANTIAL_I2, 0)}% and a 95% prediction interval spanning no effect) and trials whose own primary results "
            "split between benefit and no difference;",
            "<i>why trials are few</i> (cost, or anyone's interests) is unverifiable: the data hold budgets, grants and a count of "
            "trials, not funders' reasons; the evidence shows the cost per patient and what settling each main outcome would cost;",
            "<i>a trial was inconclusive</i> is judged on that trial's own primary result: its printed estimate or test, else its "
            "effect in the overview synthesis, else the authors' direction.",
        ])

    def sources(self) -> None:
        s = self.ev.sources if self.source is None else self.ev.sources[self.ev.sources["source_id"] == self.source]
        labels = source_labels(self.ev)
        bullets([f"<b>{esc(labels[r.source_id])}</b> ({esc(r.kind.replace('_', ' '))}"
                 f"{', ' + esc(fmt.year(r.earliest_year)) + ' or later' if not pd.isna(r.earliest_year) else ''}): "
                 f"{esc(r.summary)}" for r in s.itertuples()])

    def chart(self) -> None:
        if self.verdicts.empty:
            md("This source makes no checkable claim about the studies.")
            return
        figure(plots.verdict_bars(self.verdicts, source_labels(self.ev, width=60)), "verdicts", self.figs, alt="Verdicts per source")

    def verdict_table(self) -> None:
        v = self.verdicts
        if v.empty:
            md("No claims to show.")
            return
        labels = self.ev.studies.set_index("study_id")["label"]
        sources = source_labels(self.ev)
        frame = pd.DataFrame({"Source": [sources.get(s, s) for s in v["source_id"]], "Claim (paraphrased)": v["claim"],
                              "Study": [labels.get(s, "") if isinstance(s, str) and s else "(evidence base)" for s in v["study_id"]],
                              "Verdict": v["verdict"], "Deciding evidence": [identifiers.linkify(e) for e in v["evidence"]]})
        table(frame, caption="Every claim, its verdict and the evidence that decides it")
