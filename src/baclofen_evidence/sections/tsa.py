"""Sections of notebooks/tsa.ipynb: is the question settled for one outcome, and what would settling it cost."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from baclofen_evidence import costs, domain, settling, tsa, tsa_plot
from baclofen_evidence import coverage as cov
from baclofen_evidence import meta_analysis as meta
from baclofen_evidence.headline import publish_headline, publish_title
from baclofen_evidence.report_parameters import ReportParameters, currency_param, data_dir_param, figures_dir_param, param
from baclofen_evidence.parameters import ParameterError
from baclofen_evidence.sections.common import bullets, esc, evidence, figure, figures_folder, lower_first, md, note, table
from baclofen_evidence import formatting as fmt

VERDICT_WORDS = {
    "firm_benefit": "firm evidence of benefit", "firm_harm": "firm evidence of harm",
    "futility": "the anticipated effect is rejected", "ris_reached": "the required information size is reached",
    "inconclusive": "inconclusive",
}


@dataclass
class TsaReport(ReportParameters):
    """The trial sequential analysis report: its parameters (declared once, here) and one method per section."""

    CLI_COMMAND = "tsa"

    outcome: str = param("relapse", f"outcome of the TSA ({meta.OVERVIEW} is approximate)", choices=tsa.OUTCOMES)
    control_event_proportion: float | None = param(None, "binary outcomes; None = the pooled placebo arms")
    rrr: float | None = param(None, "anticipated relative risk reduction, binary outcomes; None = 0.2 "
                                    "(or -0.2, a 20% increase, for abstinence)")
    mird: float | None = param(None, "minimal relevant difference, continuous outcomes; None = the largest review's pooled estimate")
    sd: float | None = param(None, "SD, continuous outcomes; None = the pooled SD of the trials' arms")
    alpha: float = param(tsa.ALPHA, "two-sided type I error")
    beta: float = param(tsa.BETA, "type II error (1 - power)")
    method: str = param(tsa.METHOD, "model of the Z-curve (DL is the TSA program's)", choices=tsa.METHODS)
    cost_source: str | None = param(None, "per-patient cost: a trial budget or grant award (a cost_id); None = Bacloville's budget")
    currency: str = currency_param("of the cost to settle")
    data_dir: str | None = data_dir_param()
    figures_dir: str | None = figures_dir_param()

    def __post_init__(self):
        if self.outcome not in tsa.OUTCOMES:
            raise ParameterError(f"outcome: TSA reports are for {', '.join(tsa.OUTCOMES)}, not {self.outcome!r}")
        self.ev = evidence(self.data_dir)
        costs.check_currency(self.ev, self.currency)
        self.figs = figures_folder(self.figures_dir, f"tsa_{self.outcome}")
        self.t = tsa.run(self.ev, self.outcome, self.control_event_proportion, self.rrr, self.mird, self.sd, self.alpha,
                         self.beta, self.method)
        self.ma = meta.run(self.ev, self.outcome)
        self.left = settling.remaining(self.t.ris_adjusted, self.t.accrued)
        self.price = settling.price(self.ev, self.left, self.currency, self.cost_source)

    def title(self) -> str:
        label = lower_first(meta.analysis_outcomes(self.ev.descriptor)[self.outcome]["label"])
        kind = "Trial sequential analysis (approximate)" if self.outcome == meta.OVERVIEW else "Trial sequential analysis"
        return f"{kind}: {label}"

    def headline(self) -> None:
        publish_title(self.title())
        t = self.t
        text = (f"{t.outcome_label}: {VERDICT_WORDS[t.verdict]}; {fmt.count(t.accrued)} of {fmt.count(t.ris_adjusted)} required participants "
                f"({fmt.percent(t.fraction)})")
        if self.left:
            text += f"; the rest would cost about {fmt.money(self.price.amount, self.price.currency)} at {self.price.label}'s cost per patient"
        c = cov.coverage(self.ma)
        if c.thin:
            text += f"; it rests on {c.sentence()}"
        if t.approximate:
            text = "Approximate (SMD scale): " + text
        publish_headline(text)

    def defaults(self) -> None:
        t, i = self.t, self.t.inputs
        lines = [f"<b>{esc(k.replace('_', ' '))}</b>: {esc(v)}" for k, v in i.why.items()]
        lines += [
            f"Z-curve: after each trial, in order of publication, the meta-analysis is re-run ({esc(t.to_dict()['model'])}); "
            f"{esc(t.orientation())}. The TSA program uses DerSimonian-Laird; so do we by default (the meta-analysis reports use REML).",
            f"Diversity D² = 1 - v_F/v_R from the same model (observed {fmt.percent(t.d2_observed, 1)}); the RIS is divided by 1 - D².",
            "Efficacy boundaries: Lan-DeMets alpha spending of the O'Brien-Fleming type, alpha/2 per side, at the actual "
            "cumulative information fractions (participants / diversity-adjusted RIS); pinned to R rpact "
            "(getDesignGroupSequential, typeOfDesign asOF) to 1e-6.",
            "Futility boundaries: non-binding O'Brien-Fleming-type beta spending as rpact computes it (typeBetaSpending bsOF, "
            "experimental there for two-sided designs): under the alternative with a drift chosen so that the wedge closes at the "
            "RIS; looks where a one-sided design would have a negative bound get none, and their spending moves to later looks. "
            "The TSA program builds the wedge from the null and shifts it by a drift that closes it at the RIS; both leave the RIS "
            "uninflated, so the power at the RIS is slightly below 1 - beta, and the bounds can differ a little from the TSA program's.",
            f"Looks: a trial adding under {fmt.percent(tsa.MIN_LOOK_SHARE)} of the RIS is not a separate look; a look that may spend under "
            f"{fmt.as_printed(tsa.ALPHA_FLOOR)} of alpha has no reachable bound (above z = 4.9) and is not a look either; once the accrued "
            "information passes the RIS, the RIS is the final look and later trials face the final bound.",
            "Verdict: the first look where the Z-curve crosses the alpha-spending boundary (firm evidence of benefit or harm) or "
            "enters the futility wedge (an effect of the anticipated size is rejected); otherwise inconclusive, with the "
            "information fraction.",
        ]
        if t.approximate:
            lines.insert(0, "<b>Approximate</b>: TSA cannot be run on a standardised mean difference (there is no raw-scale "
                            "difference and SD; RTSA SOP). Instead the same machinery is run on the SD scale (σ = 1) with the "
                            "anticipated SMD of Bschor 2018; read it as a rough guide to how far the evidence is from "
                            "settling the question, not as a TSA verdict.")
        bullets(lines)

    def information_size(self) -> None:
        t, i = self.t, self.t.inputs
        rows = [("alpha (two-sided)", fmt.as_printed(i.alpha)), ("beta (1 - power)", fmt.as_printed(i.beta))]
        if i.kind == "binary":
            rows += [("control event proportion", fmt.number(i.control_event_proportion, 3)),
                     ("anticipated relative risk reduction", fmt.percent(i.rrr)),
                     ("intervention event proportion", fmt.number(i.control_event_proportion * (1 - i.rrr), 3))]
            formula = "RIS = 4 (z<sub>1-α/2</sub> + z<sub>1-β</sub>)² p̄(1 - p̄) / (p<sub>c</sub> - p<sub>e</sub>)²"
        else:
            rows += [("minimal relevant difference", fmt.as_printed(i.mird)), ("SD", fmt.significant(i.sd))]
            formula = "RIS = 4 (z<sub>1-α/2</sub> + z<sub>1-β</sub>)² σ² / δ²"
        rows += [("RIS (participants)", fmt.count(t.ris)), ("diversity D²", fmt.percent(t.d2, 1)),
                 ("diversity-adjusted RIS", fmt.count(t.ris_adjusted)), ("participants accrued", fmt.count(t.accrued)),
                 ("information fraction", fmt.percent(t.fraction, 1))]
        table(pd.DataFrame(rows, columns=["Quantity", "Value"]), caption="Required information size")
        md(f"{formula}, rounded up; diversity-adjusted RIS = RIS / (1 - D²).")
        if t.d2_observed == 0:
            sens = tsa.sensitivity(self.ev, t)
            table(pd.DataFrame({"D²": [fmt.percent(r['d2']) for r in sens], "Adjusted RIS": [fmt.count(r['ris_adjusted']) for r in sens],
                                "Information fraction": [fmt.percent(r['fraction'], 1) for r in sens],
                                "Verdict": [r["verdict_text"] for r in sens]}),
                  caption="Sensitivity: the observed D² is 0, so the TSA is repeated with D² of 25% and 50%")

    def chart(self) -> None:
        figure(tsa_plot.figure(self.t), "tsa", self.figs, alt=f"Trial sequential analysis of {self.t.outcome_label}")
        note("Boundaries are computed at the actual looks and at the RIS and joined by straight lines; a Z beyond ±8 is drawn at ±8.")

    def looks(self) -> None:
        rows = []
        for look in self.t.looks:
            rows.append({"Trial": look.label, "Year": str(look.year), "Participants": fmt.count(look.participants),
                         "Cumulative": fmt.count(look.cumulative_participants), "Fraction of RIS": fmt.percent(look.fraction, 1),
                         "Z": fmt.number(look.z), "Efficacy bound (±)": "" if look.z_efficacy is None else fmt.number(look.z_efficacy, 3),
                         "Futility bound (±)": "" if look.z_futility is None else fmt.number(look.z_futility, 3),
                         "Note": look.note or ""})
        table(pd.DataFrame(rows), caption="The cumulative Z-curve, trial by trial")

    def verdict(self) -> None:
        t = self.t
        c = cov.coverage(self.ma)
        lines = [f"<b>Verdict</b>: {esc(t.verdict_text)}.", f"<b>Conventional test</b>: {esc(t.conventional)}.",
                 f"<b>What it rests on</b>: {esc(c.sentence())}."]
        if t.pooled:
            p = t.pooled
            lines.append(f"Pooled {esc(t.measure)} ({esc(t.inputs.method)}): {fmt.number(p['estimate'])} (95% CI {fmt.number(p['ci_low'])} to "
                         f"{fmt.number(p['ci_high'])}).")
        if c.thin:
            lines.append("Less than half of the participants randomized in the placebo-controlled trials enter this analysis: "
                         "a TSA verdict on it speaks for these trials, not for the whole evidence.")
        bullets(lines)

    def cost(self) -> None:
        p = self.price
        md(f"**Remaining information**: {fmt.count(self.left)} participants (diversity-adjusted RIS {fmt.count(self.t.ris_adjusted)} minus "
           f"{fmt.count(self.t.accrued)} accrued, floored at 0). At {esc(p.label)}'s {esc(p.basis)} per randomized patient "
           f"({esc(fmt.money(p.per_patient, p.currency))}), settling it would cost about **{esc(fmt.money(p.amount, p.currency))}**.")
        if self.t.verdict in ("firm_benefit", "firm_harm", "futility"):
            note("The Z-curve has already crossed a boundary, so TSA needs no more information for these trials; the amount is "
                 "what reaching the full RIS would cost, which matters when the trials pooled are a small part of the evidence.")
        rng = settling.price_range(self.ev, self.left, self.currency)
        table(pd.DataFrame({"Cost source": [r.cost_id for r in rng], "Trial": [r.label for r in rng], "Kind": [r.basis for r in rng],
                            f"Per patient ({self.currency})": [fmt.count(r.per_patient) for r in rng],
                            f"Cost to settle ({self.currency})": [fmt.count(r.amount) for r in rng],
                            "Conversion": [r.conversion or "none needed" for r in rng]}),
              caption="The cost to settle across every per-patient cost in the data package")
        left_out = settling.not_converted(self.ev, self.currency)
        if not left_out.empty:
            note("Left out of this range, with no exchange rate to " + esc(self.currency) + ": " +
                 "; ".join(f"{esc(r.label)} ({esc(r.cost_id)}): {esc(r.conversion)}" for r in left_out.itertuples()) + ".")
        note("A grant award is part of a trial's cost (the rest came from elsewhere), so it gives a lower bound. Amounts are "
             "in money of their own year, not adjusted for inflation.")

    def dose(self) -> None:
        i = self.t.inputs
        pc = tsa.pooled_control_proportion(meta.run(self.ev, domain.DOSE_QUESTION_OUTCOME))[0]
        d = settling.dose_question(self.ev, pc, i.alpha, i.beta)
        if d.ris is None:
            md(f"The dose subgroups show no difference to power a trial for ({esc(d.why)}).")
            return
        p = settling.price(self.ev, d.ris, self.currency, self.cost_source)
        md(f"**High against low dose**: {esc(d.why)}. A head-to-head trial powered to tell these apart (alpha {fmt.as_printed(i.alpha)} "
           f"two-sided, power {fmt.percent(1 - i.beta)}) needs **{fmt.count(d.ris)} participants**: about **{esc(fmt.money(p.amount, p.currency))}** at "
           f"{esc(p.label)}'s cost per patient. The dose subgroups so far hold {fmt.count(d.participants_low)} and {fmt.count(d.participants_high)} "
           "participants, in different trials (an indirect comparison).")

    def spent(self) -> None:
        s = settling.spent(self.ev, self.currency)
        if s.items.empty:
            md("No trial budget is published in the data package.")
            return
        table(pd.DataFrame({"Trial": s.items["label"], "Kind": s.items["basis"],
                            "Published": [fmt.money(a, c) for a, c in zip(s.items["source_amount"], s.items["source_currency"])],
                            f"In {self.currency}": [fmt.money(a, c) for a, c in zip(s.items["amount"], s.items["currency"])],
                            "Source": s.items["ref_id"]}), caption="What the trials with a published budget cost")
        words = "at least " if s.lower_bound else ""
        md(f"Known trial spending adds up to {words}**{esc(fmt.money(s.total, s.currency))}** "
           f"({'a lower bound: some trials have only a grant award' if s.lower_bound else 'trial budgets only'}); "
           f"settling the {esc(self.t.outcome_label.lower())} question would cost about {esc(fmt.money(self.price.amount, self.price.currency))} more.")
