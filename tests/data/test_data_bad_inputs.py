"""Bad raw inputs: each case edits a *temporary copy* of data/raw (never the real one), runs
``build_all`` and checks the exception type, that the message names the file / column / value,
and that the output directory is left byte-for-byte unchanged.

The bad files are built programmatically from the real ones (simulated corruption).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from autotariffs import paths
from autotariffs.data.build import build_all
from autotariffs.data.sources.manifest import verify_manifest
from autotariffs.errors import ChecksumError, DataContractError, SourceFormatError

T = "trade/"
CT_M = T + "us_imp_8703_comtrade_monthly_5partners_2020-01_2025-07.csv"
CT_A = T + "us_imp_8703_comtrade_annual_4partners_2015_2024.csv"
H10 = T + "us_imp_hs10_ch87_by_country_2024_annual_census.csv.gz"
H2 = T + "us_imp_hs2_ch87_by_country_monthly_2013-01_2021-07_census.csv.gz"
DW_P = T + "us_imp_hs2_ch87_cif_by_country_program_monthly_2024-01_2025-07_dataweb.csv.gz"
DW_A = T + "us_imp_8703_dataweb_annual_japan_mexico_2015_2024.csv"
UT = T + "us_imp_8708_usatradeonline_monthly_5series_2015-01_2025-08.csv"
KRW = "macro/fred_DEXKOUS_daily.csv"
KRW_LATER = "macro/fred_DEXKOUS_daily_to_2026-05-22.csv"


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    o = tmp_path / "processed"
    o.mkdir()
    (o / "flows.parquet").write_bytes(b"previous good build")
    (o / "coverage.csv").write_text("previous,coverage\n")
    return o


def snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def lines(p: Path) -> list[str]:
    text = gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
    return text.decode("utf-8").splitlines(keepends=True)


def write_lines(p: Path, ls: list[str], encoding: str = "utf-8") -> None:
    data = "".join(ls).encode(encoding)
    p.write_bytes(gzip.compress(data, mtime=0) if p.suffix == ".gz" else data)


def edit_csv(p: Path, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Round-trip a raw CSV as text cells (values untouched except by ``fn``)."""
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    text = fn(df).to_csv(index=False, lineterminator="\n")
    p.write_bytes(gzip.compress(text.encode(), mtime=0) if p.suffix == ".gz" else text.encode())


def set_cell(df: pd.DataFrame, row: int, col: str, value: str) -> pd.DataFrame:
    df = df.copy()
    df.loc[row, col] = value
    return df


# (id, file, mutate(path), exception, substrings that the message must contain)
CASES = [
    ("missing_column", CT_M, lambda p: edit_csv(p, lambda d: d.drop(columns=["primaryValue"])),
     DataContractError, ["us_imp_8703_comtrade_monthly", "primaryValue", "missing"]),
    ("wrong_dtype", CT_M, lambda p: edit_csv(p, lambda d: set_cell(d, 4, "primaryValue", "abc")),
     DataContractError, ["us_imp_8703_comtrade_monthly", "primaryValue", "'abc'", "numeric",
                         "file lines [6]"]),
    ("duplicate_key", H10, lambda p: write_lines(p, lines(p) + lines(p)[5:6]),
     DataContractError, ["us_imp_hs10_ch87", "CTY_CODE,I_COMMODITY,time", "unique"]),
    ("negative_value", H2, lambda p: edit_csv(p, lambda d: set_cell(d, 7, "CON_VAL_MO", "-5")),
     DataContractError, ["us_imp_hs2_ch87_by_country_monthly", "CON_VAL_MO", "'-5'", ">= 0"]),
    ("unknown_partner", DW_P, lambda p: edit_csv(p, lambda d: set_cell(d, 2, "Country",
                                                                       "Atlantis")),
     DataContractError, ["cif_by_country_program", "Country", "'Atlantis'"]),
    ("month_outside_coverage", CT_M, lambda p: edit_csv(p, lambda d: d.assign(
        refYear=d["refYear"].where(d.index != 0, "2019"),
        refMonth=d["refMonth"].where(d.index != 0, "12"),
        period=d["period"].where(d.index != 0, "201912"))),
     DataContractError, ["us_imp_8703_comtrade_monthly", "coverage", "comtrade_m_8703|CAN|8703|2019-12-01",
                         "2019-12-01"]),
    ("malformed_row", UT, lambda p: write_lines(
        p, lines(p)[:10] + [lines(p)[10].rstrip("\n") + ",extra,\n"] + lines(p)[11:]),
     SourceFormatError, ["us_imp_8708_usatradeonline", "well-formed CSV", "line 11"]),
    ("empty_file", DW_A, lambda p: p.write_bytes(b""),
     SourceFormatError, ["us_imp_8703_dataweb_annual", "empty"]),
    ("wrong_encoding", DW_P, lambda p: write_lines(p, lines(p), encoding="latin-1"),
     SourceFormatError, ["cif_by_country_program", "UTF-8"]),
    ("truncated_gzip", H10, lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
     SourceFormatError, ["us_imp_hs10_ch87", "gzip"]),
    ("bloc_with_members", DW_P, lambda p: edit_csv(p, lambda d: pd.concat(
        [d, d.iloc[[0]].assign(Country="European Union")], ignore_index=True)),
     DataContractError, ["cif_by_country_program", "bloc 'EUU'", "members"]),
    ("bloc_smaller_than_members", UT, lambda p: edit_csv(p, lambda d: d.assign(
        value_usd=d["value_usd"].where(~d["Country"].str.startswith("USMCA"), "1"),
        **{"Customs Value (Gen) ($US)": d["Customs Value (Gen) ($US)"].where(
            ~d["Country"].str.startswith("USMCA"), "1")})),
     DataContractError, ["us_imp_8708_usatradeonline", "USMCA", "sum of its listed members"]),
    ("fred_non_numeric", KRW, lambda p: write_lines(
        p, lines(p)[:100] + ["1981-09-01,1,234.5\n"] + lines(p)[101:]),
     SourceFormatError, ["fred_DEXKOUS_daily", "well-formed CSV"]),
    ("fred_text_value", KRW, lambda p: edit_csv(p, lambda d: set_cell(d, 50, "DEXKOUS", "N/A*")),
     DataContractError, ["fred_DEXKOUS_daily", "DEXKOUS", "'N/A*'", "numeric"]),
    ("census_code_name_mismatch", H2, lambda p: edit_csv(p, lambda d: set_cell(d, 200, "CTY_NAME",
                                                                               "JAPAN")),
     DataContractError, ["us_imp_hs2_ch87", "CTY_NAME", "JAPAN"]),
    ("comtrade_wrong_commodity", CT_A, lambda p: edit_csv(p, lambda d: set_cell(d, 3, "cmdCode",
                                                                                "8704")),
     DataContractError, ["us_imp_8703_comtrade_annual", "cmdCode", "'8704'"]),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input(raw, out, case):
    _, rel, mutate, exc, needles = case
    mutate(raw / rel)
    before = snapshot(out)
    with pytest.raises(exc) as e:
        build_all(raw, out, verify=False)
    msg = str(e.value)
    for n in needles:
        assert n in msg, f"{n!r} not in: {msg}"
    assert snapshot(out) == before


def test_checksum_guard_runs_first(raw, out):
    mutate = dict((c[0], c[2]) for c in CASES)["negative_value"]
    mutate(raw / H2)
    before = snapshot(out)
    with pytest.raises(ChecksumError) as e:
        build_all(raw, out)  # verify=True by default
    assert "us_imp_hs2_ch87_by_country_monthly" in str(e.value)
    assert snapshot(out) == before


def test_fred_dots_read_as_missing(raw, tmp_path):
    # replace the values of 30 observed days with FRED's '.' missing marker, in both KRW copies
    # (the later vintage repeats every day of the older one, so a day missing from only one copy
    # is still observed)
    p = raw / KRW
    ls = lines(p)
    idx = [i for i in range(2, len(ls)) if ls[i].rstrip("\n").split(",")[1] != ""][:30]
    days = {ls[i].split(",")[0] for i in idx}
    for q in (p, raw / KRW_LATER):
        ql = lines(q)
        write_lines(q, [x.split(",")[0] + ",.\n" if x.split(",")[0] in days else x for x in ql])
    res = build_all(raw, tmp_path / "o", verify=False)
    fx = pd.read_parquet(res["fx_monthly"])
    ref = pd.read_parquet(build_all(paths.RAW, tmp_path / "ref", verify=False)["fx_monthly"])
    k, kr = fx[fx["currency"] == "KRW"], ref[ref["currency"] == "KRW"]
    assert kr["n_days"].sum() - k["n_days"].sum() == 30


def test_manifest_detects_changed_byte(raw):
    assert len(verify_manifest(raw)) == len((raw / "SHA256SUMS").read_text().splitlines())
    p = raw / CT_M
    b = bytearray(p.read_bytes())
    b[200] = ord("9") if b[200] != ord("9") else ord("8")
    p.write_bytes(bytes(b))
    with pytest.raises(ChecksumError) as e:
        verify_manifest(raw)
    assert "us_imp_8703_comtrade_monthly_5partners_2020-01_2025-07.csv" in str(e.value)
    assert e.value.files == [CT_M]


def test_manifest_missing_and_unlisted(raw):
    (raw / DW_A).unlink()
    (raw / "trade" / "stray.csv").write_text("x\n1\n")
    (raw / "fetched").mkdir()
    (raw / "fetched" / "live.json").write_text("{}")  # exempt
    with pytest.raises(ChecksumError) as e:
        verify_manifest(raw)
    msg = str(e.value)
    assert "missing" in msg and DW_A in msg and "trade/stray.csv" in msg
    assert "live.json" not in msg


def test_manifest_is_fast():
    import time

    t = time.perf_counter()
    verify_manifest(paths.RAW)
    assert time.perf_counter() - t < 0.5
