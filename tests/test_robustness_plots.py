"""GOSH figures stay legible at 65,535 subsets: densities (hexagon counts), never one mark per subset."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection

from baclofen_evidence import config, gosh
from baclofen_evidence import robustness_plots as rp


def test_gosh_plot_of_65535_subsets_is_a_density():
    d = pd.read_csv(config.PROJECT_ROOT / "benchmarks" / "gosh_16_studies.csv")
    res = gosh.run(d["yi"], d["vi"], list(d["study"]), method="DL")
    fig = rp.gosh_panels({"DL": res}, "SMD", "test")
    hexes = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(hexes) == 1
    counts = hexes[0].get_array()
    assert counts.sum() == (res.stats["k"] >= 2).sum() == 65535 - 16
    assert len(counts) < 2000  # hexagons drawn, not 65,519 points
    plt.close(fig)


def test_by_trial_panels_one_per_trial():
    res = gosh.run([0.1, 0.4, 0.2, 0.9], [0.02, 0.03, 0.04, 0.02], ["a", "b", "c", "d"], method="REML")
    fig = rp.gosh_by_trial(res, {"a": "Trial A"}, "SMD", "t")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["Trial A", "b", "c", "d"]
    plt.close(fig)


def test_specification_curve_marks_each_choice():
    specs = pd.DataFrame({"estimate": [0.3, -0.1, 0.5], "ci_low": [0.1, -0.4, -0.2], "ci_high": [0.5, 0.2, 1.2],
                          "ci_excludes_null": [True, False, False], "default": [True, False, False],
                          "outcome": ["a", "b", "a"], "estimator": ["REML", "FE", "FE"]})
    fig = rp.specification_curve(specs, {"outcome": ["a", "b"], "estimator": ["FE", "REML"]}, "t")
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert labels == ["outcome: a", "outcome: b", "estimator: FE", "estimator: REML"]
    plt.close(fig)
