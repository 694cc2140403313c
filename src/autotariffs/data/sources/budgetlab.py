"""Budget Lab (Yale) note on duties Census records as collected on HS 8703 (tariffs PROVENANCE,
2025-26 extension): ``tariffs/budgetlab_collected_duty_rates_8703_note_2026-06-12.md``.

The file is a verbatim prose excerpt, not a table, so the reader pins the exact sentences it
takes numbers from (regular expressions on the verbatim text) and fails loudly if any is missing:
a silently mis-read rate would defeat the point of an independent check.

What the note says (collected = Census calculated duty / customs value, HS 8703):

* Korea: **25.0%** collected Aug-Nov 2025 (tracker statutory 21.3), **15.0%** "from Dec 2025 on"
  (tracker statutory 10.1).
* Japan: tracker statutory 15.0 vs collected **12.5** then **9.6** in Feb-Mar 2026 (the note
  attributes the drop to Section 232 import-adjustment offset credits).

"From Dec 2025 on" is open-ended; the note's latest quoted month is March 2026 (Japan), so the
Korea 15.0% rows run Dec 2025..``open_end`` (default 2026-03). The tracker statutory rates are the
note's tracker (Budget Lab's), not this project's event table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from autotariffs.data.sources import read_text
from autotariffs.errors import SourceFormatError

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_NUM = r"(\d+(?:\.\d+)?)"
_PATTERNS = {
    "kor_from": (r"Census collects a rock-steady \*\*" + _NUM + r" ?%\*\* from (\w{3}) (\d{4}) on, "
                 r"while tracker statutory is \*\*" + _NUM + r" ?%\*\*"),
    "kor_before": (r"\((\w{3})[–-](\w{3}) (\d{4}) the mismatch ran the other way: stat " + _NUM
                   + r" vs collected " + _NUM + r"\.\)"),
    "jpn": (r"Japan 8703 for (\w{3})[–-](\w{3}) (\d{4}): stat " + _NUM + r" vs collected " + _NUM
            + r" → " + _NUM),
}
COLUMNS = ["origin", "hs_code", "month", "collected_rate_pct", "tracker_statutory_pct", "quote"]


def _month(mon: str, year: str, file: str) -> pd.Timestamp:
    if mon not in _MONTHS:
        raise SourceFormatError(file, "English three-letter month names", f"got {mon!r}")
    return pd.Timestamp(int(year), _MONTHS[mon], 1)


def read_collected_note(path: Path, open_end: str = "2026-03") -> pd.DataFrame:
    """Monthly collected HS 8703 duty rates quoted by the note, one row per origin x month.

    Returns ``origin, hs_code, month, collected_rate_pct, tracker_statutory_pct, quote`` (the
    verbatim sentence each number comes from), sorted by origin and month.
    """
    path = Path(path)
    text = read_text(path)
    found = {}
    for key, pat in _PATTERNS.items():
        m = re.search(pat, text)
        if m is None:
            raise SourceFormatError(path.name, f"the verbatim sentence matching {pat!r}",
                                    "not found: the note changed; re-read it by hand")
        found[key] = m
    rows = []
    m = found["kor_before"]
    first, last = _month(m[1], m[3], path.name), _month(m[2], m[3], path.name)
    for mo in pd.date_range(first, last, freq="MS"):
        rows.append(("KOR", mo, float(m[5]), float(m[4]), m[0]))
    m = found["kor_from"]
    for mo in pd.date_range(_month(m[2], m[3], path.name), pd.Timestamp(open_end + "-01"),
                            freq="MS"):
        rows.append(("KOR", mo, float(m[1]), float(m[4]), m[0]))
    m = found["jpn"]
    first, last = _month(m[1], m[3], path.name), _month(m[2], m[3], path.name)
    months = pd.date_range(first, last, freq="MS")
    if len(months) != 2:
        raise SourceFormatError(path.name, "two Japan months (collected a -> b)", m[0])
    for mo, v in zip(months, (m[5], m[6]), strict=True):
        rows.append(("JPN", mo, float(v), float(m[4]), m[0]))
    out = pd.DataFrame([(o, "8703", mo, c, s, q) for o, mo, c, s, q in rows], columns=COLUMNS)
    out["month"] = out["month"].astype("datetime64[ns]")
    return out.sort_values(["origin", "month"]).reset_index(drop=True)
