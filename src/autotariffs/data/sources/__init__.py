"""Source adapters: one module per raw format, each ``read_<x>(path)`` + ``<x>_to_flows(df, file)``.

Shared here: :func:`read_raw_csv`, which reads every cell as text first and only then converts
columns according to a :class:`~autotariffs.data.schemas.RawContract`. Parsing text ourselves (rather
than letting pandas guess dtypes) is what lets an error name the exact file line and cell.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from autotariffs.data.schemas import RawContract
from autotariffs.errors import DataContractError, SourceFormatError

LINE_OFFSET = 2  # data row 0 is file line 2 (line 1 = header)


def read_text(path: Path) -> str:
    """Decompress (if .gz) and decode strictly as UTF-8; empty files are an error."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise SourceFormatError(path.name, "an existing file", str(e)) from e
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as e:
            raise SourceFormatError(
                path.name, "a complete gzip stream (file truncated or corrupt?)", str(e)
            ) from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SourceFormatError(
            path.name, "UTF-8 text", f"byte {e.start}: {raw[e.start:e.start + 4]!r} is not UTF-8"
        ) from e
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise SourceFormatError(path.name, "a CSV header and at least one data row", "file is empty")
    return text


def _convert(df: pd.DataFrame, col: str, kind: str, file: str) -> pd.Series:
    s = df[col]
    blank = s.isna() | (s.astype(str).str.strip() == "")
    if kind in ("str", "int", "float", "month", "date") and blank.any():
        raise DataContractError(
            file, col, f"required value (type {kind}) must not be blank",
            rows=list(df.index[blank]), values=list(s[blank].fillna("")), line_offset=LINE_OFFSET,
        )
    if kind in ("str", "str0"):
        return s.fillna("").astype(str)
    if kind in ("int", "float", "float_na", "fred_value"):
        text = s.fillna("").astype(str).str.strip()
        missing = text == ""
        if kind == "fred_value":
            missing |= text.isin([".", "NA"])  # FRED's and the mirrors' "no observation"
        num = pd.to_numeric(text.where(~missing), errors="coerce")
        bad = num.isna() & ~missing
        if bad.any():
            raise DataContractError(
                file, col, f"values must be numeric ({kind})",
                rows=list(df.index[bad]), values=list(s[bad]), line_offset=LINE_OFFSET,
            )
        if kind == "int":
            if (num % 1 != 0).any():
                frac = num % 1 != 0
                raise DataContractError(
                    file, col, "values must be integers",
                    rows=list(df.index[frac]), values=list(s[frac]), line_offset=LINE_OFFSET,
                )
            return num.astype(np.int64)
        return num.astype(np.float64)
    if kind in ("month", "date"):
        fmt = "%Y-%m" if kind == "month" else "%Y-%m-%d"
        out = pd.to_datetime(s.astype(str).str.strip(), format=fmt, errors="coerce")
        bad = out.isna()
        if bad.any():
            raise DataContractError(
                file, col, f"values must be dates formatted {fmt}",
                rows=list(df.index[bad]), values=list(s[bad]), line_offset=LINE_OFFSET,
            )
        return out.astype("datetime64[ns]")
    raise ValueError(f"unknown column kind {kind!r}")


def parse_csv(path: Path, n_columns_hint: int | None = None) -> pd.DataFrame:
    """Read a raw CSV(.gz) as text cells (no type guessing); format problems -> SourceFormatError."""
    path = Path(path)
    file = path.name
    text = read_text(path)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError as e:
        raise SourceFormatError(file, "a CSV header and at least one data row", str(e)) from e
    except pd.errors.ParserError as e:
        want = f" with {n_columns_hint} columns per row" if n_columns_hint else ""
        raise SourceFormatError(file, f"a well-formed CSV{want}", str(e).strip()) from e
    if df.empty:
        raise SourceFormatError(file, "at least one data row", "only a header line was found")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def apply_contract(df: pd.DataFrame, contract: RawContract, file: str) -> pd.DataFrame:
    """Check columns, convert text cells to typed columns, enforce value rules and the key.

    Optional columns are converted only when present. Returns the contract's columns only.
    """
    df = df.reset_index(drop=True)
    cols = list(df.columns)
    missing = [c for c in contract.columns if c not in cols]
    if missing:
        raise DataContractError(
            file, missing[0], f"required column(s) {missing} missing; file has {cols}"
        )
    out = pd.DataFrame(index=df.index)
    kinds = dict(contract.columns)
    kinds.update({c: k for c, k in contract.optional.items() if c in cols})
    for col, kind in kinds.items():
        out[col] = _convert(df, col, kind, file)
    for col in contract.nonnegative:
        if col not in out:
            continue
        neg = out[col] < 0
        if neg.any():
            raise DataContractError(
                file, col, "values must be >= 0",
                rows=list(out.index[neg]), values=list(df.loc[neg, col]), line_offset=LINE_OFFSET,
            )
    for col, allowed in contract.allowed.items():
        bad = ~out[col].isin(allowed)
        if bad.any():
            raise DataContractError(
                file, col, f"values must be one of {sorted(map(str, allowed))}",
                rows=list(out.index[bad]), values=list(df.loc[bad, col]), line_offset=LINE_OFFSET,
            )
    if contract.key:
        dup = out.duplicated(list(contract.key), keep=False)
        if dup.any():
            keys = out.loc[dup, list(contract.key)].astype(str).agg("|".join, axis=1)
            raise DataContractError(
                file, ",".join(contract.key), "key columns must be unique (duplicate rows)",
                rows=list(out.index[dup]), values=list(keys), line_offset=LINE_OFFSET,
            )
    return out


def read_raw_csv(path: Path, contract: RawContract) -> pd.DataFrame:
    """Read a raw CSV(.gz) and enforce its contract: columns, dtypes, allowed values, key, >= 0."""
    path = Path(path)
    df = parse_csv(path, len(contract.columns))
    return apply_contract(df, contract, path.name)
