"""Open the HTML report in headless Chromium (DevTools protocol) the way a reader would.

Checks: every image decodes (naturalWidth > 0), every registered table is in the DOM, every
headline number equals results.json formatted by the one formatter, and the console/network log
has no errors. Read as a reader (issue 21.7): no table twice, no raw column/term names, Python
reprs or parameter dumps in the visible text, numbers in one format, no sentence repeated on every
row, figures shown at a width where their smallest text is readable from PNGs sized for it, the
design's treated origins first, no heading left at the foot of a column, and on a 412 px wide
screen no sideways scrolling (tables scroll in their own box, no text runs off the screen).
The real ``reports/index.html`` is tested when it exists (and a full-page screenshot saved to
``reports/screenshots/index.png``); a SIMULATED fixture report is always tested.

Chromium comes from Debian (``scripts/install_chromium.sh``); the script is run only under CI or
when chromium is missing and apt-get is usable, otherwise these tests skip with the reason.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from support.png import png_text

from autotariffs import atomic as aio
from autotariffs import design, labels, outputs, paths
from autotariffs.report import html as report
from autotariffs.report import merge, narrative
from autotariffs.report.narrative import Quote

pytestmark = pytest.mark.browser

websocket = pytest.importorskip("websocket", reason="websocket-client is needed for CDP")
Image = pytest.importorskip("PIL.Image", reason="Pillow is needed to write fixture PNGs")
PngInfo = pytest.importorskip("PIL.PngImagePlugin").PngInfo

INSTALL_SCRIPT = paths.ROOT / "scripts" / "install_chromium.sh"
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-allow-origins=*",
    "--window-size=1280,900",
]
TIMEOUT = 60
WIDTH = 1400  # the page is read (and its height measured) at this viewport width
MAX_HEIGHT = 12_000
PHONE = 412  # a phone's CSS width: the page must fit it without sideways scrolling
MAX_PNG_PX = 1600  # no figure needs more pixels than this on the page
MAX_DENSITY = 3  # a PNG at most 3x as many pixels wide as the page shows
MIN_TEXT_PX = 9  # the smallest text of a figure, as shown at WIDTH
#: outcome keys of the analysis panel: never printed as they are (independent of the code's list)
RAW_OUTCOMES = {"ln_q", "ln_v", "ln_uv", "d12_ln_q", "d12_ln_v", "d12_ln_uv", "value_usd"}


def _find_chromium() -> str | None:
    env = os.environ.get("CHROMIUM")
    if env and shutil.which(env):
        return shutil.which(env)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _apt_usable() -> bool:
    if shutil.which("apt-get") is None:
        return False
    if os.geteuid() == 0:
        return True
    return shutil.which("sudo") is not None and (
        subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
    )


@pytest.fixture(scope="module")
def chromium() -> str:
    found = _find_chromium()
    if found is None or os.environ.get("CI"):
        if not (os.environ.get("CI") or _apt_usable()):
            pytest.skip(
                "chromium not installed and apt-get not usable here; "
                "run scripts/install_chromium.sh as root"
            )
        proc = subprocess.run(
            ["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=1200
        )
        found = _find_chromium()
        if found is None:
            msg = f"scripts/install_chromium.sh failed (rc={proc.returncode}): {proc.stderr[-800:]}"
            if os.environ.get("CI"):
                pytest.fail(msg)
            pytest.skip(msg)
    return found


class Browser:
    """Minimal Chrome DevTools Protocol client for one page target."""

    def __init__(self, binary: str) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="autotariffs-chromium-"))
        self.proc = subprocess.Popen(
            [
                binary,
                *CHROME_FLAGS,
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + TIMEOUT
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = (
                    self.proc.stderr.read().decode(errors="replace")[-1500:]
                    if self.proc.poll() is not None
                    else "timeout"
                )
                self.close()
                raise RuntimeError(f"chromium did not start: {err}")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        page = None
        while page is None and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                targets = json.load(r)
            page = next((t for t in targets if t.get("type") == "page"), None)
            if page is None:
                time.sleep(0.1)
        if page is None:
            self.close()
            raise RuntimeError("chromium exposed no page target")
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=TIMEOUT, suppress_origin=True
        )
        self._id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"CDP {method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == event:
                return
        raise TimeoutError(event)

    def open(self, html: Path, width: int = WIDTH, mobile: bool = False) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=900,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        self.events.clear()
        self.call("Page.navigate", url=html.resolve().as_uri())
        self.wait_for("Page.loadEventFired")

    def evaluate(self, js: str):
        res = self.call("Runtime.evaluate", expression=js, returnByValue=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"JS error: {res['exceptionDetails']}")
        return res["result"]["value"]

    def errors(self) -> list[str]:
        out = []
        for ev in self.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(f"console.{p['type']}: {p.get('args')}")
            elif m == "Runtime.exceptionThrown":
                out.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.loadingFailed":
                out.append(f"network: {p.get('errorText')} ({p.get('type')})")
        return out

    def screenshot(self, target: Path) -> Path:
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        w, h = math.ceil(size["width"]), math.ceil(min(size["height"], 16000))
        shot = self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": w, "height": h, "scale": 1},
        )
        with aio.atomic_path(target) as tmp:
            tmp.write_bytes(base64.b64decode(shot["data"]))
        return target

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            try:
                self.ws.close()
            except Exception:  # noqa: BLE001 - best effort on teardown
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(chromium):
    b = Browser(chromium)
    yield b
    b.close()


PAGE_STATE = """JSON.stringify({
  images: Array.from(document.images).map(i => ({src: i.getAttribute('src'),
                                                complete: i.complete, w: i.naturalWidth})),
  tables: Array.from(document.querySelectorAll('table[data-table-id]'))
               .flatMap(t => [t.getAttribute('data-table-id'),
                              ...(t.getAttribute('data-same-as') || '').split(' ').filter(Boolean)]),
  keys: Array.from(document.querySelectorAll('[data-key]'))
               .map(e => ({key: e.getAttribute('data-key'), text: e.textContent.trim(),
                           fmt: e.getAttribute('data-fmt'), scale: e.getAttribute('data-scale'),
                           pct: e.getAttribute('data-pct'), abs: e.getAttribute('data-abs')})),
  figures: document.querySelectorAll('figure').length,
  height: document.documentElement.scrollHeight,
  headline_text: Array.from(document.querySelectorAll('table.headline'))
               .map(t => t.innerText).join(' '),
  figure_text: Object.fromEntries(Array.from(document.querySelectorAll('figure'))
               .map(f => [f.id, f.innerText])),
  print_rules: Array.from(document.styleSheets).flatMap(s => Array.from(s.cssRules))
               .filter(r => r.media && r.media.mediaText === 'print').length
})"""


def check_page(b: Browser, reports_dir: Path) -> dict:
    """Load ``reports_dir/index.html`` and compare it with results.json and the registries."""
    b.open(reports_dir / "index.html")
    state = json.loads(b.evaluate(PAGE_STATE))
    problems = []
    for img in state["images"]:
        if not img["complete"] or img["w"] <= 0:
            problems.append(f"image did not load: {img['src']}")
    figs = sorted(p.stem for p in (reports_dir / "figures").glob("*.json"))
    if sorted(Path(i["src"]).stem for i in state["images"]) != figs:
        problems.append(f"images on page {state['images']} != registered figures {figs}")
    tables = sorted(p.stem for p in (reports_dir / "tables").glob("*.json"))
    if sorted(state["tables"]) != tables:
        problems.append(f"tables on page {state['tables']} != registered tables {tables}")
    results = json.loads((reports_dir / "results.json").read_text(encoding="utf-8"))
    for span in state["keys"]:
        key, shown = span["key"], span["text"]
        if span["fmt"]:  # a number quoted in the generated prose, with its own format
            want = Quote.render(narrative.get(results, key), span["fmt"], float(span["scale"]),
                                span["pct"] == "1", span["abs"] == "1")
        else:
            want = labels.fmt_num(merge.get_dotted(results, key), key)
        if shown != want:
            problems.append(f"number {key}: page shows {shown!r}, results.json gives {want!r}")
        # a referee reads plain labels: no dotted key nor its last part (``p_conformal``) as text
        leaf = key.rsplit(".", 1)[-1]
        if key in state["headline_text"] or ("_" in leaf and leaf in state["headline_text"]):
            problems.append(f"headline table shows the raw key name {key!r}")
    if state["height"] >= MAX_HEIGHT:
        problems.append(
            f"page is {state['height']} px high at {WIDTH} px width (limit {MAX_HEIGHT})"
        )
    for side in sorted((reports_dir / "figures").glob("*.json")):
        meta = json.loads(side.read_text(encoding="utf-8"))
        note = str(meta.get("source_note") or "").strip()
        if not note:
            continue
        png = side.with_suffix(".png")
        in_image = png.is_file() and bool(png_text(png).get(labels.PNG_NOTE_KEY))
        text = state["figure_text"].get(f"fig-{side.stem}", "")
        shown = text.count(note.removeprefix("Source:").strip()) + int(in_image)
        if shown > 1:
            problems.append(f"figure {side.stem}: source note appears {shown} times")
    if state["print_rules"] < 1:
        problems.append("no @media print stylesheet")
    problems.extend(b.errors())
    problems.extend(reader_problems(b, reports_dir))
    state["problems"] = problems
    return state


READER_STATE = """JSON.stringify((() => {
  const vw = document.documentElement.clientWidth;
  const inCode = n => !!n.parentElement.closest('code, pre, script, style, title');
  const texts = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const n = walk.currentNode, t = n.textContent.trim();
    if (t && !inCode(n)) texts.push([n.parentElement.tagName.toLowerCase(), t]);
  }
  const cellText = c => c.textContent.trim();
  const tables = Array.from(document.querySelectorAll('table.results-table')).map(t => ({
    id: t.getAttribute('data-table-id'), n: Number(t.getAttribute('data-rows')),
    head: Array.from(t.querySelectorAll('thead th')).map(cellText),
    rows: Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.children).map(cellText)),
  }));
  const cells = Array.from(document.querySelectorAll('td')).map(cellText);
  const figs = Array.from(document.querySelectorAll('figure img')).map(i => ({
    src: i.getAttribute('src'), nw: i.naturalWidth, w: i.getBoundingClientRect().width}));
  const scrollBox = e => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  const loose = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width && r.right > vw + 1 && !scrollBox(e))
      loose.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
  }
  const blocks = Array.from(document.querySelectorAll(
      'h1, h2, h3, p, li, figcaption, caption, summary')).map(e => {
    const r = e.getBoundingClientRect();
    return [e.tagName.toLowerCase(), e.textContent.trim().slice(0, 50), r.left, r.right];
  }).filter(b => b[3] > b[2]);
  // a heading's last fragment against the first fragment of what follows it (columns split boxes)
  const frag = (e, last) => {
    const rs = Array.from(e.getClientRects()).filter(r => r.width > 1 && r.height > 1);
    return rs.length ? rs[last ? rs.length - 1 : 0] : e.getBoundingClientRect();
  };
  const heads = Array.from(document.querySelectorAll('h2, h3')).flatMap(h => {
    const n = h.nextElementSibling;
    if (!n) return [];
    const first = n.matches('ul, ol') && n.firstElementChild ? n.firstElementChild : n;
    const a = frag(h, true), b = frag(n, false), c = frag(first, false);
    return [[h.textContent.trim(), a.left, b.left, a.bottom, c.top, h.getClientRects().length]];
  });
  return {vw, scrollWidth: document.documentElement.scrollWidth, texts, tables, cells, figs,
          loose, blocks, heads,
          keys: Array.from(document.querySelectorAll('[data-key]'))
                  .map(e => e.getAttribute('data-key')),
          topics: Array.from(document.querySelectorAll('#identification h3'))
                  .map(h => h.textContent.trim())};
})())"""

_SNAKE = re.compile(r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b")
_PARAM_DUMP = re.compile(r"\b[a-z][a-z0-9_]*=\S")
_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+(?:[eE][-+]?\d+)?$")
_CODE = re.compile(r"\b[A-Z]{3}\b")


def _design_rank(code: str) -> tuple[int, str]:
    """The order a reader expects: the design's treated origins first, then the rest."""
    treated = list(design.TREATED)
    return (treated.index(code), "") if code in treated else (len(treated), code)


def _order_problem(what: str, codes: list[str]) -> list[str]:
    seen = [c for i, c in enumerate(codes) if c and c not in codes[:i]]
    want = sorted(seen, key=_design_rank)
    return [] if seen == want else [f"{what}: origins in the order {seen}, expected {want}"]


def _sidecar_origin(folder: Path, item_id: str) -> str:
    side = folder / f"{item_id}.json"
    meta = json.loads(side.read_text(encoding="utf-8")) if side.is_file() else {}
    params = meta.get("params") or {}
    return str(params.get("origin") or "") if isinstance(params, dict) else ""


def _number_problems(text: str) -> list[str]:
    if not _NUMBER.match(text):
        return []
    out = []
    if "e" in text.lower():
        out.append(f"number in scientific notation: {text!r}")
    if "." in text and len(text.split(".")[1]) > 3:
        out.append(f"number with more than 3 decimals: {text!r}")
    if abs(float(text.replace(",", ""))) >= 10_000 and "," not in text:
        out.append(f"number without thousands separators: {text!r}")
    return out


def reader_problems(b: Browser, reports_dir: Path) -> list[str]:
    """What a reader trips over, on a phone (412 px) and on a desktop (WIDTH)."""
    problems: list[str] = []
    index = reports_dir / "index.html"
    b.open(index, width=PHONE, mobile=True)
    phone = json.loads(b.evaluate(READER_STATE))
    if phone["scrollWidth"] > phone["vw"] + 1:
        problems.append(f"page scrolls sideways on a {PHONE} px screen: "
                        f"{phone['scrollWidth']} px wide")
    if phone["loose"]:
        problems.append(f"on a {PHONE} px screen these pass the right edge outside any scroll "
                        f"box: {phone['loose'][:8]}")
    for tag, text, _left, right in phone["blocks"]:
        if right > phone["vw"] + 1:
            problems.append(f"on a {PHONE} px screen text runs off the right edge "
                            f"({tag}: {text!r})")
    b.open(index)
    page = json.loads(b.evaluate(READER_STATE))
    # the same table twice
    seen: dict[str, str] = {}
    for t in page["tables"]:
        body = json.dumps([t["head"], t["rows"]])
        if body in seen:
            problems.append(f"table {t['id']} repeats table {seen[body]}")
        seen.setdefault(body, t["id"])
        for j, col in enumerate(zip(*t["rows"], strict=False)):
            if len(col) >= 3 and len(col) == t["n"] and len(set(col)) == 1 and len(col[0]) > 40:
                problems.append(f"table {t['id']}: column {t['head'][j]!r} repeats "
                                f"{col[0][:40]!r}... on every row (say it once)")
        problems += [f"table {t['id']}: raw column name {h!r}" for h in t["head"] if "_" in h]
    # raw names, Python reprs and parameter dumps in the text a reader sees
    for tag, text in page["texts"]:
        problems += [f"raw name {m!r} in visible text ({tag}: {text[:60]!r})"
                     for m in _SNAKE.findall(text)]
        if "['" in text or '["' in text:
            problems.append(f"Python list in visible text ({tag}: {text[:60]!r})")
        if _PARAM_DUMP.search(text):
            problems.append(f"parameter dump in visible text ({tag}: {text[:60]!r})")
    for text in page["cells"]:
        if text in ("True", "False") or text in RAW_OUTCOMES:
            problems.append(f"table cell shows {text!r}")
        problems += _number_problems(text)
    # figures: PNGs sized for the page, text readable as shown
    for f in page["figs"]:
        png = reports_dir / f["src"]
        if not png.is_file():
            continue  # reported as an image that did not load
        if f["nw"] > MAX_PNG_PX:
            problems.append(f"{f['src']}: PNG {f['nw']} px wide (more than {MAX_PNG_PX})")
        if f["w"] and f["nw"] > MAX_DENSITY * f["w"]:
            problems.append(f"{f['src']}: a {f['nw']} px PNG shown {f['w']:.0f} px wide")
        with Image.open(png) as im:
            pt, dpi = im.text.get(labels.PNG_MIN_FONT_KEY), (im.info.get("dpi") or (0,))[0]
        if pt is None or not dpi:
            problems.append(f"{f['src']}: no recorded text size or resolution")
            continue
        px = float(pt) / 72 * dpi * f["w"] / f["nw"]
        if px < MIN_TEXT_PX:
            problems.append(f"{f['src']}: smallest text shown {px:.1f} px high "
                            f"(at least {MIN_TEXT_PX})")
    # no heading left at the foot of a column
    for text, h_left, n_left, h_bottom, n_top, n_frags in page["heads"]:
        if n_frags > 1 or abs(h_left - n_left) > 2 or not -1 <= n_top - h_bottom <= 80:
            problems.append(f"heading {text!r} is apart from what follows it")
    # the design's treated origins first
    problems += _order_problem("figures", [_sidecar_origin(reports_dir / "figures",
                                                           Path(f["src"]).stem)
                                           for f in page["figs"]])
    problems += _order_problem("tables", [_sidecar_origin(reports_dir / "tables", t["id"])
                                          for t in page["tables"]])
    problems += _order_problem("headline", [k.split(".")[0] for k in page["keys"]
                                            if _CODE.fullmatch(k.split(".")[0])])
    problems += _order_problem("identification topics",
                               [c for t in page["topics"] for c in _CODE.findall(t)])
    return problems


def _fixture_reports(root: Path) -> Path:
    """SIMULATED report tree: two figures (real PNG files), one table, headline numbers."""
    rep = root / "reports"
    outputs.write_results(
        "04_estimates",
        {"KOR": {"elasticity": {"coef": -1.5, "se": 0.25}}, "identification": ["simulated"]},
        params={"origin": "KOR"},
        headline=["KOR.elasticity.coef", "KOR.elasticity.se"],
        results_dir=rep / "results",
    )
    (rep / "figures").mkdir(parents=True)
    for i, (fig_id, origin) in enumerate([("sim_a", "JPN"), ("sim_b", "KOR")]):
        # sim_b draws its note in the image (as figures.save records it), sim_a does not
        info = PngInfo()
        info.add_text(labels.PNG_MIN_FONT_KEY, "8")
        if fig_id == "sim_b":
            info.add_text(labels.PNG_NOTE_KEY, f"simulated source of {fig_id}")
        Image.new("RGB", (120 + 10 * i, 80), (0, 114, 178)).save(
            rep / "figures" / f"{fig_id}.png", pnginfo=info, dpi=(200, 200)
        )
        (rep / "figures" / f"{fig_id}.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
        outputs.register_figure(
            fig_id,
            f"Sim {i}",
            "Simulated.",
            "04_estimates",
            {"origin": origin},
            f"simulated source of {fig_id}",
            figures_dir=rep / "figures",
        )
    outputs.register_table(
        pd.DataFrame({"x": [1, 2]}),
        "sim_table",
        "Sim table",
        "Simulated.",
        "04_estimates",
        tables_dir=rep / "tables",
    )
    raw = root / "raw"
    raw.mkdir()
    (raw / "SHA256SUMS").write_text(f"{'a' * 64}  trade/x.csv\n")
    report.build_report(rep, raw, title="Simulated report", commit="simulated")
    return rep


def test_fixture_report_renders_cleanly(browser, tmp_path):
    rep = _fixture_reports(tmp_path)
    state = check_page(browser, rep)
    assert state["problems"] == []
    assert {k["key"]: k["text"] for k in state["keys"]} == {"KOR.elasticity.coef": "-1.500",
                                                            "KOR.elasticity.se": "0.250"}
    assert [i["w"] for i in state["images"]] == [130, 120]  # Korea (sim_b) first: design order
    assert state["figures"] == 2 and state["tables"] == ["sim_table"]
    shot = browser.screenshot(tmp_path / "shot.png")
    with Image.open(shot) as im:
        assert im.size[0] >= 1000 and im.size[1] > 900  # full page, taller than the viewport


def test_checker_catches_broken_image_and_wrong_number(browser, tmp_path):
    """The checks above can fail: a deleted PNG and an edited number are both reported."""
    rep = _fixture_reports(tmp_path)
    (rep / "figures" / "sim_b.png").unlink()
    res = json.loads((rep / "results.json").read_text())
    res["KOR"]["elasticity"]["coef"] = -2.0
    (rep / "results.json").write_text(json.dumps(res))
    problems = check_page(browser, rep)["problems"]
    assert any("image did not load: figures/sim_b.png" in p for p in problems), problems
    assert any("KOR.elasticity.coef" in p and "'-2.000'" in p for p in problems), problems
    assert any(p.startswith(("network:", "log:")) for p in problems), problems


def test_real_report(browser):
    index = paths.REPORTS / "index.html"
    if not index.exists():
        pytest.skip("reports/index.html not built yet (run the pipeline first)")
    state = check_page(browser, paths.REPORTS)
    # screenshot first, so a failing page can be inspected
    shot = browser.screenshot(paths.REPORTS / "screenshots" / "index.png")
    assert shot.stat().st_size > 0
    assert state["problems"] == []


def test_checker_catches_tall_page_raw_keys_and_doubled_source_note(browser, tmp_path):
    """The done-when checks can fail: an old-style page (a key-dump headline, a source note printed
    under an image that already draws it, everything inline) is reported on all three counts."""
    rep = _fixture_reports(tmp_path)
    key = "KOR.elasticity.coef"
    (rep / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>@media print {p {}}</style>"
        "</head><body><table class='headline'><tr><td><code>" + key + "</code></td><td>"
        "<span data-key='" + key + "'>-1.500</span></td></tr></table>"
        "<figure id='fig-sim_a'><img src='figures/sim_a.png'><figcaption>Source: simulated source of sim_a"
        "</figcaption></figure><figure id='fig-sim_b'><img src='figures/sim_b.png'><figcaption>"
        "Source: simulated source of sim_b</figcaption></figure>"
        "<table data-table-id='sim_table'></table><div style='height:13000px'></div>"
        "</body></html>",
        encoding="utf-8",
    )
    problems = check_page(browser, rep)["problems"]
    assert any("raw key name 'KOR.elasticity.coef'" in p for p in problems), problems
    assert any(p.startswith("page is ") and "1400 px width" in p for p in problems), problems
    assert any("sim_b: source note appears 2 times" in p for p in problems), problems
    assert not any("sim_a: source note" in p for p in problems), problems  # once: fine


def test_reader_checks_can_fail(browser, tmp_path):
    """Each reader check reports the page of issue 21.7: a table twice, raw names, a Python list
    and a parameter dump, an unformatted number, a sentence on every row, a thumbnail of a large
    PNG, a heading at the foot of a column, origins out of design order, a page wider than a
    phone."""
    rep = _fixture_reports(tmp_path)
    rows = "".join("<tr><td>40765669520.000</td><td>True</td><td>ln_q</td><td>one treated origin "
                   "against controls with identical tariff paths</td></tr>" for _ in range(3))
    table = ("<thead><tr><th>a_value</th><th>passes</th><th>outcome</th><th>why_invalid</th>"
             f"</tr></thead><tbody>{rows}</tbody>")
    (rep / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<style>@media print {p {}}</style></head><body>"
        "<table class='headline'><tr><td><span data-key='KOR.elasticity.coef'>-1.500</span>"
        "<span data-key='KOR.elasticity.se'>0.250</span></td></tr></table>"
        "<p>Produced by 06_report (title=Sim, controls=['MEX', 'CAN'])</p>"
        "<div style='columns: 2; column-fill: auto; height: 60px; width: 600px'>"
        "<h3 style='margin: 0; height: 50px'>B: reduced form</h3><ul style='margin: 0'>"
        "<li>an item</li></ul></div>"
        "<figure id='fig-sim_a'><img src='figures/sim_a.png' style='width: 20px'></figure>"
        "<figure id='fig-sim_b'><img src='figures/sim_b.png'></figure>"
        f"<table class='results-table' data-table-id='sim_table' data-rows='3'>{table}</table>"
        f"<table class='results-table' data-table-id='sim_copy' data-rows='3'>{table}</table>"
        "<p style='width: 900px'>a caption as wide as a desktop table</p>"
        "</body></html>",
        encoding="utf-8",
    )
    problems = reader_problems(browser, rep)
    want = {
        "table sim_copy repeats table sim_table": 1,
        "raw column name 'a_value'": 2,
        "raw name '06_report'": 1,
        "Python list in visible text": 1,
        "parameter dump in visible text": 1,
        "table cell shows 'True'": 6,
        "table cell shows 'ln_q'": 6,
        "number without thousands separators: '40765669520.000'": 6,
        "repeats 'one treated origin against controls with'": 2,
        "figures/sim_a.png: a 120 px PNG shown 20 px wide": 1,
        "figures/sim_a.png: smallest text shown": 1,
        "heading 'B: reduced form' is apart from what follows it": 1,
        "figures: origins in the order ['JPN', 'KOR'], expected ['KOR', 'JPN']": 1,
        f"page scrolls sideways on a {PHONE} px screen": 1,
        "on a 412 px screen text runs off the right edge (p: 'a caption as wide": 1,
    }
    for text, n in want.items():
        assert sum(text in p for p in problems) >= n, (text, problems)
