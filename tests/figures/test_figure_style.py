"""The house style is seaborn's theme written out as rcParams, so that figure steps need not
import seaborn (and scipy.stats with it) at kernel start; these tests fail if the two differ
or if importing the figures package loads seaborn again."""

from __future__ import annotations

import subprocess
import sys

import matplotlib as mpl

from autotariffs import figures


def _rc_after(apply) -> dict:
    with mpl.rc_context():
        mpl.rcdefaults()
        apply()
        return dict(mpl.rcParams)


def test_written_out_theme_is_seaborns():
    import seaborn as sns

    theirs = _rc_after(lambda: sns.set_theme(context="paper", style="ticks",
                                             palette=figures.OKABE_ITO, font_scale=1.1))
    ours = _rc_after(lambda: mpl.rcParams.update(figures.SEABORN_THEME))
    differ = {k: (ours[k], theirs[k]) for k in theirs if ours[k] != theirs[k]}
    # seaborn's "rocket" colour map is registered by importing seaborn: left out on purpose
    assert differ == {"image.cmap": ("viridis", "rocket")}


def test_importing_figures_loads_neither_seaborn_nor_scipy_stats():
    code = ("import sys, autotariffs.figures as f; f.set_style(); "
            "print(sorted(m for m in ('seaborn', 'scipy.stats') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
