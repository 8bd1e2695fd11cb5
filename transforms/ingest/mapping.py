"""Supplier mappings: a YAML file per supplier layout says which model it fills, how its files
are written (format, encoding, delimiter, quoting), where each column is, how dates, times and
booleans are written and what each code is called. A new supplier is a new file in the
mappings folder (setting ``mappings_dir``), not new code.

A mapping file is checked when it is read: an unknown key or a value of the wrong kind is a
``MappingError`` naming the file and the key, so a typo (``delimeter:``) is never ignored."""
from __future__ import annotations

import codecs
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from transforms.canonical import Table, code_lists, load_model
from transforms.frames import map_distinct
from transforms.identifiers import normalise_postcode
from transforms.settings import REFERENCE_DIR

DEFAULT_MAPPINGS_DIR = REFERENCE_DIR / "mappings"
# Excel's day zero for the 1900 date system (it counts a 29 February 1900 that never was).
EXCEL_EPOCH = dt.date(1899, 12, 30)
UNPARSED_DATE_MARK = "!"
DELIMITERS = {",": ",", "\t": "\t", "tab": "\t", "|": "|", "pipe": "|", ";": ";", "semicolon": ";", "comma": ","}


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the key."""


START_END = ("START", "END")


@dataclass(frozen=True)
class TableMapping:
    source: str  # file name (csv) or sheet name (xlsx)
    columns: dict[str, str]  # canonical column -> supplier header (with START/END in one row: the shared ones)
    # A table whose START and END records sit in one supplier row (``start_end_column``,
    # ``start_columns``, ``end_columns`` in the file): the canonical column that says which
    # record a half is (filled with START or END) and each half's columns.
    start_end_column: str | None = None
    start_columns: dict[str, str] | None = None
    end_columns: dict[str, str] | None = None

    @property
    def start_end_in_one_row(self) -> bool:
        return self.start_end_column is not None

    def file_headers(self) -> list[str]:
        """Every header the supplier's file carries for this table."""
        return [*self.columns.values(), *(self.start_columns or {}).values(), *(self.end_columns or {}).values()]

    @property
    def headers(self) -> dict[str, str]:
        """Canonical column -> the header a person fixing the file looks at. A column split
        into halves is named by both headers (``ETE_START / ETE_END``); the START/END column,
        which the supplier does not write, by the halves' description."""
        if not self.start_end_in_one_row:
            return self.columns
        halves = {c: f"{self.start_columns[c]} / {self.end_columns[c]}" for c in self.start_columns}
        return {**self.columns, **halves, self.start_end_column: "(START and END in one row)"}


@dataclass(frozen=True)
class SupplierMapping:
    supplier: str
    description: str
    format: str
    date_formats: tuple[str, ...]
    booleans: dict[str, bool]
    null_markers: tuple[str, ...]
    codes: dict[str, dict[str, str]]
    tables: dict[str, TableMapping]
    workbook: str | None = None
    encoding: str = "utf-8-sig"
    fallback_encoding: str | None = None
    delimiter: str = ","
    quotechar: str = '"'
    datetime_formats: tuple[str, ...] = ("ISO8601",)
    model: str = "canonical_model.yaml"
    # Canonical column -> the date formats of that column, where they differ from
    # ``date_formats`` (a column a spreadsheet rewrote as dd/mm/yyyy beside ISO ones).
    column_date_formats: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def boolean_text(self) -> tuple[str, str]:
        """How this supplier writes True and False (the first spelling of each)."""
        true_text = next(k for k, v in self.booleans.items() if v)
        false_text = next(k for k, v in self.booleans.items() if not v)
        return true_text, false_text

    def date_format_hint(self) -> str:
        hints = {"%d/%m/%Y": "dd/mm/yyyy", "%Y-%m-%d": "yyyy-mm-dd", "excel": "an Excel date", "%d.%m.%Y": "dd.mm.yyyy",
                 "%Y%m%d": "yyyymmdd"}
        return " or ".join(hints.get(f, f) for f in self.date_formats)


_TOP_KEYS = {"supplier": str, "description": str, "format": str, "date_formats": list, "booleans": dict,
             "null_markers": list, "codes": dict, "tables": dict, "workbook": str, "encoding": str,
             "fallback_encoding": str, "delimiter": str, "quotechar": str, "datetime_formats": list, "model": str,
             "column_date_formats": dict}
_REQUIRED = ("supplier", "format", "tables")
_TABLE_KEYS = {"source": str, "columns": dict, "start_end_column": str, "start_columns": dict, "end_columns": dict}
_START_END_KEYS = ("start_end_column", "start_columns", "end_columns")


def _fail(path: Path, message: str) -> MappingError:
    return MappingError(f"mapping file {path.name}: {message}")


def parse_mapping(path: Path) -> SupplierMapping:
    """Read and check one mapping file (see the module docstring)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _fail(path, f"cannot be read as YAML ({exc.__class__.__name__})") from exc
    if not isinstance(raw, dict):
        raise _fail(path, "the file must be a set of keys (supplier, format, tables, ...)")
    for key, value in raw.items():
        if key not in _TOP_KEYS:
            raise _fail(path, f"unknown key '{key}' (known: {', '.join(sorted(_TOP_KEYS))})")
        if value is not None and not isinstance(value, _TOP_KEYS[key]):
            raise _fail(path, f"key '{key}' must be a {_TOP_KEYS[key].__name__}, not {type(value).__name__}")
    for key in _REQUIRED:
        if raw.get(key) in (None, "", {}):
            raise _fail(path, f"key '{key}' is missing")
    fmt = raw["format"]
    if fmt not in ("csv", "xlsx"):
        raise _fail(path, f"key 'format' must be csv or xlsx, not '{fmt}'")
    if fmt == "xlsx" and not raw.get("workbook"):
        raise _fail(path, "key 'workbook' is missing (format xlsx needs the workbook's file name)")
    delimiter = str(raw.get("delimiter", ","))
    if delimiter not in DELIMITERS:
        raise _fail(path, f"key 'delimiter' must be one of comma, tab, pipe, semicolon (',', '\\t', '|', ';'), not {delimiter!r}")
    quotechar = str(raw.get("quotechar", '"'))
    if len(quotechar) != 1:
        raise _fail(path, f"key 'quotechar' must be one character, not {quotechar!r}")
    for key in ("encoding", "fallback_encoding"):
        if raw.get(key):
            try:
                codecs.lookup(raw[key])
            except LookupError:
                raise _fail(path, f"key '{key}': '{raw[key]}' is not an encoding Python knows") from None
    for key in ("date_formats", "datetime_formats", "null_markers"):
        if any(not isinstance(v, (str, int)) for v in raw.get(key) or []):
            raise _fail(path, f"key '{key}' must be a list of text values")
    booleans = raw.get("booleans") or {}
    if any(not isinstance(v, bool) for v in booleans.values()):
        raise _fail(path, "key 'booleans' must map each spelling to true or false")
    if booleans and (True not in booleans.values() or False not in booleans.values()):
        raise _fail(path, "key 'booleans' needs at least one spelling of true and one of false")
    codes = {}
    for code_list, labels in (raw.get("codes") or {}).items():
        if not isinstance(labels, dict):
            raise _fail(path, f"key 'codes.{code_list}' must map supplier values to canonical codes")
        # Code values of any type: a supplier writing 1, 2, 3 or true/false means the text.
        codes[str(code_list)] = {_yaml_text(k): str(v) for k, v in labels.items()}
    model_file = raw.get("model", "canonical_model.yaml")
    try:
        model = load_model(model_file)
    except FileNotFoundError:
        raise _fail(path, f"key 'model': no model file '{model_file}'") from None
    tables = {}
    for name, spec in raw["tables"].items():
        if name not in model:
            raise _fail(path, f"key 'tables.{name}': the model {model_file} has no table '{name}' "
                              f"(tables: {', '.join(model)})")
        if not isinstance(spec, dict):
            raise _fail(path, f"key 'tables.{name}' must have 'source' and 'columns'")
        for key, value in spec.items():
            if key not in _TABLE_KEYS:
                raise _fail(path, f"unknown key 'tables.{name}.{key}' (known: {', '.join(sorted(_TABLE_KEYS))})")
            if not isinstance(value, _TABLE_KEYS[key]):
                raise _fail(path, f"key 'tables.{name}.{key}' must be a {_TABLE_KEYS[key].__name__}")
        if "source" not in spec or "columns" not in spec:
            raise _fail(path, f"key 'tables.{name}' must have 'source' and 'columns'")
        start_end = _check_start_end(path, name, spec, model[name])
        mapped = {**spec["columns"], **(spec.get("start_columns") or {})}
        if start_end:
            mapped[spec["start_end_column"]] = "(START and END in one row)"
        for column in mapped:
            if column not in model[name].column_names:
                raise _fail(path, f"key 'tables.{name}.columns.{column}': the table has no column '{column}'")
        missing = [c for c in model[name].column_names if c not in mapped]
        if missing:
            raise _fail(path, f"key 'tables.{name}.columns' does not map {', '.join(missing)}")
        tables[name] = TableMapping(source=str(spec["source"]), columns=_headers_text(spec["columns"]),
                                    start_end_column=spec.get("start_end_column"),
                                    start_columns=_headers_text(spec.get("start_columns")),
                                    end_columns=_headers_text(spec.get("end_columns")))
    return SupplierMapping(
        supplier=str(raw["supplier"]), description=str(raw.get("description", "")), format=fmt,
        date_formats=tuple(str(f) for f in raw.get("date_formats") or ["%Y-%m-%d"]),
        booleans={_yaml_text(k): v for k, v in booleans.items()},
        null_markers=tuple(str(m) for m in raw.get("null_markers") or [""]), codes=codes, tables=tables,
        workbook=raw.get("workbook"), encoding=raw.get("encoding", "utf-8-sig"),
        fallback_encoding=raw.get("fallback_encoding"), delimiter=DELIMITERS[delimiter], quotechar=quotechar,
        datetime_formats=tuple(str(f) for f in raw.get("datetime_formats") or ["ISO8601"]), model=model_file,
        column_date_formats=_column_date_formats(path, raw.get("column_date_formats") or {}, model),
    )


def _column_date_formats(path, raw: dict, model) -> dict[str, tuple[str, ...]]:
    columns = {c.name for t in model.values() for c in t.columns if c.type == "date"}
    formats = {}
    for column, listed in raw.items():
        if column not in columns:
            raise _fail(path, f"key 'column_date_formats.{column}': no date column '{column}' in the model")
        if not isinstance(listed, list) or not listed or any(not isinstance(f, str) for f in listed):
            raise _fail(path, f"key 'column_date_formats.{column}' must be a list of date formats")
        formats[str(column)] = tuple(listed)
    return formats


def _check_start_end(path: Path, name: str, spec: dict, table: Table) -> bool:
    """The three keys of a table whose START and END records sit in one row go together: the
    column saying START or END (one the model codes START/END and the file does not carry),
    and the same canonical columns in each half, none of them also in ``columns``."""
    given = [k for k in _START_END_KEYS if k in spec]
    if not given:
        return False
    if len(given) != len(_START_END_KEYS):
        lacking = [k for k in _START_END_KEYS if k not in spec]
        raise _fail(path, f"key 'tables.{name}.{given[0]}' needs {', '.join(f'tables.{name}.{k}' for k in lacking)} "
                          f"(START and END in one row)")
    column = spec["start_end_column"]
    if column not in table.column_names:
        raise _fail(path, f"key 'tables.{name}.start_end_column': the table has no column '{column}'")
    codes = code_lists().get(table.column(column).code_list or "", set())
    if not set(START_END) <= set(codes):
        raise _fail(path, f"key 'tables.{name}.start_end_column': '{column}' is not a START/END column "
                          f"(its codes do not include START and END)")
    if column in spec["columns"] or column in spec["start_columns"]:
        raise _fail(path, f"key 'tables.{name}.start_end_column': '{column}' is filled with START or END, "
                          f"so it cannot also be mapped to a supplier column")
    if set(spec["start_columns"]) != set(spec["end_columns"]) or not spec["start_columns"]:
        raise _fail(path, f"key 'tables.{name}.end_columns' must map the same canonical columns as start_columns")
    shared = sorted(set(spec["columns"]) & set(spec["start_columns"]))
    if shared:
        raise _fail(path, f"key 'tables.{name}.start_columns.{shared[0]}' is also in columns; "
                          f"a column is either shared by both records or split into halves")
    for key in ("columns", "start_columns", "end_columns"):
        for column_name, header in spec[key].items():
            if not isinstance(header, (str, int)) or isinstance(header, bool):
                raise _fail(path, f"key 'tables.{name}.{key}.{column_name}' must be a supplier header (text)")
    return True


def _headers_text(headers: dict | None) -> dict[str, str] | None:
    """Canonical column -> supplier header, as text (a header may be written as a number)."""
    return None if headers is None else {str(k): str(v) for k, v in headers.items()}


def _yaml_text(value) -> str:
    """YAML reads Yes, 1 and true as non-text; the supplier wrote text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@lru_cache(maxsize=None)
def _load_mapping(folder: str, supplier: str) -> SupplierMapping:
    path = Path(folder) / f"{supplier}.yaml"
    if not path.exists():
        known = ", ".join(known_suppliers(Path(folder)))
        raise MappingError(f"unknown supplier layout '{supplier}' (mapping files in {Path(folder).name}: {known})")
    mapping = parse_mapping(path)
    if mapping.supplier != supplier:
        raise _fail(path, f"key 'supplier' is '{mapping.supplier}' but the file is named {supplier}.yaml")
    return mapping


def load_mapping(supplier: str, folder: Path | None = None) -> SupplierMapping:
    return _load_mapping(str(folder or DEFAULT_MAPPINGS_DIR), supplier)


def known_suppliers(folder: Path | None = None) -> list[str]:
    return sorted(p.stem for p in Path(folder or DEFAULT_MAPPINGS_DIR).glob("*.yaml"))


def case_system_layouts(folder: Path | None = None) -> list[str]:
    """Suppliers whose mapping fills the canonical case-system model (a manifest may name them)."""
    layouts = []
    for supplier in known_suppliers(folder):
        try:
            if load_mapping(supplier, folder).model == "canonical_model.yaml":
                layouts.append(supplier)
        except MappingError:
            layouts.append(supplier)  # named, so a delivery naming it gets the mapping's own error
    return layouts


def _serial_cell_as_date(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 2_958_466:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    return value


def _as_text(value) -> str | None:
    """A supplier cell as text, whatever the reader returned (Excel cells may be numbers or dates)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_CANONICAL_SHAPE = {"%Y-%m-%d": r"\d{4}-\d\d-\d\d", "%Y-%m-%dT%H:%M:%S": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"}


def _as_canonical(text: pd.Series, parsed: pd.Series, canonical: str) -> pd.Series:
    """Parsed values as canonical text. Text that already has the canonical shape (and parsed,
    so is a real date) is kept as it is: formatting thousands of values back to the text they
    came from is most of a custody load's date work."""
    same = text.astype(str).str.fullmatch(_CANONICAL_SHAPE[canonical]).to_numpy(dtype=bool)
    if same.all():
        return text.astype(object)
    out = text.astype(object).copy()
    out[~same] = parsed[~same].dt.strftime(canonical)
    return out


def _normalise_dates(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """ISO ``yyyy-mm-dd`` text where a value parses in one of the supplier's formats; the
    original text otherwise, so validation can say which value is not a date."""
    result = pd.Series(pd.NA, index=values.index, dtype="object")
    for fmt in formats:
        todo = result.isna() & values.notna()
        if not todo.any():
            break
        if fmt == "excel":
            serial = pd.to_numeric(values[todo], errors="coerce")
            ok = serial.notna() & (serial > 0) & (serial < 2_958_466)
            parsed = pd.to_datetime(EXCEL_EPOCH) + pd.to_timedelta(serial[ok], unit="D")
            result[parsed.index] = parsed.dt.strftime("%Y-%m-%d")
            continue
        # Exact format match only: 2024-03-05 is not accepted as dd/mm/yyyy.
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        good = parsed.notna()
        result[parsed[good].index] = _as_canonical(values[todo][good], parsed[good], "%Y-%m-%d")
    still = result.isna() & values.notna()
    # Kept with a marker so that text which merely looks canonical (2024-03-05 from a
    # dd/mm/yyyy supplier) still fails the date check; validation strips it when reporting.
    result[still] = UNPARSED_DATE_MARK + values[still].astype(str)
    return result


def _normalise_datetimes(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """``yyyy-mm-ddThh:mm:ss`` Europe/London wall-clock text. A time carrying a zone (``Z``,
    ``+01:00``) is converted to London time, as the police's own times are; text that is not a
    real date and time keeps the unparsed mark so validation quarantines it."""
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")

    def one(value: str):
        for fmt in formats:
            try:
                parsed = (dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
                          if fmt == "ISO8601" else dt.datetime.strptime(value, fmt))
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(london).replace(tzinfo=None)
            return parsed.replace(microsecond=0).isoformat(timespec="seconds")
        return UNPARSED_DATE_MARK + value

    # Most values are wall-clock times in the first format: parsed by pandas in one pass (a
    # back-fill has a distinct arrival time per row). What that misses (another format, a
    # zone, a bad value) goes through ``one``, which decides for every format and zone.
    result = pd.Series(None, index=values.index, dtype=object)
    text = values.dropna().astype(str)  # stripped cell text, or None for an empty cell
    first = formats[0] if formats else ""
    if first == "ISO8601":  # only the zone-less yyyy-mm-ddThh:mm:ss shape; zones and fractions go to ``one``
        text = text[text.str.fullmatch(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")].str.replace(" ", "T", n=1)
        first = "%Y-%m-%dT%H:%M:%S"
    if first and "%z" not in first and "%Z" not in first and len(text):
        parsed = pd.to_datetime(text, format=first, errors="coerce")
        good = parsed.notna()
        result[good[good].index] = _as_canonical(text[good], parsed[good], "%Y-%m-%dT%H:%M:%S")
    rest = values[result.isna() & values.notna()]
    if len(rest):
        result[rest.index] = map_distinct(rest, lambda v: one(v) if isinstance(v, str) else v)
    return result.astype(object).where(result.notna(), None)


def one_record_per_half(raw: pd.DataFrame, table_mapping: TableMapping, null_markers: tuple[str, ...]) -> pd.DataFrame:
    """A supplier frame holding START and END in one row -> one record per half, columns named
    by ``TableMapping.headers``, each record indexed by its row's number (so a row's two
    records share it: a fault in either holds the whole row back, as sent).

    A half whose own cells are all empty is no record (an episode still open has no END);
    a row with both halves empty gives its START record, which validation then quarantines,
    so no row is ever dropped unseen."""
    headers = table_mapping.headers
    markers = {m.strip().upper() for m in null_markers}

    def has_values(half: dict[str, str]) -> pd.Series:
        present = [h for h in half.values() if h in raw.columns]
        if not present:
            return pd.Series(False, index=raw.index)
        cells = raw[present].astype("string").apply(lambda c: c.str.strip().str.upper())
        return (cells.notna() & ~cells.isin(markers)).any(axis=1)

    end_present = has_values(table_mapping.end_columns)
    start_present = has_values(table_mapping.start_columns) | ~end_present
    shared = [h for h in table_mapping.columns.values() if h in raw.columns]
    records = []
    for marker, half, keep in (("START", table_mapping.start_columns, start_present),
                               ("END", table_mapping.end_columns, end_present)):
        part = raw.loc[keep.to_numpy(), shared].copy()
        for column, header in half.items():
            other = (table_mapping.end_columns if marker == "START" else table_mapping.start_columns)[column]
            if header in raw.columns and other in raw.columns:  # a missing half is reported as a missing column
                part[headers[column]] = raw.loc[keep.to_numpy(), header]
        part[headers[table_mapping.start_end_column]] = marker
        records.append(part)
    return pd.concat(records).sort_index(kind="stable")


def to_canonical_text(raw: pd.DataFrame, table: Table, mapping: SupplierMapping,
                      only: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Rename a supplier frame to canonical columns and normalise every value to canonical
    text: codes translated, booleans as ``true``/``false``, dates ISO, empty markers as null.
    Values that cannot be translated are kept as they are so validation can name them.
    Columns the file lacks are left out, for the table-level expectation to report;
    ``only`` limits the work to some canonical columns (e.g. the key). A table whose START
    and END sit in one row becomes one record per half first (``one_record_per_half``)."""
    table_mapping = mapping.tables[table.name]
    if table_mapping.start_end_in_one_row:
        records = one_record_per_half(raw, table_mapping, mapping.null_markers)
        # Converted with a plain index (pandas cannot align on repeated labels), then given
        # back the row numbers.
        text = _to_canonical_text(records.reset_index(drop=True), table, mapping, table_mapping.headers, only)
        text.index = records.index
        return text
    return _to_canonical_text(raw, table, mapping, table_mapping.columns, only)


def _to_canonical_text(raw: pd.DataFrame, table: Table, mapping: SupplierMapping, headers: dict[str, str],
                       only: tuple[str, ...] | None) -> pd.DataFrame:
    out = {}  # built into a frame once: inserting column by column copies the column index each time
    markers = [m.strip().upper() for m in mapping.null_markers]
    bool_map = {k.upper(): ("true" if v else "false") for k, v in mapping.booleans.items()}
    for col in table.columns:
        header = headers[col.name]
        if header not in raw.columns or (only is not None and col.name not in only):
            continue
        values = raw[header]
        date_formats = mapping.column_date_formats.get(col.name, mapping.date_formats)
        if mapping.format != "csv":  # spreadsheet cells may be numbers or dates
            if col.type == "date" and "excel" in date_formats:
                # Only a number cell is an Excel date serial; the same digits typed as text are not.
                values = values.map(_serial_cell_as_date)
                date_formats = tuple(f for f in date_formats if f != "excel")
            values = values.map(_as_text)
        text = values.astype("object").where(values.notna(), None)
        text = pd.Series(text, index=raw.index, dtype="object")
        present = text.notna()
        stripped = text[present].astype(str).str.strip()
        upper = stripped.str.upper()
        stripped = stripped.where(~upper.isin(markers), None)
        if col.type == "date":
            stripped = _normalise_dates(stripped, date_formats)
        elif col.type == "datetime":
            stripped = _normalise_datetimes(stripped, mapping.datetime_formats)
        elif col.type == "bool":
            stripped = upper.map(bool_map).where(lambda s: s.notna(), stripped).where(stripped.notna(), None)
        elif col.code_list and mapping.codes.get(col.code_list):
            labels = {k.strip().upper(): c for k, c in mapping.codes[col.code_list].items()}
            stripped = upper.map(labels).where(lambda s: s.notna(), stripped).where(stripped.notna(), None)
        if col.normalise == "local_authority":
            # Any spelling of an English or Welsh authority (name, code, GSS code) becomes its
            # code; anything else stays as typed, in upper case, for the suite to quarantine.
            codes = {v: _local_authority_code(v) for v in stripped.dropna().unique()}  # few distinct values
            stripped = stripped.map(codes).where(stripped.notna(), None)
        if col.normalise in ("upper", "upper_snake"):
            stripped = stripped.str.upper().where(stripped.notna(), None)
            if col.normalise == "upper_snake":
                stripped = stripped.str.replace(r"[\s-]+", "_", regex=True).where(stripped.notna(), None)
        if col.name == "postcode":
            stripped = map_distinct(stripped, lambda v: normalise_postcode(v) if isinstance(v, str) else v)
        elif col.name in ("upn", "pnc_id"):
            stripped = stripped.str.replace(r"\s+", "", regex=True).str.upper().where(stripped.notna(), None)
        column = pd.Series(None, index=raw.index, dtype="object")
        column[stripped.index] = stripped.astype("object").where(stripped.notna(), None)
        out[col.name] = column
    return pd.DataFrame(out, index=raw.index)


TYPE_RULE = "VALUE-TYPE"
_TYPE_WORDS = {"date": "a date", "datetime": "a date and time", "int": "a whole number", "float": "a number"}


def rows_not_typed(text: pd.DataFrame, table: Table, headers: dict[str, str] | None = None) -> dict:
    """Rows with a value that cannot become its column's type (a date in a format the mapping
    does not declare that no suite rule caught): row -> [(rule, column, reason)]. The load
    quarantines them rather than stop on them; the reason never quotes the value."""
    failures: dict = {}
    headers = headers or {}
    for col in table.columns:
        if col.type not in _TYPE_WORDS or col.name not in text.columns:
            continue
        values = text[col.name]
        present = values.notna()
        if col.type == "date":
            parsed = pd.to_datetime(values[present], format="%Y-%m-%d", errors="coerce")
        elif col.type == "datetime":
            parsed = pd.to_datetime(values[present], format="%Y-%m-%dT%H:%M:%S", errors="coerce")
        else:
            parsed = pd.to_numeric(values[present], errors="coerce")
            if col.type == "int":
                parsed = parsed.where(parsed.isna() | (parsed == parsed.round()))
        for line in parsed.index[parsed.isna().to_numpy()].unique():
            failures.setdefault(line, []).append(
                (TYPE_RULE, col.name, f"{headers.get(col.name, col.name)} is not {_TYPE_WORDS[col.type]} in a format "
                                      "the supplier mapping declares (value not shown)"))
    return failures


def to_canonical_types(text: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Validated canonical text to typed values for the warehouse."""
    out = {}
    for col in table.columns:
        values = text[col.name]
        if col.type == "date":
            out[col.name] = pd.to_datetime(values, format="%Y-%m-%d").dt.date.astype(object).where(values.notna(), None)
        elif col.type == "datetime":
            parsed = pd.to_datetime(values, format="%Y-%m-%dT%H:%M:%S")
            out[col.name] = pd.Series(parsed.dt.to_pydatetime(), index=text.index, dtype=object).where(values.notna(), None)
        elif col.type == "int":
            out[col.name] = pd.array(pd.to_numeric(values), dtype="Int64")
        elif col.type == "float":
            out[col.name] = pd.to_numeric(values).astype(object).where(values.notna(), None)
        elif col.type == "bool":
            out[col.name] = values.map({"true": True, "false": False}).astype(object).where(values.notna(), None)
        else:
            out[col.name] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(out, index=text.index)


def _local_authority_code(value: str) -> str:
    from transforms.local_authorities import local_authorities

    authority = local_authorities().resolve(str(value))
    return authority.code if authority else str(value).upper()
