"""Regenerate the recorded API responses in this folder from the shipped raw files.

RECORDINGS FOR TESTS ONLY. Wire formats (status, envelope, field order, string/number typing)
follow the documented real responses of each API; values are copied from data/raw (see
README.md for the file behind every value; fields without a shipped source are marked there).

Run: .venv/bin/python tests/recorded/make_recordings.py   (deterministic: same bytes every run)
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE.parents[1] / "data" / "raw"
ID = ["CTY_CODE", "CTY_NAME", "I_COMMODITY", "I_COMMODITY_SDESC", "COMM_LVL"]


def census_body(header: list[str], rows: list[list[str]]) -> bytes:
    """Census layout: array of arrays of strings, one row per line."""
    lines = [json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in [header, *rows]]
    return ("[" + ",\n".join(lines) + "]").encode()


def read_gz_csv(name: str) -> list[dict[str, str]]:
    with gzip.open(RAW / "trade" / name, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def census_hs10_ytd(heading: str, duplicate_predicates: bool = False) -> bytes:
    """Request: get=ID+CON_VAL_YR,CAL_DUT_YR&time=2024-12&COMM_LVL=HS10&I_COMMODITY=<h>*"""
    rows = [
        r
        for r in read_gz_csv("us_imp_hs10_ch87_by_country_2024_annual_census.csv.gz")
        if r["I_COMMODITY"].startswith(heading)
    ]
    get = ID + ["CON_VAL_YR", "CAL_DUT_YR"]
    header = get + ["time"] + (["COMM_LVL", "I_COMMODITY"] if duplicate_predicates else [])
    body = [
        [r[c] for c in get]
        + [r["time"]]
        + ([r["COMM_LVL"], r["I_COMMODITY"]] if duplicate_predicates else [])
        for r in rows
    ]
    return census_body(header, body)


def census_hs2_monthly_2019() -> bytes:
    """Request: get=ID+CON_VAL_MO,CAL_DUT_MO&time=from 2019-01 to 2019-12&COMM_LVL=HS2&I_COMMODITY=87"""
    rows = [
        r
        for r in read_gz_csv("us_imp_hs2_ch87_by_country_monthly_2013-01_2021-07_census.csv.gz")
        if r["time"].startswith("2019-")
    ]
    get = ID + ["CON_VAL_MO", "CAL_DUT_MO"]
    return census_body(get + ["time"], [[r[c] for c in get] + [r["time"]] for r in rows])


def census_fullfields_simulated() -> bytes:
    """Default 16-field request for 2024-12, Korea+Japan 8703 passenger-car lines.

    Identifiers, CON_VAL_YR and CAL_DUT_YR are real; every other numeric field is SIMULATED by
    the formulas in README.md (no shipped file has them).
    """
    src = [
        r
        for r in read_gz_csv("us_imp_hs10_ch87_by_country_2024_annual_census.csv.gz")
        if r["CTY_CODE"] in ("5800", "5880") and r["I_COMMODITY"][:6] in ("870322", "870323")
    ]
    fields = ID + [
        "CON_VAL_MO",
        "CON_QY1_MO",
        "UNIT_QY1",
        "GEN_VAL_MO",
        "DUT_VAL_MO",
        "CAL_DUT_MO",
        "CON_VAL_YR",
        "CON_QY1_YR",
        "GEN_VAL_YR",
        "DUT_VAL_YR",
        "CAL_DUT_YR",
    ]
    rows = []
    for r in src:
        yr, dut = int(r["CON_VAL_YR"]), int(r["CAL_DUT_YR"])
        mo, dmo = yr // 12, dut // 12
        sim = {
            "CON_VAL_MO": mo,
            "CON_QY1_MO": mo // 25000,
            "UNIT_QY1": "NO",
            "GEN_VAL_MO": mo,
            "DUT_VAL_MO": mo if dut > 0 else 0,
            "CAL_DUT_MO": dmo,
            "CON_VAL_YR": yr,
            "CON_QY1_YR": yr // 25000,
            "GEN_VAL_YR": yr,
            "DUT_VAL_YR": yr if dut > 0 else 0,
            "CAL_DUT_YR": dut,
        }
        rows.append([r[c] for c in ID] + [str(sim[c]) for c in fields[len(ID) :]] + ["2024-12"])
    return census_body(fields + ["time"], rows)


PARTNER = {
    "Canada": (124, "CAN"),
    "Germany": (276, "DEU"),
    "Japan": (392, "JPN"),
    "Rep. of Korea": (410, "KOR"),
    "Mexico": (484, "MEX"),
    "USA": (842, "USA"),
}


def comtrade_record(r: dict[str, str], cmd: str = "8703") -> dict:
    """One 47-field Comtrade record in the documented order; see README for real vs filled."""
    rep_code, rep_iso = PARTNER[r["reporterDesc"]]
    par_code, par_iso = PARTNER[r["partnerDesc"]]
    flow = "M" if r["flowDesc"] == "Import" else "X"
    qty = float(r["qty"])
    value = float(r["primaryValue"])
    num = lambda x: int(x) if x == int(x) else x  # noqa: E731 - keep integers integral
    return {
        "typeCode": "C",
        "freqCode": "M",
        "refPeriodId": int(r["period"]) * 100 + 1,
        "refYear": int(r["refYear"]),
        "refMonth": int(r["refMonth"]),
        "period": r["period"],
        "reporterCode": rep_code,
        "reporterISO": rep_iso,
        "reporterDesc": r["reporterDesc"],
        "flowCode": flow,
        "flowDesc": r["flowDesc"],
        "partnerCode": par_code,
        "partnerISO": par_iso,
        "partnerDesc": r["partnerDesc"],
        "partner2Code": 0,
        "partner2ISO": "W00",
        "partner2Desc": "World",
        "classificationCode": "H6",
        "classificationSearchCode": "HS",
        "isOriginalClassification": True,
        "cmdCode": cmd,
        "cmdDesc": "Motor cars and other motor vehicles; principally designed for the transport "
        "of persons",
        "aggrLevel": 4,
        "isLeaf": False,
        "customsCode": "C00",
        "customsDesc": "TOTAL CPC",
        "mosCode": "0",
        "motCode": 0,
        "motDesc": "TOTAL MOT",
        "qtyUnitCode": 5,
        "qtyUnitAbbr": "u",
        "qty": num(qty),
        "isQtyEstimated": qty != int(qty),
        "altQtyUnitCode": 5,
        "altQtyUnitAbbr": "u",
        "altQty": num(qty),
        "isAltQtyEstimated": qty != int(qty),
        "netWgt": 0,
        "isNetWgtEstimated": True,
        "grossWgt": 0,
        "isGrossWgtEstimated": False,
        "cifvalue": num(value) if flow == "M" else None,
        "fobvalue": None if flow == "M" else num(value),
        "primaryValue": num(value),
        "legacyEstimationFlag": 0,
        "isReported": True,
        "isAggregate": False,
    }


def comtrade_body(records: list[dict], elapsed: str = "0.9 secs") -> bytes:
    payload = {"elapsedTime": elapsed, "count": len(records), "data": records, "error": ""}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


FRED_FILES = {
    "DEXKOUS": "fred_DEXKOUS_daily.csv",
    "DEXJPUS": "fred_DEXJPUS_daily.csv",
    "DEXUSEU": "fred_DEXUSEU_daily_2000_2025-09.csv",
    "DEXMXUS": "fred_DEXMXUS_daily.csv",
    "DEXCAUS": "fred_DEXCAUS_daily.csv",
    "DEXUSUK": "fred_DEXUSUK_daily.csv",
    "CUSR0000SETA01": "fred_CUSR0000SETA01_monthly.csv",
    "CUSR0000SETA02": "fred_CUSR0000SETA02_monthly.csv",
}


def fred_json(series: str, start: str, end: str) -> bytes:
    """fred/series/observations JSON for [start, end]; blank CSV cells become "."."""
    rows = read_csv(RAW / "macro" / FRED_FILES[series])
    date_col, val_col = list(rows[0].keys())[:2]
    obs = [
        {
            "realtime_start": "2026-11-27",
            "realtime_end": "2026-11-27",
            "date": r[date_col],
            "value": r[val_col] if r[val_col].strip() else ".",
        }
        for r in rows
        if start <= r[date_col] <= end
    ]
    payload = {
        "realtime_start": "2026-11-27",
        "realtime_end": "2026-11-27",
        "observation_start": start,
        "observation_end": end,
        "units": "lin",
        "output_type": 1,
        "file_type": "json",
        "order_by": "observation_date",
        "sort_order": "asc",
        "count": len(obs),
        "offset": 0,
        "limit": 100000,
        "observations": obs,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def fred_csv_excerpt(series: str, start: str, end: str) -> bytes:
    """Byte-identical lines of the shipped fredgraph.csv copy: header + rows in [start, end]."""
    lines = (RAW / "macro" / FRED_FILES[series]).read_bytes().split(b"\n")
    keep = [ln for ln in lines[1:] if start.encode() <= ln[:10] <= end.encode()]
    return b"\n".join([lines[0], *keep]) + b"\n"


def main() -> None:
    out: dict[str, bytes] = {}
    out["census_hs10_8703_2024-12_ytd.json"] = census_hs10_ytd("8703")
    out["census_hs10_8704_2024-12_ytd.json"] = census_hs10_ytd("8704", duplicate_predicates=True)
    out["census_hs10_8708_2024-12_ytd.json"] = census_hs10_ytd("8708")
    out["census_hs2_87_2019_monthly.json"] = census_hs2_monthly_2019()
    out["census_hs10_8703_2024-12_fullfields_SIMULATED.json"] = census_fullfields_simulated()
    usa = read_csv(RAW / "trade" / "us_imp_8703_comtrade_monthly_5partners_2020-01_2025-07.csv")
    jpn = read_csv(RAW / "trade" / "jpn_exp_to_usa_8703_comtrade_monthly_2020-01_2025-09.csv")
    usa24 = [comtrade_record(r) for r in usa if r["refYear"] == "2024"]
    jpn24 = [comtrade_record(r) for r in jpn if r["refYear"] == "2024"]
    out["comtrade_usa_imports_8703_2024.json"] = comtrade_body(usa24)
    out["comtrade_usa_imports_8703_202412.json"] = comtrade_body(
        [r for r in usa24 if r["period"] == "202412"]
    )
    out["comtrade_jpn_exports_8703_2024.json"] = comtrade_body(jpn24)
    out["comtrade_jpn_exports_8703_202412.json"] = comtrade_body(
        [r for r in jpn24 if r["period"] == "202412"]
    )
    out["comtrade_empty.json"] = comtrade_body([], elapsed="0.3 secs")
    for series in FRED_FILES:
        out[f"fred_{series}_2024-12.json"] = fred_json(series, "2024-12-01", "2024-12-31")
    out["fredgraph_DEXKOUS_2024-12_excerpt.csv"] = fred_csv_excerpt(
        "DEXKOUS", "2024-12-01", "2024-12-31"
    )
    out["fredgraph_CUSR0000SETA01_2024_excerpt.csv"] = fred_csv_excerpt(
        "CUSR0000SETA01", "2024-01-01", "2024-12-31"
    )
    for name, data in sorted(out.items()):
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
