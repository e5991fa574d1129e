"""What a report says about itself: its title from its parameters, the subset its tables cover, and in the
dose-response report the threshold it was given (not the label maximum under another name).

The sections run in-process on the shipped data, their displays collected: no kernel, no render.
"""

from __future__ import annotations

import pytest

from baclofen_evidence import domain
from baclofen_evidence.headline import TITLE_KEY
from baclofen_evidence.sections import common


@pytest.fixture
def shown(monkeypatch):
    """Everything the sections display, as text (HTML or Markdown source, title payloads)."""
    out: list[str] = []

    def collect(*objs, raw=False, **kwargs):
        for obj in objs:
            if isinstance(obj, dict):
                out.append(str(obj.get(TITLE_KEY, obj)))
            else:
                out.append(str(getattr(obj, "data", obj)))

    monkeypatch.setattr(common, "display", collect)
    monkeypatch.setattr("IPython.display.display", collect)
    return out


def meta_report(tmp_path, **params):
    from baclofen_evidence.sections.meta_analysis import MetaAnalysisReport

    return MetaAnalysisReport(figures_dir=str(tmp_path), **params)


@pytest.mark.parametrize("params,title", [
    ({"outcome": "dropout", "dose_band": "high"}, "Meta-analysis: dropout, high-dose arms (> 80 mg/day)"),
    ({"outcome": "abstinence", "min_duration_weeks": 12}, "Meta-analysis: complete abstinence, trials of 12 weeks or more"),
    ({"outcome": "abstinence", "dose_band": "low", "dose_threshold": 60}, "Meta-analysis: complete abstinence, low-dose arms (≤ 60 mg/day)"),
])
def test_meta_analysis_titles_say_which_variant(tmp_path, shown, params, title):
    report = meta_report(tmp_path, **params)
    assert report.title().lower() == title.lower()
    report.headline()
    assert any(title.lower() in s.lower() for s in shown)


def test_every_shipped_report_has_its_own_title(tmp_path):
    """reports.yml's meta-analysis, claims and TSA pages each get a distinct heading from their parameters."""
    from baclofen_evidence import config
    from baclofen_evidence.datapackage import load
    from baclofen_evidence.report_parameters import report_class
    from baclofen_evidence.reports_config import load_reports

    ev = load(config.DATA_DIR)
    titles = {r.name: report_class(r.notebook).title_for(r.parameters, ev) for r in load_reports(config.REPORTS_CONFIG)}
    assert len(set(titles.values())) == len(titles), titles
    meta = report_class("meta_analysis")
    full = meta(outcome="dropout", dose_band="high", figures_dir=str(tmp_path))
    assert meta.title_for(full.parameter_values(), ev) == full.title()  # the cheap title is the rendered one
    assert titles["claims_000"].startswith("Claims: ") and "000_" not in titles["claims_000"]
    assert titles["tsa_relapse"].startswith("Trial sequential analysis: ")


@pytest.fixture
def abstinence_only(monkeypatch):
    """The summary of findings over one outcome instead of all: the labelling is what is tested, quickly."""
    from baclofen_evidence import meta_analysis as meta

    every = meta.analysis_outcomes
    monkeypatch.setattr(meta, "analysis_outcomes", lambda descriptor: {"abstinence": every(descriptor)["abstinence"]})


def test_a_subset_report_labels_its_summary_of_findings(tmp_path, shown, abstinence_only):
    report = meta_report(tmp_path, outcome="abstinence", dose_band="high")
    assert report.restricted
    report.summary_of_findings()
    sof = next(s for s in shown if "Summary of findings" in s)
    assert "Evidence covered" in sof and "baclofen arms above 80 mg/day only" in sof
    assert any("Subset only" in s for s in shown)


def test_a_subset_report_compares_published_estimates_with_the_whole_evidence(tmp_path, shown, monkeypatch):
    from baclofen_evidence import published

    runners = []
    monkeypatch.setattr(published, "compare", lambda ev, run, method: runners.append(run) or [])
    report = meta_report(tmp_path, outcome="abstinence", dose_band="high")
    report.published()
    text = " ".join(shown)
    assert "whole-evidence" in text and "Published whole-review estimates and this project" in text
    whole = meta_report(tmp_path, outcome="abstinence")
    # Beside a published estimate goes the unrestricted analysis, not the subset.
    assert runners[0]("abstinence", "RR").result.estimate == pytest.approx(whole.ma.result.estimate)
    assert runners[0]("abstinence", "RR").result.estimate != pytest.approx(report.ma.result.estimate)
    shown.clear()
    whole.published()
    assert not any("whole-evidence" in s for s in shown) and runners[1] == whole._run


def test_an_unrestricted_report_does_not_call_itself_a_subset(tmp_path, shown, abstinence_only):
    report = meta_report(tmp_path, outcome="abstinence")
    assert not report.restricted
    report.summary_of_findings()
    assert not any("Evidence covered" in s for s in shown)


# ---------------------------------------------------------------- dose-response


def test_a_dose_threshold_is_not_called_the_label_maximum(tmp_path, shown):
    from baclofen_evidence.sections.dose_response import DoseResponseReport

    DoseResponseReport(dose_threshold=100, figures_dir=str(tmp_path)).method()
    text = " ".join(shown)
    assert "this report's dose threshold, 100 mg/day" in text
    assert "100 mg/day, the maximum" not in text and "80 mg/day, the maximum dose in the US spasticity label" in text


def test_the_figure_draws_the_given_threshold_and_the_fit_only_over_the_doses_used(tmp_path):
    import matplotlib.pyplot as plt

    from baclofen_evidence import plots
    from baclofen_evidence.sections.dose_response import DoseResponseReport

    report = DoseResponseReport(dose_threshold=100, figures_dir=str(tmp_path))
    fig = plots.dose_response(report.result, 100)
    ax = fig.axes[0]
    vertical = {line.get_label(): line.get_xdata()[0] for line in ax.get_lines() if len(set(line.get_xdata())) == 1}
    assert vertical["threshold of this report: 100 mg/day"] == 100
    assert vertical[f"US spasticity label maximum: {domain.US_SPASTICITY_LABEL_MAX_MG_DAY:g} mg/day"] == 80
    fit = next(line for line in ax.get_lines() if line.get_label().startswith("meta-regression"))
    doses = report.result.analysis.studies["dose_for_regression"]
    assert min(fit.get_xdata()) == pytest.approx(doses.min()) and max(fit.get_xdata()) == pytest.approx(doses.max())
    # Each point is labelled with the dose it is plotted at: BACLAD sits at its mean achieved dose, target named too.
    labels = {t.get_text(): t.xy[0] for t in ax.texts if "BACLAD" in t.get_text()}
    plt.close(fig)
    for text, x in labels.items():
        assert text.startswith(f"BACLAD 2015 (Müller) (mean {x:g} mg/day")
        assert "270 mg/day" not in text or "target 270 mg/day" in text


def test_a_subset_headline_names_its_subset_and_the_whole_one_does_not(tmp_path):
    from baclofen_evidence.sections.meta_analysis import headline_text

    high = meta_report(tmp_path, outcome="abstinence", dose_band="high")
    assert headline_text(high.ma).startswith("Complete abstinence (baclofen arms above 80 mg/day only): RR ")
    assert headline_text(meta_report(tmp_path, outcome="abstinence").ma).startswith("Complete abstinence: RR ")
