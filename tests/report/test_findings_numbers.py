"""Every number in the generated findings is tied to its own results.json key.

Why: the old check accepted a number if it equalled ANY of ~1,800 values in results.json (a
random 3-decimal number passed 32% of the time; swapping Korea and Japan passed). Now the
narrative (:mod:`autotariffs.report.narrative`) writes ``reports/findings.json``: every sentence
with the key, format and printed text of each of its numbers. The tests here check

* each quoted number against ITS key (re-rendered from results.json with the same rule);
* that no number in a sentence lacks a key (numbers are extracted by rule, independently of the
  narrative's own bookkeeping; excluded by rule only: years and HS codes, dates, the "95%"
  level, "Section 232");
* that README's findings block is the generated text, and the report shows the same sentences.

Three mutations of README or of the key map must fail these checks (shown below on copies):
swapping Korea and Japan, swapping an interval's ends, editing one digit.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from autotariffs import paths
from autotariffs.report import narrative
from autotariffs.report.narrative import MINUS, Quote
from autotariffs.report.readme import markers

README_MARKERS = markers("findings")

NUM = re.compile(r"(?<![\w.\-−])(?P<sign>[+\-−])?(?P<num>\d+(?:\.\d+)?)(?![\w\-])")
DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")


def numbers(text: str) -> list[str]:
    """Every number the rules do not exclude, as printed (sign included)."""
    text = DATE.sub(" ", text)
    found = []
    for m in NUM.finditer(text):
        raw, after = m.group("num"), text[m.end():m.end() + 1]
        if "." not in raw and len(raw) == 4:  # years, HS codes
            continue
        if raw == "95" and after == "%":  # the confidence level
            continue
        if text[max(0, m.start() - 8):m.start()] == "Section ":
            continue
        found.append(m.group(0))
    return found


def problems(sentence: dict, results: dict) -> list[str]:
    """What is wrong with one findings.json sentence: numbers that do not re-render from their
    key, quoted numbers missing from the text, and numbers in the text without a key."""
    out, text, pos = [], sentence["text"], 0
    for q in sentence["numbers"]:
        try:
            value = narrative.get(results, q["key"])
        except KeyError:
            out.append(f"{q['key']}: not in results.json")
            continue
        want = Quote.render(value, q["fmt"], q["scale"], q["pct"], q["absolute"])
        if want != q["text"]:
            out.append(f"{q['key']}: printed {q['text']!r}, results.json gives {want!r}")
        at = text.find(q["text"], pos)
        if at < 0:
            out.append(f"{q['key']}: {q['text']!r} is not in the sentence (in order)")
        else:
            pos = at + len(q["text"])
    quoted = [n for q in sentence["numbers"] for n in numbers(q["text"])]
    left = list(numbers(text))
    for n in quoted:
        if n in left:
            left.remove(n)
    out += [f"{n!r} has no results.json key" for n in left]
    return out


def readme_block(text: str) -> str:
    start, end = README_MARKERS
    m = re.search(re.escape(start) + "(.*?)" + re.escape(end), text, re.S)
    assert m, f"README.md must mark its findings with {start} ... {end}"
    return m.group(1).strip()


@pytest.fixture(scope="module")
def built() -> tuple[dict, dict]:
    res, fnd = paths.REPORTS / "results.json", paths.REPORTS / "findings.json"
    if not (res.exists() and fnd.exists()):
        pytest.skip("reports/results.json or findings.json not built (run make first)")
    return json.loads(res.read_text()), json.loads(fnd.read_text())


def _sentences(findings: dict) -> list[dict]:
    return findings["plain_answer"] + [s for v in findings["identification"].values() for s in v]


def test_extractor_finds_numbers_and_skips_only_the_excluded():
    t = "Korea fell by 21% (95% interval −49% to +7%, p = 0.095) in 2025-04 over 4 months of 2024"
    assert numbers(t) == ["21", "−49", "+7", "0.095", "4"]


def test_every_number_is_tied_to_its_own_key(built):
    results, findings = built
    sents = _sentences(findings)
    assert len(findings["plain_answer"]) == 3, "how much, who paid, how sure"
    assert sum(len(s["numbers"]) for s in findings["plain_answer"]) >= 10
    bad = {s["text"][:60]: p for s in sents if (p := problems(s, results))}
    assert bad == {}


def test_readme_opens_with_the_generated_sentences(built):
    _, findings = built
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    want = (paths.REPORTS / "findings.md").read_text(encoding="utf-8").strip()
    assert readme_block(readme) == want, "README is stale: run make readme"
    assert want == " ".join(s["text"] for s in findings["plain_answer"])
    assert readme.index(README_MARKERS[0]) < readme.index("## Data availability")


def test_report_opens_with_the_same_sentences(built):
    _, findings = built
    page = (paths.REPORTS / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<section id="answer">(.*?)</section>', page, re.S)
    assert m, "index.html has no answer section"
    shown = [html.unescape(re.sub(r"<[^>]+>", "", p)).strip()
             for p in re.findall(r'<p class="answer">(.*?)</p>', m.group(1), re.S)]
    assert shown == [s["text"] for s in findings["plain_answer"]]
    assert page.index('id="answer"') < page.index('id="headline"')
    ident = html.unescape(re.sub(r"<[^>]+>", "", page.split('<section id="identification">')[1]))
    missing = [s["text"][:60] for v in findings["identification"].values() for s in v
               if s["text"] not in ident]
    assert missing == []


# ------------------------------------------------------------------------------------------
# the checks can fail: mutations of the README text and of the key map
# ------------------------------------------------------------------------------------------
def test_mutations_of_readme_or_keys_are_caught(built):
    results, findings = built
    want = " ".join(s["text"] for s in findings["plain_answer"])
    # 1. swapping Korea and Japan in the README text
    swapped = want.replace("Korea", "\0").replace("Japan", "Korea").replace("\0", "Japan")
    assert swapped != want
    # 2. swapping the ends of an interval
    m = re.search(r"interval (\S+)% to (\S+)%", want)
    ends = want.replace(m.group(0), f"interval {m.group(2)}% to {m.group(1)}%")
    assert ends != want
    # 3. one digit edited
    d = next(i for i, c in enumerate(want) if c.isdigit() and want[i - 1] in " −+(")
    digit = want[:d] + str((int(want[d]) + 1) % 10) + want[d + 1:]
    for mutated in (swapped, ends, digit):
        readme = f"intro {README_MARKERS[0]}{mutated}{README_MARKERS[1]} rest"
        assert readme_block(readme) != want
    # the same three mutations applied to the key map make the per-key check fail
    first = findings["plain_answer"][0]
    keys = [q["key"] for q in first["numbers"]]
    k_kor = next(i for i, k in enumerate(keys) if k.startswith("KOR.headline.pct"))
    k_jpn = next(i for i, k in enumerate(keys) if k.startswith("JPN.headline.pct"))
    lo = next(i for i, k in enumerate(keys) if k.endswith("headline.ci95_low"))
    for a, b in ((k_kor, k_jpn), (lo, lo + 1)):
        bad = json.loads(json.dumps(first))
        bad["numbers"][a]["key"], bad["numbers"][b]["key"] = keys[b], keys[a]
        assert problems(bad, results), (keys[a], keys[b])
    bad = json.loads(json.dumps(first))
    q = bad["numbers"][0]
    q["text"] = q["text"][:-1] + str((int(q["text"][-1]) + 1) % 10)
    bad["text"] = bad["text"].replace(first["numbers"][0]["text"], q["text"], 1)
    assert problems(bad, results)
    # and a number written into the text without a key
    bad = json.loads(json.dumps(first))
    bad["text"] += " Imports fell 37%."
    assert problems(bad, results) == ["'37' has no results.json key"]
    assert MINUS in want  # negative numbers are printed with the minus sign
