"""build_report on a hand-made (SIMULATED) reports tree: numbers, figures, tables, links, determinism.

Expected values are written out by hand from the fixture (e.g. -1.23456 shown with 3 decimals is
"-1.235"), never read back from the code under test.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from support.png import png_text

from autotariffs import labels, outputs
from autotariffs.outputs import ReportError
from autotariffs.report import collect, provenance, render
from autotariffs.report import html as report

COMMIT = "0123456789abcdef0123456789abcdef01234567"


# --------------------------------------------------------------------------- fixture builders
def tiny_png(path: Path, width: int = 3, height: int = 2) -> None:
    """A valid RGB PNG written with zlib only (independent of matplotlib)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
    path.write_bytes(png + chunk(b"IEND", b""))


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1), encoding="utf-8")


FIGS = {
    "fig_b_kor": ("Korea event study", "04_estimates", {"origin": "KOR"}),
    "fig_a_imports": ("Imports by origin", "02_descriptives", {}),
}
TABLES = {
    "tab_elasticity": ("Elasticities", "04_estimates", {"origin": "KOR"}),
    "tab_data": ("Data summary", "01_data", {}),
}


def make_reports(root: Path) -> Path:
    rep = root / "reports"
    write_json(
        rep / "results" / "04_estimates_KOR.json",
        {
            "KOR": {"elasticity": {"coef": -1.23456, "se": 0.4, "n": 60}},
            "identification": {"elasticity": ["Needs a control origin.", "Annual only <b>"]},
            "_meta": {
                "notebook": "04_estimates",
                "params": {"origin": "KOR"},
                "headline": ["KOR.elasticity.coef", "KOR.elasticity.se"],
            },
        },
    )
    write_json(
        rep / "results" / "04_estimates_JPN.json",
        {
            "JPN": {"elasticity": {"coef": 0.5, "se": 0.02}, "event_study": [{"k": 0, "b": 1.5}]},
            "_meta": {
                "notebook": "04_estimates",
                "params": {"origin": "JPN"},
                "headline": ["JPN.elasticity.coef"],
            },
        },
    )
    write_json(rep / "results" / "01_data.json", {"data": {"n_rows": 335}})  # no _meta block
    (rep / "figures").mkdir(parents=True, exist_ok=True)
    for fig_id, (title, nb, params) in FIGS.items():
        tiny_png(rep / "figures" / f"{fig_id}.png")
        (rep / "figures" / f"{fig_id}.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
        write_json(
            rep / "figures" / f"{fig_id}.json",
            {
                "id": fig_id,
                "title": title,
                "caption": f"Caption of {fig_id}.",
                "notebook": nb,
                "params": params,
                "source_note": (
                    "Source: simulated A." if fig_id == "fig_a_imports" else f"Simulated {fig_id}"
                ),
            },
        )
    for tab_id, (title, nb, params) in TABLES.items():
        (rep / "tables").mkdir(parents=True, exist_ok=True)
        (rep / "tables" / f"{tab_id}.csv").write_text(
            f"term,coef\nln1p_tau,-1.2345678901\nconst,2\n{tab_id},3\n", encoding="utf-8"
        )
        write_json(
            rep / "tables" / f"{tab_id}.json",
            {
                "id": tab_id,
                "title": title,
                "caption": f"About {tab_id}.",
                "notebook": nb,
                "params": params,
            },
        )
    return rep


TABLE_PROV = """# PROVENANCE - macro

| file | SHA-256 | bytes | source (repo @ commit : path) | series |
|---|---|---|---|---|
| `fx.csv` | `abc` | 10 | `owner/repo` @ `deadbeef` : `FX.csv` | KRW per USD |
"""
SECTION_PROV = """# Raw trade snapshot

### 1. `imports.csv`
* Source repo: `team/apmcm`, commit `cafe`
  (file added later), path `q2/us.xlsx`.
* Original source: UN Comtrade monthly download;
  reporter USA.
* Coverage: 2020-01 to 2025-07.
"""


def make_raw(root: Path) -> Path:
    raw = root / "raw"
    (raw / "macro").mkdir(parents=True)
    (raw / "trade").mkdir(parents=True)
    (raw / "macro" / "PROVENANCE.md").write_text(TABLE_PROV, encoding="utf-8")
    (raw / "trade" / "PROVENANCE.md").write_text(SECTION_PROV, encoding="utf-8")
    (raw / "macro" / "fx.csv").write_text("month,krw\n2020-01,1160\n", encoding="utf-8")
    (raw / "trade" / "imports.csv").write_text("m,v\n2020-01,1\n", encoding="utf-8")
    lines = []
    for rel in ["trade/imports.csv", "macro/fx.csv", "macro/PROVENANCE.md", "trade/PROVENANCE.md"]:
        lines.append(f"{hashlib.sha256((raw / rel).read_bytes()).hexdigest()}  {rel}")
    (raw / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return raw


class PageParser(HTMLParser):
    """Collects data-key spans, links, images, tables and captions (stdlib only)."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, str] = {}
        self.links: list[str] = []
        self.imgs: list[str] = []
        self.tables: list[str] = []
        self.figcaptions: list[str] = []
        self._key: str | None = None
        self._cap: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-key" in a:
            self._key = a["data-key"]
            self.keys[self._key] = ""
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "link" and "href" in a:
            self.links.append(a["href"])
        if tag == "img":
            self.imgs.append(a["src"])
        if tag == "table" and "data-table-id" in a:
            self.tables.append(a["data-table-id"])
        if tag == "figcaption":
            self._cap = []

    def handle_endtag(self, tag):
        if self._key is not None and tag == "span":
            self._key = None
        if tag == "figcaption" and self._cap is not None:
            self.figcaptions.append(" ".join("".join(self._cap).split()))
            self._cap = None

    def handle_data(self, data):
        if self._key is not None:
            self.keys[self._key] += data
        if self._cap is not None:
            self._cap.append(data)


@pytest.fixture()
def built(tmp_path):
    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    out = report.build_report(rep, raw, title="Simulated report", commit=COMMIT)
    return rep, raw, out


def parse(path: Path) -> PageParser:
    p = PageParser()
    p.feed(path.read_text(encoding="utf-8"))
    return p


# --------------------------------------------------------------------------- tests
def test_outputs_written(built):
    rep, _, out = built
    assert out == {
        "results": rep / "results.json",
        "registry": rep / "figures" / "registry.csv",
        "html": rep / "index.html",
    }
    assert all(p.is_file() for p in out.values())


def test_results_merged_with_stable_keys(built):
    rep, _, _ = built
    res = json.loads((rep / "results.json").read_text())
    assert res["KOR"]["elasticity"] == {"coef": -1.23456, "se": 0.4, "n": 60}
    assert res["JPN"]["event_study"] == [{"k": 0, "b": 1.5}]
    assert res["data"] == {"n_rows": 335}
    assert "_meta" not in res and "_meta" not in res["KOR"]
    meta = res["meta"]
    assert meta["commit"] == COMMIT and meta["dirty"] is False
    assert meta["package_version"] == "0.1.0"
    assert meta["params"]["04_estimates_KOR"]["params"] == {"origin": "KOR"}
    assert meta["params"]["04_estimates_JPN"]["notebook"] == "04_estimates"
    # a file without _meta: notebook inferred from its name, no params
    assert meta["params"]["01_data"] == {
        "notebook": "01_data",
        "params": {},
        "headline": [],
        "keys": ["data"],
    }


def test_headline_numbers_match_results_json(built):
    rep, _, _ = built
    page = parse(rep / "index.html")
    # declared headline keys, formatted with 3 decimals (worked out by hand)
    assert page.keys == {
        "KOR.elasticity.coef": "-1.235",
        "KOR.elasticity.se": "0.400",
        "JPN.elasticity.coef": "0.500",
    }
    res = json.loads((rep / "results.json").read_text())
    for key, shown in page.keys.items():
        val = res
        for part in key.split("."):
            val = val[part]
        assert shown == f"{val:.3f}"


def test_every_figure_and_table_present_numbered(built):
    rep, _, _ = built
    page = parse(rep / "index.html")
    # figures ordered by (notebook, id): 02_descriptives before 04_estimates
    assert page.imgs == ["figures/fig_a_imports.png", "figures/fig_b_kor.png"]
    assert "figures/fig_a_imports.pdf" in page.links and "figures/fig_b_kor.pdf" in page.links
    assert page.figcaptions[0].startswith("Figure 1. Imports by origin. Caption of fig_a_imports.")
    assert page.figcaptions[1].startswith("Figure 2. Korea event study.")
    assert "Source: Simulated fig_b_kor" in page.figcaptions[1]
    assert "Source: simulated A." in page.figcaptions[0]  # not doubled to "Source: Source:"
    assert "Source: Source" not in page.figcaptions[0]
    assert "notebook 04_estimates (parameters)" in page.figcaptions[1]  # params: in #runs
    assert page.tables == ["tab_data", "tab_elasticity"]
    html = (rep / "index.html").read_text()
    assert "Table 1. Data summary." in html and "Table 2. Elasticities." in html
    # long floats shown with 3 decimals, integers verbatim, identifiers as code
    assert '<td class="num">-1.235</td>' in html and '<td class="num">2</td>' in html
    assert "<td><code>ln1p_tau</code></td>" in html
    assert "tables/tab_data.csv" in page.links


def test_links_are_relative_and_resolve(built):
    rep, _, _ = built
    page = parse(rep / "index.html")
    targets = [u for u in page.links + page.imgs if not u.startswith("#")]
    assert targets, "page should link to figures, tables and results"
    for url in targets:
        if url.startswith("data:"):
            continue
        assert "://" not in url and not url.startswith("/"), url
        assert (rep / url).is_file(), f"dangling link {url}"
    html = (rep / "index.html").read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_print_stylesheet_and_escaping(built):
    rep, _, _ = built
    html = (rep / "index.html").read_text()
    assert "@media print" in html
    print_css = html[html.index("@media print") :]
    assert "max-width: 100%" in print_css
    assert "Annual only &lt;b&gt;" in html  # results text is escaped, not injected
    assert "What the shipped data can and cannot say" in html
    assert "Needs a control origin." in html


def test_registry_csv(built):
    rep, _, _ = built
    reg = pd.read_csv(rep / "figures" / "registry.csv", dtype=str, keep_default_na=False)
    assert list(reg.columns) == ["fig_id", "title", "notebook", "params", "png", "pdf"]
    assert reg["fig_id"].tolist() == ["fig_a_imports", "fig_b_kor"]
    row = reg.iloc[1].to_dict()
    assert row == {
        "fig_id": "fig_b_kor",
        "title": "Korea event study",
        "notebook": "04_estimates",
        "params": '{"origin": "KOR"}',
        "png": "fig_b_kor.png",
        "pdf": "fig_b_kor.pdf",
    }


def test_provenance_section(built):
    rep, raw, _ = built
    html = (rep / "index.html").read_text()
    fx_sha = hashlib.sha256((raw / "macro" / "fx.csv").read_bytes()).hexdigest()
    assert f'<td class="mono">{fx_sha[:12]}</td>' in html
    assert "owner/repo @ deadbeef : FX.csv" in html
    rows = {r["file"]: r for r in provenance.provenance_summary(raw)}
    assert rows["trade/imports.csv"]["source"] == (
        "original: UN Comtrade monthly download; reporter USA; "
        "via: team/apmcm, commit cafe (file added later), path q2/us.xlsx"
    )
    assert rows["macro/PROVENANCE.md"]["source"] == "documentation / manifest of this folder"
    assert sorted(rows) == [
        "macro/PROVENANCE.md",
        "macro/fx.csv",
        "trade/PROVENANCE.md",
        "trade/imports.csv",
    ]


def test_two_runs_byte_identical(tmp_path):
    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    out1 = report.build_report(rep, raw, title="Simulated", commit=COMMIT)
    first = {k: p.read_bytes() for k, p in out1.items()}
    # a copy of the tree elsewhere must render identically too (no absolute paths leak in)
    rep2 = tmp_path / "copy" / "reports"
    shutil.copytree(rep, rep2)
    for p in out1.values():
        (rep2 / p.relative_to(rep)).unlink()
    out2 = report.build_report(rep2, raw, title="Simulated", commit=COMMIT)
    out3 = report.build_report(rep, raw, title="Simulated", commit=COMMIT)
    for k in first:
        assert out2[k].read_bytes() == first[k], k
        assert out3[k].read_bytes() == first[k], k


def test_missing_figure_file_is_named(tmp_path):
    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    (rep / "figures" / "fig_b_kor.png").unlink()
    with pytest.raises(ReportError, match=r"fig_b_kor\.png is missing") as err:
        report.build_report(rep, raw, commit=COMMIT)
    assert "04_estimates" in str(err.value)
    assert not (rep / "index.html").exists(), "no partial report on failure"


def test_unregistered_png_and_table_without_sidecar(tmp_path):
    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    tiny_png(rep / "figures" / "stray.png")
    with pytest.raises(ReportError, match=r"stray\.png: figure has no sidecar"):
        report.build_report(rep, raw, commit=COMMIT)
    (rep / "figures" / "stray.png").unlink()
    (rep / "tables" / "tab_data.json").unlink()
    with pytest.raises(ReportError, match=r"tab_data\.csv: table has no sidecar"):
        report.build_report(rep, raw, commit=COMMIT)


def test_conflicting_results_name_both_files(tmp_path):
    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    write_json(rep / "results" / "05_event_KOR.json", {"KOR": {"elasticity": {"coef": -9.0}}})
    with pytest.raises(ReportError, match="KOR.elasticity.coef") as err:
        report.build_report(rep, raw, commit=COMMIT)
    assert "04_estimates_KOR.json" in str(err.value) and "05_event_KOR.json" in str(err.value)


def test_headline_defaults_to_numeric_leaves(tmp_path):
    rep = tmp_path / "reports"
    raw = make_raw(tmp_path)
    write_json(rep / "results" / "x.json", {"A": {"b": 2, "c": "text", "d": [1, 2], "e": None}})
    report.build_report(rep, raw, commit=COMMIT)
    assert parse(rep / "index.html").keys == {"A.b": "2"}  # an integer stays an integer


def test_unknown_headline_key_is_reported(tmp_path):
    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    with pytest.raises(ReportError, match="KOR.passthrough"):
        report.build_report(rep, raw, commit=COMMIT, headline=["KOR.passthrough.coef"])


def test_write_helpers_roundtrip(tmp_path):
    rep = tmp_path / "reports"
    raw = make_raw(tmp_path)
    p = outputs.write_results(
        "04_estimates_KOR",
        {"KOR": {"passthrough": {"coef": 0.25}}},
        params={"origin": "KOR", "window": 12},
        headline=["KOR.passthrough.coef"],
        results_dir=rep / "results",
    )
    assert p.name == "04_estimates_KOR.json"
    # the file is named after the notebook argument alone, whatever the params
    q = outputs.write_results(
        "03_desc", {"d": {"x": 1}}, params={"start": "2020-01"}, results_dir=rep / "results"
    )
    assert q.name == "03_desc.json"
    assert json.loads(q.read_text())["_meta"]["params"] == {"start": "2020-01"}
    (rep / "figures").mkdir(parents=True)
    tiny_png(rep / "figures" / "f.png")
    (rep / "figures" / "f.pdf").write_bytes(b"%PDF-1.4\n")
    outputs.register_figure(
        "f", "T", "C.", "04_estimates", {"origin": "KOR"}, "S", figures_dir=rep / "figures"
    )
    outputs.register_table(
        pd.DataFrame({"a": [0.1234567]}), "t", "TT", "CC", "04_estimates", tables_dir=rep / "tables"
    )
    report.build_report(rep, raw, commit=COMMIT)
    page = parse(rep / "index.html")
    assert page.keys == {"KOR.passthrough.coef": "0.250"}
    assert page.imgs == ["figures/f.png"] and page.tables == ["t"]
    with pytest.raises(ReportError, match="not a valid id"):
        outputs.register_figure("bad id/x", "T", "C", "nb", figures_dir=rep / "figures")
    with pytest.raises(ReportError, match="reserved"):
        outputs.write_results("nb", {"meta": 1}, results_dir=rep / "results")


def test_inline_markdown_is_rendered_and_safe():
    md = render.inline_markdown
    assert str(md("run `make fetch` first")) == "run <code>make fetch</code> first"
    assert str(md("*not* **valid**")) == "<em>not</em> <strong>valid</strong>"
    assert str(md("see [the CSV](tables/x.csv)")) == 'see <a href="tables/x.csv">the CSV</a>'
    # HTML is escaped first; code spans are literal; unsafe link targets stay text
    assert str(md("<b>x</b> & `<i>*y*</i>`")) == (
        "&lt;b&gt;x&lt;/b&gt; &amp; <code>&lt;i&gt;*y*&lt;/i&gt;</code>"
    )
    assert "<a" not in str(md("[x](javascript:alert(1))"))
    assert str(md("2 * 3 * 4 and a*b")) == "2 * 3 * 4 and a*b"  # arithmetic is not emphasis


def _reduced_form_reports(root: Path, n_rows: int = 30) -> Path:
    """SIMULATED results in the shape notebook 04 writes, plus a long table."""
    rep = root / "reports"
    for o, coef in (("KOR", 0.07550116423), ("JPN", 0.0244)):
        rf = {"design": {"controls": ["MEX", "CAN"], "event_month": "2025-04",
                         "pre_start": "2021-01", "pre_end": "2025-02",
                         "post_start": "2025-04", "post_end": "2025-07"}}  # fmt: skip
        for y, label in (("ln_q", "log vehicles"), ("ln_v", "log customs value")):
            rf[y] = {"label": label, "coef": coef, "ci95_low": -0.31, "ci95_high": 0.57,
                     "p_conformal": 0.0004, "n_perm_conformal": 42, "min_p_conformal": 0.0238,
                     "p_placebo": 0.9259, "n_placebos": 26, "min_p_placebo": 0.037,
                     "n_pre": 38, "n_post": 4}  # fmt: skip
        res = {o: {"reduced_form": rf}}
        if o == "KOR":
            res[o]["deal_cut"] = {"coef": 0.0677, "ci95_low": None, "ci95_high": None,
                                  "p_conformal": 0.357, "min_p_conformal": 0.0714, "n_perm": 14,
                                  "p_placebo": 0.667, "n_placebos": 2, "n_pre": 6, "n_post": 8,
                                  "event": "2025-11", "controls": ["CAN", "DEU"]}  # fmt: skip
        outputs.write_results(
            f"04_estimates_{o}", res, params={"origin": o, "donut": 1},
            headline=[f"{o}.reduced_form.{y}.{k}" for y in ("ln_q", "ln_v")
                      for k in ("coef", "p_conformal", "p_placebo")],
            results_dir=rep / "results",
        )  # fmt: skip
    outputs.write_results("06_report", {"validation": {"n_matched": 148, "n_terms": 148, "max_abs_coef_diff": 1e-8, "max_abs_se_diff": 1e-6, "tables": {}}},
                         headline=["validation.n_matched", "validation.n_terms"],
                         results_dir=rep / "results")  # fmt: skip
    outputs.register_table(
        pd.DataFrame({"month": [f"m{i:03d}" for i in range(n_rows)], "v": range(n_rows)}),
        "long", "Long table", "Run `make fetch`; *all* rows in the CSV.", "03_descriptives",
        tables_dir=rep / "tables",
    )  # fmt: skip
    return rep


def test_headline_table_plain_labels_no_raw_keys(tmp_path):
    rep = _reduced_form_reports(tmp_path)
    raw = make_raw(tmp_path)
    report.build_report(rep, raw, commit=COMMIT)
    html = (rep / "index.html").read_text()
    page = parse(rep / "index.html")
    head = html[html.index('<section id="headline">') : html.index('<section id="identification">')]
    visible = re.sub(r"<[^>]+>", " ", head)  # text only: data-key attributes are not shown
    for key in page.keys:
        assert key not in visible and key.rsplit(".", 1)[-1] not in visible, key
    assert "reduced_form" not in visible and "p_conformal" not in visible
    # plain labels and methods in the header
    assert (
        "log vehicles" in visible and "Korea: US imports after the 2025-04 tariff step" in visible
    )
    assert "p: conformal, the design's counterfactual" in visible and "in-time placebos" in visible
    assert "Korea: exports to the US after the deal" in visible and "none attainable" in visible
    # numbers: estimates 3 decimals, p '< 0.001', counts as integers (worked out by hand)
    assert page.keys["KOR.reduced_form.ln_q.coef"] == "0.076"
    assert page.keys["KOR.reduced_form.ln_q.p_conformal"] == "< 0.001"
    assert page.keys["KOR.reduced_form.ln_q.n_pre"] == "38"
    assert page.keys["KOR.reduced_form.ln_q.n_placebos"] == "26"
    assert page.keys["KOR.deal_cut.p_placebo"] == "0.667"
    assert page.keys["validation.n_matched"] == "148" and page.keys["validation.n_terms"] == "148"
    assert "148.000" not in html
    # parameters once per results file, not once per row
    assert "donut" not in visible and 'href="#runs"' in head  # parameters: in their section
    # Korea's rows come first, the deal cut after the per-origin groups
    assert (
        visible.index("Korea: US imports")
        < visible.index("Japan: US imports")
        < visible.index("Korea: exports")
    )


def test_long_table_preview_and_markdown_caption(tmp_path):
    rep = _reduced_form_reports(tmp_path, n_rows=3506)
    raw = make_raw(tmp_path)
    report.build_report(rep, raw, commit=COMMIT)
    html = (rep / "index.html").read_text()
    tab = html[html.index('<details class="table-block" id="tab-long">') :]
    tab = tab[: tab.index("</table>")]
    n = collect.TABLE_PREVIEW_ROWS
    assert n == 8
    assert tab.count("<tr>") == 1 + n  # header + first n rows
    assert f"<td>m{n - 1:03d}</td>" in tab and f"<td>m{n:03d}</td>" not in tab
    assert f"First {n} of 3506 rows" in tab and 'href="tables/long.csv"' in tab
    assert "<code>make fetch</code>" in tab and "<em>all</em>" in tab and "`" not in tab


def test_source_note_once_when_drawn_in_image(tmp_path):
    """A figure whose PNG records its drawn source note does not repeat it in the caption."""
    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    png = rep / "figures" / "fig_b_kor.png"
    data = png.read_bytes()
    body = b"tEXt" + labels.PNG_NOTE_KEY.encode("latin-1") + b"\x00Simulated fig_b_kor"
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    png.write_bytes(data[:33] + chunk + data[33:])  # after IHDR
    assert png_text(png) == {labels.PNG_NOTE_KEY: "Simulated fig_b_kor"}
    report.build_report(rep, raw, commit=COMMIT)
    page = parse(rep / "index.html")
    assert "Simulated fig_b_kor" not in page.figcaptions[1]  # in the image only
    assert page.figcaptions[0].count("Source: simulated A.") == 1  # no note in that image


def test_git_commit_and_dirty_flag(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    assert provenance.git_commit(repo) == ("unknown", False)  # not a repository
    git("init", "-q")
    (repo / "a.txt").write_text("a\n")
    git("add", "a.txt")
    git("commit", "-q", "-m", "init")
    sha = git("rev-parse", "HEAD")
    assert provenance.git_commit(repo) == (sha, False)
    (repo / "reports").mkdir()
    (repo / "reports" / "index.html").write_text("generated\n")
    assert provenance.git_commit(repo) == (sha, False), "generated outputs must not mark dirty"
    (repo / "a.txt").write_text("changed\n")
    assert provenance.git_commit(repo) == (sha, True)
    # and the page says so
    rep = make_reports(tmp_path / "r")
    raw = make_raw(tmp_path / "r")
    report.build_report(rep, raw, repo_dir=repo)
    html = (rep / "index.html").read_text()
    assert f"{sha} (uncommitted changes)" in html
    assert json.loads((rep / "results.json").read_text())["meta"]["dirty"] is True


def test_identical_tables_are_shown_once_naming_every_run(tmp_path):
    """Two runs that publish byte-identical tables (04's pooled table, once per origin) give one
    table on the page that names both; different tables stay apart."""
    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    for o in ("JPN", "KOR"):
        outputs.register_table(pd.DataFrame({"estimate": ["pooled"], "coef": [0.1]}),
                               f"pooled_{o}", "Pooled", "Same for every origin.", "04_estimates",
                               params={"origin": o}, tables_dir=rep / "tables")
    report.build_report(rep, raw, commit=COMMIT)
    html = (rep / "index.html").read_text()
    page = parse(rep / "index.html")
    assert page.tables.count("pooled_KOR") == 1 and "pooled_JPN" not in page.tables
    assert 'data-same-as="pooled_JPN"' in html and 'id="tab-pooled_JPN"' in html
    assert "published by 2 runs" in html and "<code>pooled_JPN</code>" in html
    assert {"tab_data", "tab_elasticity"} <= set(page.tables)  # different content: both shown


def test_pdf_is_optional_and_the_registry_says_which_exist(tmp_path):
    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    (rep / "figures" / "fig_b_kor.pdf").unlink()
    report.build_report(rep, raw, commit=COMMIT)
    reg = pd.read_csv(rep / "figures" / "registry.csv", dtype=str, keep_default_na=False)
    assert dict(zip(reg["fig_id"], reg["pdf"], strict=True)) == {
        "fig_a_imports": "fig_a_imports.pdf", "fig_b_kor": ""}
    page = parse(rep / "index.html")
    assert "figures/fig_b_kor.pdf" not in page.links and "figures/fig_a_imports.pdf" in page.links


def test_origins_in_design_order(tmp_path):
    """Within a notebook, the design's treated origins come first (KOR before JPN), then others."""
    from autotariffs import design

    rep = make_reports(tmp_path)
    raw = make_raw(tmp_path)
    for o in ("DEU", "JPN", "KOR"):
        outputs.register_table(pd.DataFrame({"x": [o]}), f"est_{o}", f"Estimates {o}", "Sim.",
                               "04_estimates", params={"origin": o}, tables_dir=rep / "tables")
    report.build_report(rep, raw, commit=COMMIT)
    shown = [t for t in parse(rep / "index.html").tables if t.startswith("est_")]
    assert shown == [f"est_{o}" for o in (*design.TREATED, "DEU")]
