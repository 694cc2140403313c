"""One country table for every partner code/name used by the shipped trade files.

Each source spells partners differently (Census CTY_CODE/CTY_NAME, Comtrade ``partnerDesc``,
DataWeb and USA Trade Online display names). Mapping all of them to ISO-3 in one place is what
lets flows from different sources be compared. Aggregates (world, EU, USMCA) are flagged
``is_bloc`` with their members, because summing a bloc with its members double counts trade.

Non-standard codes: ``WLD`` (world total), ``EUU`` (European Union, World Bank code),
``USMCA`` (Canada + Mexico), ``XKX`` (Kosovo, user-assigned ISO code).
"""

from __future__ import annotations

import pandas as pd

from autotariffs.errors import DataContractError

EU27 = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE",
)  # fmt: skip

#: bloc -> members. "*" = every non-bloc partner (the world total).
BLOC_MEMBERS: dict[str, tuple[str, ...]] = {
    "WLD": ("*",),
    "EUU": EU27,
    "USMCA": ("CAN", "MEX"),
}

# Census Schedule C codes (CTY_CODE) and CTY_NAME as the Census API returns them.
# '0022' is the USMCA bloc code per the project brief (no shipped file uses it).
_CENSUS: dict[str, tuple[str, str]] = {
    "-": ("WLD", "TOTAL FOR ALL COUNTRIES"),
    "0003": ("EUU", "EUROPEAN UNION"),
    "0022": ("USMCA", "USMCA (NAFTA)"),
    "1220": ("CAN", "CANADA"), "2010": ("MEX", "MEXICO"), "2050": ("GTM", "GUATEMALA"),
    "2110": ("SLV", "EL SALVADOR"), "2150": ("HND", "HONDURAS"), "2190": ("NIC", "NICARAGUA"),
    "2230": ("CRI", "COSTA RICA"), "2470": ("DOM", "DOMINICAN REPUBLIC"),
    "2740": ("TTO", "TRINIDAD AND TOBAGO"), "3010": ("COL", "COLOMBIA"),
    "3070": ("VEN", "VENEZUELA"), "3310": ("ECU", "ECUADOR"), "3330": ("PER", "PERU"),
    "3370": ("CHL", "CHILE"), "3510": ("BRA", "BRAZIL"), "3570": ("ARG", "ARGENTINA"),
    "4010": ("SWE", "SWEDEN"), "4039": ("NOR", "NORWAY"), "4120": ("GBR", "UNITED KINGDOM"),
    "4190": ("IRL", "IRELAND"), "4210": ("NLD", "NETHERLANDS"), "4231": ("BEL", "BELGIUM"),
    "4279": ("FRA", "FRANCE"), "4280": ("DEU", "GERMANY"), "4330": ("AUT", "AUSTRIA"),
    "4359": ("SVK", "SLOVAKIA"), "4419": ("CHE", "SWITZERLAND"), "4621": ("RUS", "RUSSIA"),
    "4700": ("ESP", "SPAIN"), "4759": ("ITA", "ITALY"), "4890": ("TUR", "TURKEY"),
    "5081": ("ISR", "ISRAEL"), "5130": ("KWT", "KUWAIT"), "5170": ("SAU", "SAUDI ARABIA"),
    "5200": ("ARE", "UNITED ARAB EMIRATES"), "5330": ("IND", "INDIA"),
    "5350": ("PAK", "PAKISTAN"), "5380": ("BGD", "BANGLADESH"), "5420": ("LKA", "SRI LANKA"),
    "5490": ("THA", "THAILAND"), "5520": ("VNM", "VIETNAM"), "5550": ("KHM", "CAMBODIA"),
    "5570": ("MYS", "MALAYSIA"), "5590": ("SGP", "SINGAPORE"), "5600": ("IDN", "INDONESIA"),
    "5650": ("PHL", "PHILIPPINES"), "5700": ("CHN", "CHINA"), "5800": ("KOR", "KOREA, SOUTH"),
    "5820": ("HKG", "HONG KONG"), "5830": ("TWN", "TAIWAN"), "5880": ("JPN", "JAPAN"),
    "6021": ("AUS", "AUSTRALIA"), "6141": ("NZL", "NEW ZEALAND"), "7290": ("EGY", "EGYPT"),
    "7530": ("NGA", "NIGERIA"), "7620": ("AGO", "ANGOLA"), "7910": ("ZAF", "SOUTH AFRICA"),
}  # fmt: skip

# UN Comtrade partnerDesc / reporterDesc (Comtrade+ names).
_COMTRADE: dict[str, str] = {
    "World": "WLD", "USA": "USA", "Canada": "CAN", "Mexico": "MEX", "Germany": "DEU",
    "Japan": "JPN", "Rep. of Korea": "KOR", "China": "CHN", "United Kingdom": "GBR",
    "European Union": "EUU",
}  # fmt: skip

# USA Trade Online country labels.
_USATRADE: dict[str, str] = {
    "Brazil": "BRA", "Canada": "CAN", "China": "CHN", "Mexico": "MEX", "Japan": "JPN",
    "Korea, South": "KOR", "USMCA - U.S.-Mexico-Canada Agreement": "USMCA",
    "World Total": "WLD",
}  # fmt: skip

# USITC DataWeb country names (exactly as exported; 'Montserrat ' has a trailing blank).
_DATAWEB: dict[str, str] = {
    "Afghanistan": "AFG", "Albania": "ALB", "Andorra": "AND", "Angola": "AGO",
    "Antigua and Barbuda": "ATG", "Argentina": "ARG", "Armenia": "ARM", "Aruba": "ABW",
    "Australia": "AUS", "Austria": "AUT", "Bahamas": "BHS", "Bahrain": "BHR",
    "Bangladesh": "BGD", "Belarus": "BLR", "Belgium": "BEL", "Belize": "BLZ", "Bermuda": "BMU",
    "Bolivia": "BOL", "Bosnia and Herzegovina": "BIH", "Botswana": "BWA", "Brazil": "BRA",
    "British Indian Ocean Territory": "IOT", "Brunei": "BRN", "Bulgaria": "BGR",
    "Burkina Faso": "BFA", "Cabo Verde": "CPV", "Cambodia": "KHM", "Cameroon": "CMR",
    "Canada": "CAN", "Cayman Islands": "CYM", "Central African Republic": "CAF", "Chile": "CHL",
    "China": "CHN", "Cocos (Keeling) Islands": "CCK", "Colombia": "COL", "Costa Rica": "CRI",
    "Croatia": "HRV", "Curaçao": "CUW", "Cyprus": "CYP", "Czechia (Czech Republic)": "CZE",
    "Côte d`Ivoire": "CIV", "Democratic Republic of the Congo": "COD", "Denmark": "DNK",
    "Dominican Republic": "DOM", "Ecuador": "ECU", "Egypt": "EGY", "El Salvador": "SLV",
    "Eritrea": "ERI", "Estonia": "EST", "Eswatini (Swaziland)": "SWZ", "Faroe Islands": "FRO",
    "Fiji": "FJI", "Finland": "FIN", "France": "FRA", "French Polynesia": "PYF", "Gabon": "GAB",
    "Gambia": "GMB", "Georgia": "GEO", "Germany": "DEU", "Ghana": "GHA", "Greece": "GRC",
    "Guadeloupe": "GLP", "Guatemala": "GTM", "Guinea": "GIN", "Guyana": "GUY",
    "Honduras": "HND", "Hong Kong": "HKG", "Hungary": "HUN", "Iceland": "ISL", "India": "IND",
    "Indonesia": "IDN", "Ireland": "IRL", "Israel": "ISR", "Italy": "ITA", "Jamaica": "JAM",
    "Japan": "JPN", "Jordan": "JOR", "Kazakhstan": "KAZ", "Kenya": "KEN", "Kiribati": "KIR",
    "Kosovo": "XKX", "Kuwait": "KWT", "Kyrgyzstan": "KGZ", "Laos": "LAO", "Latvia": "LVA",
    "Lebanon": "LBN", "Libya": "LBY", "Liechtenstein": "LIE", "Lithuania": "LTU",
    "Luxembourg": "LUX", "Macau": "MAC", "Madagascar": "MDG", "Malawi": "MWI",
    "Malaysia": "MYS", "Maldives": "MDV", "Mali": "MLI", "Malta": "MLT", "Martinique": "MTQ",
    "Mauritius": "MUS", "Mayotte": "MYT", "Mexico": "MEX", "Micronesia": "FSM",
    "Moldova": "MDA", "Monaco": "MCO", "Mongolia": "MNG", "Montenegro": "MNE",
    "Montserrat ": "MSR", "Morocco": "MAR", "Mozambique": "MOZ", "Myanmar (Burma)": "MMR",
    "Namibia": "NAM", "Nauru": "NRU", "Nepal": "NPL", "Netherlands": "NLD",
    "New Caledonia": "NCL", "New Zealand": "NZL", "Nicaragua": "NIC", "Niger": "NER",
    "Nigeria": "NGA", "Norfolk Island": "NFK", "North Macedonia": "MKD", "Norway": "NOR",
    "Oman": "OMN", "Pakistan": "PAK", "Panama": "PAN", "Papua New Guinea": "PNG",
    "Paraguay": "PRY", "Peru": "PER", "Philippines": "PHL", "Poland": "POL", "Portugal": "PRT",
    "Qatar": "QAT", "Republic of the Congo": "COG", "Reunion": "REU", "Romania": "ROU",
    "Russia": "RUS", "Rwanda": "RWA", "Saint Lucia": "LCA",
    "Saint Vincent and the Grenadines": "VCT", "Samoa": "WSM", "San Marino": "SMR",
    "Saudi Arabia": "SAU", "Senegal": "SEN", "Serbia": "SRB", "Seychelles": "SYC",
    "Sierra Leone": "SLE", "Singapore": "SGP", "Sint Maarten": "SXM", "Slovakia": "SVK",
    "Slovenia": "SVN", "Solomon Islands": "SLB", "Somalia": "SOM", "South Africa": "ZAF",
    "South Korea": "KOR", "Spain": "ESP", "Sri Lanka": "LKA", "Suriname": "SUR",
    "Svalbard and Jan Mayen": "SJM", "Sweden": "SWE", "Switzerland": "CHE", "Syria": "SYR",
    "São Tomé and Príncipe": "STP", "Taiwan": "TWN", "Tajikistan": "TJK", "Tanzania": "TZA",
    "Thailand": "THA", "Togo": "TGO", "Trinidad and Tobago": "TTO", "Tunisia": "TUN",
    "Turkey": "TUR", "Turks and Caicos Islands": "TCA", "Ukraine": "UKR",
    "United Arab Emirates": "ARE", "United Kingdom": "GBR", "Uruguay": "URY",
    "Uzbekistan": "UZB", "Venezuela": "VEN", "Vietnam": "VNM", "West Bank": "PSE",
    "Yemen": "YEM", "Zambia": "ZMB", "United States": "USA", "European Union": "EUU",
    "World Total": "WLD",
}  # fmt: skip

# Korea Customs Service destination codes as the KCS export extract spells them (ISO-2, plus
# 'WORLD' = Korea's total exports of the product, a bloc).
_KCS: dict[str, str] = {
    "US": "USA", "CA": "CAN", "DE": "DEU", "AU": "AUS", "SA": "SAU", "WORLD": "WLD",
}  # fmt: skip

SOURCES = ("census", "comtrade", "dataweb", "usatrade", "kcs", "iso3")


def _build_table() -> pd.DataFrame:
    iso: dict[str, dict[str, object]] = {}

    def row(code: str) -> dict[str, object]:
        return iso.setdefault(
            code,
            {"iso3": code, "census_code": None, "census_name": None, "comtrade_name": None,
             "dataweb_name": None, "usatrade_name": None, "kcs_code": None},
        )  # fmt: skip

    for cc, (code, name) in _CENSUS.items():
        r = row(code)
        r["census_code"], r["census_name"] = cc, name
    for col, mapping in (
        ("comtrade_name", _COMTRADE), ("dataweb_name", _DATAWEB), ("usatrade_name", _USATRADE),
        ("kcs_code", _KCS),
    ):  # fmt: skip
        for name, code in mapping.items():
            row(code)[col] = name
    df = pd.DataFrame(sorted(iso.values(), key=lambda r: str(r["iso3"])))
    df["is_bloc"] = df["iso3"].isin(list(BLOC_MEMBERS))
    df["members"] = df["iso3"].map(lambda c: ";".join(BLOC_MEMBERS.get(c, ())))
    return df.reset_index(drop=True)


#: One row per ISO-3 entity: iso3, census_code, census_name, comtrade_name, dataweb_name,
#: usatrade_name, kcs_code, is_bloc, members (';'-joined, '*' = all non-bloc partners).
COUNTRIES: pd.DataFrame = _build_table()

_LOOKUP: dict[str, dict[str, str]] = {
    "census": {**{k: v[0] for k, v in _CENSUS.items()}, **{v[1]: v[0] for v in _CENSUS.values()}},
    "comtrade": dict(_COMTRADE),
    "dataweb": dict(_DATAWEB),
    "usatrade": dict(_USATRADE),
    "kcs": dict(_KCS),
    "iso3": {c: c for c in COUNTRIES["iso3"]},
}
KNOWN_ISO3: frozenset[str] = frozenset(COUNTRIES["iso3"])


def to_iso3(name_or_code: str, source: str, file: str = "<country lookup>") -> str:
    """ISO-3 for a partner as spelled by ``source`` ('census', 'comtrade', 'dataweb', ...).

    Raises DataContractError naming the unknown partner rather than guessing: a silently
    dropped or mis-mapped origin would bias every origin-level result.
    """
    if source not in _LOOKUP:
        raise ValueError(f"unknown country source {source!r}; expected one of {SOURCES}")
    table = _LOOKUP[source]
    key = str(name_or_code)
    if key in table:
        return table[key]
    if key.strip() in table:
        return table[key.strip()]
    raise DataContractError(
        file, f"{source} partner", "partner must be listed in autotariffs.data.countries",
        values=[name_or_code],
        extra="Add the partner to autotariffs/data/countries.py if it is a genuine new origin.",
    )


def map_iso3(values: pd.Series, source: str, file: str, column: str) -> pd.Series:
    """Vectorised :func:`to_iso3`; the error lists every unknown value and its rows."""
    table = _LOOKUP[source]
    stripped = values.astype(str).str.strip()
    out = values.astype(str).map(table).fillna(stripped.map({k.strip(): v for k, v in
                                                             table.items()}))
    bad = out.isna()
    if bad.any():
        raise DataContractError(
            file, column, "partner must be listed in autotariffs.data.countries",
            rows=list(values.index[bad]), values=list(values[bad]), line_offset=2,
        )
    return out.astype(str)


def is_bloc(iso3: str) -> bool:
    return iso3 in BLOC_MEMBERS


def members(bloc: str) -> tuple[str, ...]:
    """Members of a bloc ('*' means every non-bloc partner); () for a country."""
    return BLOC_MEMBERS.get(bloc, ())


def overlaps(bloc: str, partners: set[str]) -> set[str]:
    """Partners in ``partners`` that are already inside ``bloc`` (double counted if summed)."""
    m = BLOC_MEMBERS.get(bloc, ())
    if m == ("*",):
        return {p for p in partners if p != bloc}
    others = set(m) | {b for b, bm in BLOC_MEMBERS.items() if b != bloc and set(bm) <= set(m)}
    return {p for p in partners if p in others}


def lookup_table(source: str) -> dict[str, str]:
    """Copy of the name/code -> ISO-3 table for ``source`` (for vectorised maps)."""
    return dict(_LOOKUP[source])
