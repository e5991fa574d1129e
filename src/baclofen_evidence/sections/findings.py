"""Sections of notebooks/findings.ipynb: the four questions a journalist or a clinician asks, answered in
plain words from the facts in baclofen_evidence.findings.

Nothing here computes an analysis: every number comes from the facts, is printed by formatting.py, and
every word that depends on a number ("favours", "includes no effect", "less than half") is chosen here
from that number. Each answer links to the report that shows the detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from baclofen_evidence import costs
from baclofen_evidence import findings as facts
from baclofen_evidence import formatting as fmt
from baclofen_evidence.headline import publish_headline, publish_title
from baclofen_evidence.report_parameters import ReportParameters, currency_param, data_dir_param, figures_dir_param
from baclofen_evidence.sections.common import esc, evidence
from IPython.display import HTML, display

TITLE = "Findings: does baclofen help people with alcohol use disorder?"

# The detailed report behind each answer (names in notebooks/reports.yml).
META_REPORT = {o: f"meta_{o}" for o in facts.MAIN_OUTCOMES}
TSA_REPORT = {o: f"tsa_{o}" for o in facts.MAIN_OUTCOMES}
DOSE_REPORTS = ("dose_response", "meta_abstinence_high_dose", "meta_abstinence_low_dose")
ROBUSTNESS_REPORT = "robustness"
COSTS_REPORT = "costs"
CLAIMS_REPORT = "claims"
EVIDENCE_REPORT = "evidence_map"

# I² in words, after the Cochrane Handbook's overlapping guide (10.10.2), read at its band edges.
I2_WORDS = ((30, "low"), (50, "moderate"), (75, "substantial"), (101, "considerable"))
# Cohen's conventions for a standardised mean difference (1988).
SMD_WORDS = ((0.2, "very small"), (0.5, "small"), (0.8, "moderate"), (float("inf"), "large"))
VERDICT_WORDS = {"consistent": "borne out", "identified": "only the study's existence checked", "overstated": "overstated",
                 "inconsistent": "contradicted", "unverifiable": "not checkable",
                 "depends_on_identification": "depending on which study is meant"}
TSA_WORDS = {"firm_benefit": "firm evidence of benefit", "firm_harm": "firm evidence of harm", "futility": "futility (no effect of the size sought)",
             "ris_reached": "enough participants, no boundary crossed", "inconclusive": "inconclusive"}


def link(report: str, text: str) -> str:
    return f'<a href="{esc(report)}.html">{text}</a>'


def paragraph(text: str) -> None:
    display(HTML(f"<p>{text}</p>"))


def items(lines: list[str]) -> None:
    display(HTML("<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"))


def box(text: str) -> None:
    display(HTML(f'<div style="border:2px solid #b35806;background:#fff7ec;padding:0.6em 1em;margin:0.8em 0">{text}</div>'))


def _band(value: float, bands) -> str:
    return next(word for edge, word in bands if abs(value) < edge)


def _includes(excludes: bool | None) -> str:
    return "excludes no effect" if excludes else "includes no effect"


def _trials(n: int) -> str:
    return f"{fmt.count(n)} trial{'' if n == 1 else 's'}"


def _of(n: int, total: int) -> str:
    """'all 4', 'none of the 4' or '2 of the 4'."""
    if n == total:
        return f"all {fmt.count(total)}" if total != 1 else "the one"
    return f"{'none' if n == 0 else fmt.count(n)} of the {fmt.count(total)}"


def _and(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _names(labels: list[str]) -> str:
    return ", ".join(esc(x) for x in labels) if labels else "none"


def _price(ev, cost_id: str | None) -> str:
    if cost_id is None:
        return ""
    p = costs.price_row(ev, cost_id)
    return f"the {esc(p['country'])} {fmt.year(p['price_year'])} price ({esc(cost_id)})"


def effect_words(s: facts.Synthesis) -> str:
    """What the estimate means for a patient, with the direction chosen from the number."""
    side = s.favours()
    if side is None:
        return "no difference between baclofen and placebo"
    if s.measure == "SMD":
        size = _band(s.estimate, SMD_WORDS)
        return f"a {size} difference in favour of {side} on each trial's main drinking measure"
    if s.ratio:
        if s.estimate >= 1:
            return f"{esc(s.label.lower())} was {fmt.number(s.estimate)} times as frequent on baclofen as on placebo"
        return f"{esc(s.label.lower())} was {fmt.percent(1 - s.estimate)} less frequent on baclofen than on placebo"
    return f"a difference of {fmt.signed(s.estimate)} in favour of {side}"


def synthesis_text(s: facts.Synthesis) -> str:
    head = link(META_REPORT[s.outcome_id], f"<b>{esc(s.label)}</b>")
    if not s.pooled:
        return f"{head}: not pooled ({esc(s.reason_not_pooled)})."
    c = s.coverage
    parts = [f"{head}: {fmt.effect(s.measure, s.estimate, s.ci_low, s.ci_high)}: {effect_words(s)}. "
             f"The 95% confidence interval {_includes(s.ci_excludes_null)}"]
    if s.pi_low is not None:
        pi_side = s.favours(s.pi_low) if s.pi_excludes_null else None
        tail = (f", so a new trial would be expected to favour {pi_side} as well" if s.pi_excludes_null
                else ": a new trial could find no benefit, or harm")
        if (s.pi_low, s.pi_high) == (s.ci_low, s.ci_high):
            tail += (f" (it equals the confidence interval because no variation between the trials was estimated, "
                     f"which with {_trials(c.trials)} is itself uncertain)")
        parts.append(f"; the 95% prediction interval, {fmt.number(s.pi_low)} to {fmt.number(s.pi_high)}, "
                     f"{_includes(s.pi_excludes_null)}{tail}.")
    else:
        parts.append(".")
    if s.hksj_low is not None:
        parts.append(f" With the Hartung-Knapp-Sidik-Jonkman adjustment, advised when trials are few ({_trials(c.trials)}), the "
                     f"95% CI becomes {fmt.number(s.hksj_low)} to {fmt.number(s.hksj_high)}, which {_includes(s.hksj_excludes_null)}.")
    if s.i2 is not None:
        parts.append(f" The trials disagree {'little' if s.i2 < I2_WORDS[0][0] else 'to a ' + _band(s.i2, I2_WORDS) + ' degree'} "
                     f"(I² = {fmt.percent(s.i2 / 100)}).")
    share = "" if c.share is None else f" ({fmt.percent(c.share)} of the {fmt.count(c.reference_randomized)} randomized)"
    thin = ": less than half of the randomized evidence" if c.thin else ""
    parts.append(f" It rests on {fmt.count(c.trials)} of the {fmt.count(c.reference_trials)} {esc(c.reference_label)}, "
                 f"{fmt.count(c.participants)} participants{share}{thin}.")
    if s.tsa_verdict is not None:
        approx = " (approximate: a standardised outcome has no raw scale)" if s.tsa_approximate else ""
        firm_but_thin = (" — but on less than half of the randomized participants, so it settles little"
                         if s.tsa_verdict.startswith("firm") and c.thin else "")
        parts.append(f" {link(TSA_REPORT[s.outcome_id], 'Trial sequential analysis')}{approx}: "
                     f"{TSA_WORDS.get(s.tsa_verdict, esc(s.tsa_verdict))}, after {fmt.percent(s.tsa_fraction)} of the information "
                     f"it needs{firm_but_thin}.")
    elif s.tsa_missing:
        parts.append(f" Trial sequential analysis: not run ({esc(s.tsa_missing)}).")
    return "".join(parts)


def in_short(f: facts.Findings) -> str:
    """The answer in one sentence: the overview's direction, then each reason for doubt the numbers give."""
    overview = f.syntheses[0]
    if not overview.pooled:
        return f"<b>In short:</b> the trials could not be pooled on their main drinking outcomes ({esc(overview.reason_not_pooled)})."
    if overview.ci_excludes_null and overview.favours() == "baclofen":
        lead = "taken together, the trials point to a benefit of baclofen over placebo"
    elif overview.ci_excludes_null:
        lead = "taken together, the trials point to placebo doing better than baclofen"
    else:
        lead = "taken together, the trials do not show that baclofen does better than placebo"
    doubts = []
    if not overview.pi_excludes_null:
        doubts.append("the trials disagree so much that a new trial could find no benefit")
    r = f.robustness
    if r.specifications and r.share_significant_favouring is not None and r.share_significant_favouring <= 0.5:
        doubts.append(f"only {fmt.percent(r.share_significant_favouring)} of the defensible ways to analyse them exclude no effect")
    thin = [s.label for s in f.syntheses if s.pooled and s.coverage.thin]
    if thin:
        verb = "rests" if len(thin) == 1 else "rest"
        doubts.append(f"{_and([esc(x.lower()) for x in thin])} {verb} on less than half of the randomized participants")
    firm = [s for s in f.syntheses if s.tsa_verdict in ("firm_benefit", "firm_harm") and not s.coverage.thin]
    if not firm:
        doubts.append("no trial sequential analysis reaches a firm verdict on a broad base of trials")
    tail = (", but " + "; ".join(doubts)) if doubts else ""
    return f"<b>In short:</b> {lead}{tail}."


@dataclass
class FindingsReport(ReportParameters):
    currency: str = currency_param()
    data_dir: str | None = data_dir_param()
    figures_dir: str | None = figures_dir_param()  # every report is given one; this page draws no figure

    def __post_init__(self):
        # Only the checks here: the render pre-check constructs this class before any kernel starts,
        # and the facts take seconds, so they are computed on first use.
        self.ev = evidence(self.data_dir)
        costs.check_currency(self.ev, self.currency)

    @cached_property
    def f(self) -> facts.Findings:
        return facts.findings(self.ev, self.currency)

    # -------------------------------------------------------------- sections

    def title(self) -> str:
        return TITLE

    def headline(self) -> None:
        publish_title(self.title())
        overview, r = self.f.syntheses[0], self.f.robustness
        if not overview.pooled:
            publish_headline(f"{overview.label}: not pooled ({overview.reason_not_pooled})")
            return
        c = overview.coverage
        side = overview.favours() or "neither"
        shares = ("" if not r.specifications else
                  f"; {fmt.percent(r.share_significant_favouring)} of {fmt.count(r.specifications)} defensible analyses "
                  f"significantly favour baclofen")
        publish_headline(f"Across {fmt.count(c.trials)} of {fmt.count(c.reference_trials)} placebo-controlled trials, "
                         f"{fmt.effect(overview.measure, overview.estimate, overview.ci_low, overview.ci_high)} favouring {side}; "
                         f"the prediction interval {_includes(overview.pi_excludes_null)}{shares}")

    def cannot_carry(self) -> None:
        lim = self.f.limits
        thin = lim.not_from_full_text
        extraction = (f"<b>What these numbers cannot carry.</b> {fmt.count(len(thin))} of the {fmt.count(lim.reference_trials)} "
                      f"placebo-controlled trials in the data were read from pages other than the full paper (the kind of page "
                      f"in brackets): {_names([f'{label} ({kinds})' for _, label, kinds in thin])}. An abstract gives fewer "
                      f"numbers, often rounded, and no risk of bias is assessed here. The "
                      f"{link(EVIDENCE_REPORT, 'evidence table')} gives the page each number comes from.")
        missing = []
        for s in self.f.syntheses:
            gone = [m.label for m in s.missing]
            missing.append(f"{link(META_REPORT[s.outcome_id], esc(s.label))}: {fmt.count(len(gone))} of the "
                           f"{fmt.count(s.coverage.reference_trials)} trials are not in it ({_names(gone)})")
        box(extraction + "<br>Each pooled number leaves trials out (each report gives the reason for each trial):<ul>" + "".join(f"<li>{m}</li>" for m in missing) + "</ul>")

    def does_it_help(self) -> None:
        syn = [s for s in self.f.syntheses if s.pooled]
        significant = [s for s in syn if s.ci_excludes_null and s.favours() == "baclofen"]
        robust = [s for s in significant if s.hksj_low is None or s.hksj_excludes_null]
        predicted = [s for s in syn if s.pi_excludes_null and s.favours() == "baclofen"]
        paragraph(f"Of the main pooled results, {_of(len(significant), len(syn))} favour baclofen with a 95% confidence "
                  f"interval that excludes no effect ({_names([s.label for s in significant])}); {_of(len(robust), len(significant))} "
                  f"still do with the interval advised when trials are few ({_names([s.label for s in robust])}); "
                  f"{_of(len(predicted), len(syn))} have a prediction interval that excludes no effect "
                  f"({_names([s.label for s in predicted])}), the test of whether the next trial would also find benefit.")
        paragraph(in_short(self.f))
        items([synthesis_text(s) for s in self.f.syntheses])
        r = self.f.robustness
        if r.specifications:
            most = "most" if r.share_significant_favouring > 0.5 else "fewer than half"
            paragraph(f"{link(ROBUSTNESS_REPORT, 'Every defensible analysis')}: across {fmt.count(r.specifications)} ways of "
                      f"choosing the trials, the outcome, the statistical model and the dose band, {fmt.percent(r.share_favouring)} "
                      f"point in baclofen's favour and {fmt.percent(r.share_significant_favouring)} ({most}) have a 95% CI that "
                      f"excludes no effect; the median is a standardised difference of {fmt.number(r.median_smd)}. The choice "
                      f"that moves the answer most is the {esc(r.top_choice)}.")

    def dose(self) -> None:
        d = self.f.dose
        response, high, low = (link(name, text) for name, text in zip(DOSE_REPORTS, ("Meta-regression on dose", "above", "at or below")))
        if d.ratio_per_100mg is None:
            paragraph(f"{response}: not estimable ({esc(d.reason)}).")
        else:
            crosses = d.ratio_ci_low <= 1 <= d.ratio_ci_high if d.measure in fmt.RATIO_MEASURES else d.ratio_ci_low <= 0 <= d.ratio_ci_high
            words = ("the data cannot tell whether higher doses do better or worse" if crosses
                     else f"higher doses do {'better' if d.ratio_per_100mg > 1 else 'worse'}")
            paragraph(f"{response} ({esc(d.outcome_label.lower())}, {fmt.count(d.comparisons)} baclofen arms against placebo): each "
                      f"extra 100 mg/day multiplies the {esc(d.measure)} by {fmt.number(d.ratio_per_100mg)} "
                      f"({fmt.interval(d.ratio_ci_low, d.ratio_ci_high)}; permutation {fmt.p_value(d.permutation_p)}): {words}.")
        if d.low and d.high:
            differ = (d.p_between is not None and d.p_between < 0.05)
            paragraph(f"Split at {fmt.dose(d.threshold)}: {esc(d.measure)} {fmt.number(d.low['estimate'])} "
                      f"({fmt.interval(d.low['ci_low'], d.low['ci_high'])}) {low} it ({_trials(d.low['studies'])}, "
                      f"{fmt.count(d.low['participants'])} participants) against {fmt.number(d.high['estimate'])} "
                      f"({fmt.interval(d.high['ci_low'], d.high['ci_high'])}) {high} it ({_trials(d.high['studies'])}, "
                      f"{fmt.count(d.high['participants'])} participants); the test for a difference between them gives "
                      f"{fmt.p_value(d.p_between)}: {'the bands differ' if differ else 'no difference shown'}.")
        if d.multi_dose_trials:
            verb = "reports" if d.multi_dose_with_contrast == 1 else "report"
            paragraph(f"{_of(d.multi_dose_with_contrast, d.multi_dose_trials).capitalize()} trials that randomized patients to "
                      f"two doses of baclofen {verb} a usable comparison of the doses themselves.")

    def cost(self) -> None:
        c, ev = self.f.cost, self.ev
        if c.rct_low is not None:
            paragraph(f"{link(COSTS_REPORT, 'The drug')}: baclofen for one patient, at a placebo-controlled trial's dose and for its "
                      f"duration, costs from {fmt.money(c.rct_low, c.currency, digits=2)} ({esc(c.rct_low_trial)}, at "
                      f"{_price(ev, c.rct_low_source)}) to {fmt.money(c.rct_high, c.currency, digits=2)} ({esc(c.rct_high_trial)}, at "
                      f"{_price(ev, c.rct_high_source)}), across the {fmt.count(c.prices)} prices in the data, each converted at "
                      f"its own year's exchange rate.")
        lines = []
        for b in c.budgets.itertuples():
            per = (fmt.money(b.cost_per_patient, b.currency) if b.converted else f"not converted ({esc(b.conversion)})")
            drug = fmt.money_range(b.drug_cost_low, b.drug_cost_high, b.currency, missing="not priced", digits=2)
            lines.append(f"{esc(b.label)}: {esc(b.basis)} of {fmt.money(b.source_amount, b.source_currency)} "
                         f"({fmt.year(b.price_year)}) for {fmt.count(b.n_randomized)} randomized patients = {per} per patient; "
                         f"the drug alone at its dose: {drug} per patient.")
        if lines:
            paragraph(f"{link(COSTS_REPORT, 'The trials')}: published budgets per randomized patient (a grant award is only "
                      f"part of a trial's cost), beside the drug's own cost in the same trial:")
            items(lines)
        if c.not_converted:
            paragraph(f"Amounts not converted to {esc(c.currency)} for want of an exchange rate: "
                      f"{esc('; '.join(dict.fromkeys(c.not_converted)))}.")

    def articles(self) -> None:
        reports = claims_reports()
        lines = []
        for s in self.f.sources:
            parts = ", ".join(f"{fmt.count(n)} {VERDICT_WORDS.get(v, v)}" for v, n in s.counts.items())
            lines.append(f"{link(reports.get(s.source_id, CLAIMS_REPORT), esc(s.name))}: {fmt.count(s.total)} claims checked: {parts}.")
        paragraph(f"{link(CLAIMS_REPORT, 'Each claim')} of the {fmt.count(len(self.f.sources))} popular articles was checked "
                  f"against the data, in code:")
        items(lines)
        if not self.f.wrong:
            paragraph("No claim is contradicted or overstated by the data.")
            return
        contradicted = sum(w.verdict == "inconsistent" for w in self.f.wrong)
        paragraph(f"The claims the data contradict ({fmt.count(contradicted)}) or that go beyond them "
                  f"({fmt.count(len(self.f.wrong) - contradicted)}), with what the data show:")
        items([f"<b>{esc(VERDICT_WORDS.get(w.verdict, w.verdict)).capitalize()}</b> — {esc(w.source_name)}: “{esc(w.claim)}” "
               f'<br><span style="color:#555;font-size:0.92em">Checked: {esc(w.evidence)}</span>' for w in self.f.wrong])


def claims_reports() -> dict[str, str]:
    """Each source's own claims report, from the report registry (reports.yml)."""
    from baclofen_evidence.reports_config import load_reports

    return {r.parameters["source"]: r.name for r in load_reports() if r.parameters.get("source") and r.notebook == "claims.ipynb"}
