"""Notebook parameters: defaults, types and validation.

papermill only *warns* about unknown parameters and never checks types, so every notebook calls
:func:`validate` right after its ``parameters`` cell. The spec below is the single source of truth
for what each notebook accepts; the YAML files in ``notebooks/params/`` are checked against it too.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from autotariffs import design
from autotariffs.errors import AutotariffsError, ParameterError  # noqa: F401 - raised here, defined in core


@dataclass(frozen=True)
class Param:
    type: type | tuple[type, ...]
    default: Any
    doc: str
    choices: tuple[Any, ...] | None = None
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)


_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def _month(v: Any) -> str | None:
    return None if _MONTH.match(str(v)) else f"expected a month 'YYYY-MM', got {v!r}"


def _date(v: Any) -> str | None:
    return None if _DATE.match(str(v)) else f"expected a date 'YYYY-MM-DD', got {v!r}"


def _unit(v: Any) -> str | None:
    return None if 0.0 <= float(v) <= 1.0 else f"expected a share in [0, 1], got {v!r}"


def _positive(v: Any) -> str | None:
    return None if v > 0 else f"expected a positive number, got {v!r}"


def _range_pair(v: Any) -> str | None:
    if len(v) != 2 or not all(isinstance(x, int | float) and 0 <= x <= 1 for x in v) or v[0] > v[1]:
        return f"expected [low, high] with 0 <= low <= high <= 1, got {v!r}"
    return None


SOURCES = ("snapshot", "census")

_COMMON = {
    "source": Param(str, "snapshot", "data source: shipped snapshot or the fetched Census panel", SOURCES),
}
_WINDOW = {
    "start": Param(str, design.START, "first month of the sample (YYYY-MM)", check=_month),
    "end": Param(str, design.END, "last month of the sample (YYYY-MM)", check=_month),
}

SPECS: dict[str, dict[str, Param]] = {
    "01_build_data": {
        **_COMMON,
        "verify_checksums": Param(bool, True, "verify data/raw/SHA256SUMS before reading anything"),
    },
    "02_tariff_schedule": {
        "include_derived": Param(bool, True, "keep event rows whose status is 'derived'"),
        "include_scheduled": Param(bool, True, "keep event rows whose status is 'scheduled'"),
        "usmca_nonus_share": Param(
            float, 0.5, "non-US content share of USMCA vehicles (MEX, CAN)", check=_unit
        ),
        "uk_in_quota_share": Param(
            float, 1.0, "share of UK car imports entering within the 2025 TRQ", check=_unit
        ),
        "timeline_start": Param(str, "2024-01", "first month of the timeline figure", check=_month),
        "timeline_end": Param(str, "2026-06", "last month of the timeline figure", check=_month),
    },
    "03_descriptives": {**_COMMON, **_WINDOW},
    "04_estimates": {
        **_COMMON,
        **_WINDOW,
        "origin": Param(str, design.TREATED[0], "treated origin (ISO-3), any origin in the data"),
        "controls": Param(list, list(design.CONTROLS), "less-treated comparison origins (ISO-3)"),
        "event_date": Param(str, design.TARIFF.date, "Section 232 vehicle duties in force",
                            check=_date),
        "baseline_start": Param(str, design.BASELINE_START, "first baseline month of the reduced form",
                                check=_month),
        "donut": Param(int, design.DONUT_MONTHS, "months before the event left out (announcement)",
                       check=lambda v: None if 0 <= v <= 6 else f"expected 0..6 months, got {v!r}"),
        "leads": Param(int, design.LEADS, "event-study leads (months before the event)",
                       check=_positive),
        "n_boot": Param(int, design.N_BOOT, "wild cluster bootstrap draws (Webb weights)",
                        check=_positive),
        "n_sim": Param(int, design.SIM_DRAWS, "draws of the calibrated simulation that chooses "
                       "the headline design", check=_positive),
        "seed": Param(int, design.SEED, "random seed for simulation, bootstrap and randomization "
                      "inference"),
    },
    "05_robustness": {
        **_COMMON,
        **_WINDOW,
        "origins": Param(list, list(design.TREATED), "treated origins"),
        "placebo_date": Param(str, design.PLACEBO_DATE, "placebo event date", check=_date),
        "usmca_share_range": Param(
            list, [0.3, 0.7], "range of the USMCA non-US content share", check=_range_pair
        ),
        "n_boot": Param(int, design.N_BOOT, "wild cluster bootstrap draws", check=_positive),
        "seed": Param(int, design.SEED, "random seed"),
    },
    "06_report": {
        "title": Param(str, "US auto tariffs and imports from Korea and Japan", "report title"),
    },
}


def _type_ok(value: Any, typ: type | tuple[type, ...]) -> bool:
    types = typ if isinstance(typ, tuple) else (typ,)
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        return True
    if bool not in types and isinstance(value, bool):
        return False
    return isinstance(value, types)


def validate(
    notebook: str,
    namespace: Mapping[str, Any],
    before: set[str] | None = None,
    known_origins: set[str] | None = None,
) -> dict[str, Any]:
    """Check a notebook's parameters; return them as a dict or raise :class:`ParameterError`.

    ``namespace`` is the notebook's ``globals()``; ``before`` is the set of names that existed
    before the parameters cell, so names papermill injected that the spec does not know are caught.
    ``known_origins`` lists the origins present in the data, for an origin check before computing.
    """
    from autotariffs import logs, paths

    logs.configure()  # the stages' progress lines (logging) show in the notebook, as on the terminal
    paths.announce()  # interactive runs: say that outputs go to scratch/ (first output)
    if notebook not in SPECS:
        raise ParameterError(f"no parameter spec for notebook {notebook!r}; known: {sorted(SPECS)}")
    spec = SPECS[notebook]
    problems: list[str] = []
    if before is not None:
        new = {
            k
            for k in namespace
            if k not in before and not k.startswith("_") and k not in {"In", "Out", "exit", "quit"}
        }
        unknown = sorted(new - set(spec))
        for name in unknown:
            near = difflib.get_close_matches(name, list(spec), n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            problems.append(f"unknown parameter {name!r} ({hint}allowed: {', '.join(sorted(spec))})")
    params: dict[str, Any] = {}
    for name, p in spec.items():
        if name not in namespace:
            problems.append(f"parameter {name!r} is missing from the parameters cell")
            continue
        value = namespace[name]
        if not _type_ok(value, p.type):
            tname = p.type.__name__ if isinstance(p.type, type) else str(p.type)
            problems.append(
                f"parameter {name!r} must be {tname}, got {type(value).__name__} {value!r} "
                f"(default: {p.default!r})"
            )
            continue
        if p.choices is not None and value not in p.choices:
            problems.append(f"parameter {name!r} = {value!r} is not one of {list(p.choices)}")
            continue
        if p.check is not None:
            msg = p.check(value)
            if msg:
                problems.append(f"parameter {name!r}: {msg}")
                continue
        params[name] = float(value) if p.type is float else value
    if "start" in params and "end" in params and params["start"] > params["end"]:
        problems.append(f"start {params['start']!r} is after end {params['end']!r}")
    if known_origins is not None:
        for key in ("origin", "controls", "origins"):
            vals = params.get(key)
            if vals is None:
                continue
            for o in [vals] if isinstance(vals, str) else vals:
                if o not in known_origins:
                    problems.append(
                        f"parameter {key!r}: origin {o!r} is not in the data "
                        f"(available: {', '.join(sorted(known_origins))})"
                    )
    if problems:
        raise ParameterError(f"notebook {notebook}: " + "; ".join(problems))
    return params


def load_params_file(path: str | Path) -> dict[str, Any]:
    """Read a papermill YAML params file the way papermill does (dates stay strings)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ParameterError(f"{path}: params file not found") from exc
    try:
        data = yaml.load(text, Loader=_NoDatesLoader)
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML ({exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping of parameter names, got {type(data).__name__}")
    return data


class _NoDatesLoader(yaml.SafeLoader):
    pass


_NoDatesLoader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


def check_params_file(notebook: str, path: str | Path) -> dict[str, Any]:
    """Validate a params YAML file against the notebook spec (used by Make before papermill), and
    its name against its ``origin`` (``04_estimates_DEU.yaml`` must run DEU)."""
    data = load_params_file(path)
    ns = {name: p.default for name, p in SPECS[notebook].items()} if notebook in SPECS else {}
    ns.update(data)
    try:
        params = validate(notebook, ns, before=set())
        _check_name(notebook, Path(path), params)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}; fix the params file") from exc
    return params


def _check_name(notebook: str, path: Path, params: Mapping[str, Any]) -> None:
    """A per-origin params file (``<notebook>_<ORIGIN>.yaml``) must set that origin: Make names
    the run's outputs after the file, the notebook after ``origin``."""
    if "origin" not in SPECS.get(notebook, {}) or not path.stem.startswith(f"{notebook}_"):
        return
    named, origin = path.stem[len(notebook) + 1:], params.get("origin")
    if named != origin:
        raise ParameterError(
            f"the file name says origin {named!r} but parameter 'origin' is {origin!r} (its "
            f"outputs would be {notebook}_{named}.*, its results {origin}'s): set origin: "
            f"{named} in it, or name the file {notebook}_{origin}.yaml")


def check(notebook: str, path: str | Path, processed: str | Path | None = None) -> dict[str, Any]:
    """Everything checked before a kernel starts: the params file against the spec and its name,
    then against the data of the build in ``processed`` (default: the build's data/processed),
    the baseline against the inference's needs included. Used by ``autotariffs run`` and
    ``autotariffs check-params``; raises :class:`ParameterError` (one line, names the file)."""
    from autotariffs import paths

    params = check_params_file(notebook, path)
    processed = Path(processed) if processed is not None else paths.build_root() / "data" / "processed"
    try:
        check_against_data(notebook, params, processed / "flows.parquet")
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None
    return params


def data_coverage(source: str, flows_file: str | Path, product: str = "8703") -> tuple[set[str], str, str]:
    """(origins, first month, last month) of monthly US imports of ``product`` for ``source`` in a
    processed flows file: what a notebook's origin and window parameters may ask for."""
    import pandas as pd

    from autotariffs.panel.build import select_flows

    f = select_flows(pd.read_parquet(flows_file), source, product)
    months = pd.to_datetime(f["month"]).dt.strftime("%Y-%m")
    return set(f["partner"].astype(str)), str(months.min()), str(months.max())


def check_against_data(notebook: str, params: Mapping[str, Any], flows_file: str | Path) -> None:
    """Check origins/controls and the start/end window against the data of the chosen source
    (before a kernel starts); raise :class:`ParameterError` with one line per problem."""
    if "source" not in SPECS.get(notebook, {}) or not Path(flows_file).is_file():
        return
    source = params.get("source", SPECS[notebook]["source"].default)
    from autotariffs.panel.build import PanelError

    try:
        origins, first, last = data_coverage(source, flows_file)
    except PanelError as exc:
        raise ParameterError(f"parameter 'source' = {source!r}: {exc}") from None
    have = ", ".join(sorted(origins))
    problems: list[str] = []
    for key in ("origin", "controls", "origins"):
        vals = params.get(key)
        if vals is None:
            continue
        for o in [vals] if isinstance(vals, str) else vals:
            if o not in origins:
                problems.append(f"parameter {key!r}: origin {o!r} is not in the data (have {have})")
    for key in ("start", "end", "baseline_start"):
        v = params.get(key)
        if isinstance(v, str) and not first <= v <= last:
            problems.append(
                f"parameter {key!r}: month {v!r} is outside the data ({first} to {last} "
                f"for source {source!r})"
            )
    if not problems and "baseline_start" in SPECS[notebook]:
        problem = baseline_problem(params, Path(flows_file).parent, source, first)
        if problem:
            problems.append(problem)
    if problems:
        raise ParameterError("; ".join(problems) + "; fix the params file")


def baseline_problem(params: Mapping[str, Any], processed: Path, source: str,
                     first: str) -> str | None:
    """Whether the baseline (``baseline_start``, and ``start``, where the sample begins) leaves the
    design comparison enough months (:mod:`autotariffs.models.requirements`), counted on the
    months with data of the panel built from ``processed`` like the notebook's; if the panel
    inputs are not built, every month is assumed to have data. Returns one line or None."""
    import pandas as pd

    from autotariffs import design
    from autotariffs.models import requirements as req
    from autotariffs.panel import build as pb

    origin, controls = params["origin"], list(params["controls"])
    end, donut = params["end"], params["donut"]
    files = [processed / f for f in ("flows.parquet", "tariffs_monthly.parquet", "fx_monthly.parquet")]
    if all(f.is_file() for f in files):
        flows, tariffs, fx = (pd.read_parquet(f) for f in files)
        # the whole data range (earlier months do not change which baseline works)
        panel = pb.build_panel(flows, tariffs, fx, start=first, end=end, source=source)
        if "hs_code" in panel.columns:
            panel = pb.origin_month(panel)
        gaps = req.gaps(panel, origin, controls)
        basis = f"the months in which {', '.join([origin, *controls])} have data"
    else:
        gaps = req.all_months(first, end)
        basis = "every month assumed to have data (the panel inputs are not built)"
    start = max(params["start"], params["baseline_start"])
    window = design.Window(params["event_date"], start, donut, end)
    why = {y: req.baseline_problem(g, window, headline=y in (design.HEADLINE_OUTCOME, "all"))
           for y, g in gaps.items()}
    why = {y: w for y, w in why.items() if w}
    if not why:
        return None
    latest = req.latest_baseline_start(gaps, window)
    outcome, reason = next(iter(why.items()))
    label = req.OUTCOMES.get(outcome, "every outcome")
    setting = (f"with event_date {params['event_date']}, donut {donut}, end {end} and {basis}")
    if latest is None:
        return (f"no baseline is long enough for {origin}'s design comparison ({reason}, {label}; "
                f"{setting}): move event_date or end")
    key = "baseline_start" if params["baseline_start"] > latest else "start"
    also = " (and start)" if key == "baseline_start" and params["start"] > latest else ""
    return (f"parameter {key!r} = {params[key]!r} is too late for {origin}'s design comparison: "
            f"{reason} ({label}); the latest valid {key}{also} is {latest!r} ({setting})")
