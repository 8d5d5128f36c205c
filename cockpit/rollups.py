"""Rollup tables: pre-aggregated copies of a dataset, used only where they give the exact answer.

A rollup (declared in cockpit.contracts.ROLLUPS) is a GROUP BY of the raw rows by a time column
truncated to the day or hour and by a few dimensions, with one count column per condition the
panels ask about. It is built into the same DuckDB file as the rows it summarises (the demo
file, or sync mode's local store), together with a row in `_rollups` saying what it was built
from (a signature of the rows) and as of when.

`answer()` is the exact matcher. A query is answered from rollups only when every piece of it
has an exact counterpart:

* a filter on a rollup dimension is kept as it is (the dimension holds the raw value);
* a range on the rollup's time column is kept when its bound falls on the grain (``received_at
  >= 2026-10-01 00:00`` holds for a ticket exactly when it holds for its day), or when the bound
  lies beyond every value of the column (then it only says "not null");
* every other condition of a measure (the measure's own `where` and the query's filters left
  over) must be, as a set, the conditions of one of the rollup's count columns; a condition on
  the data's "now" matches only if the query's now is the instant the rollup was built at;
* the cohort tables keep received_at only as far as a lookback filter needs it (see
  `_lookback_ok`);
* groups and time buckets must be rollup dimensions and buckets no finer than the grain.

Measures no rollup answers exactly (a count of distinct callers is not additive) are asked of
the raw rows in one query, with the conditions they share pushed into its WHERE; the groups of
the answer are the groups the raw query would have had (counted from a rollup). A query that
has no exact counterpart at all (rows, ordering, limits, unknown conditions) is answered by the
raw rows, as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from cockpit.contracts import CONTRACTS, NOW, ROLLUPS, Rollup
from data_sources.query import (
    AggFunc,
    BoundDataset,
    Col,
    ColumnSpec,
    DatasetQuery,
    Filter,
    Measure,
)

log = logging.getLogger(__name__)
META = "_rollups"
_MAP = "__county_map"  # key of the former-codes map in a rollup's stored bounds
PREFIX = "rollup__"
# Buckets a rollup of each grain can still form exactly.
_UNITS = {
    "hour": {"hour", "day", "week", "month", "quarter", "year", "weekday", "hour_of_day"},
    "day": {"day", "week", "month", "quarter", "year", "weekday"},
}
_ADDITIVE: dict[str, AggFunc] = {
    "count": "sum",
    "max": "max",
    "min": "min",
}  # query aggregate -> how parts combine

# Personal rollups: aggregates of citizens' tickets kept without their personal data, so the
# panels that group by caller stop reading rows on every view (#22). Not used by the exact
# matcher below (`rewrite`): a panel asks them by name through DataHub.query_rollup.
# 重复来电: tickets by day, county, category and caller, where the caller is a keyed hash of the
# number as stored (the same groups as the raw GROUP BY citizen_phone) and the masked number
# and name the screen shows; never the number or the name.
CALLERS = Rollup(
    "hotline_repeat_callers",
    "hotline.tickets",
    "received_at",
    "day",
    ("county_code", "category_l2"),
    (Measure("tickets", "count"), Measure("last_ticket", "max", "ticket_id")),
)
# 本周热点: per day, county and category, how many tickets use each word of their text (the
# keyword panel's segmentation and shipped stop words, cockpit/domains/hotline/keywords.py): counts of
# words, no text, no caller.
WORDS = Rollup(
    "hotline_words",
    "hotline.tickets",
    "received_at",
    "day",
    ("county_code", "category_l2"),
    (Measure("tickets", "count"),),
)
PERSONAL: dict[str, Rollup] = {CALLERS.name: CALLERS, WORDS.name: WORDS}
_BUILDER_VERSION = {CALLERS.name: "callers-2", WORDS.name: "words-1"}  # bump on a change
_WORD_BATCH = 50_000  # distinct texts segmented per batch (bounds the memory of the pairs)
CALLER_COLUMNS = ("caller_key", "phone_masked", "name_masked")
CALLER_KEY_FILE = ".rollup-caller-key"  # beside the DuckDB file, never in it


@dataclass(frozen=True)
class Built:
    """A rollup present in a source: built from `table` as of `as_of`, with the range of each
    of its time columns in the raw rows (for bounds beyond the data)."""

    rollup: Rollup
    table: str
    as_of: dt.datetime | None
    bounds: dict[str, tuple[dt.datetime | None, dt.datetime | None]]
    county_map: dict[str, str] = field(default_factory=dict)  # former codes it was built with
    # A table the data platform keeps in this rollup's shape (a materialized view: a SQL
    # source's `aggregate_tables`), queried instead of rollup__<name>. Its as_of is None (it
    # is as current as the rows), so conditions on "now" are left to the raw rows.
    location: str | None = None

    @property
    def name(self) -> str:
        """The rollup's table."""
        return PREFIX + self.rollup.name


def platform_usable() -> list[str]:
    """The rollups a platform's aggregate table may stand for: those without distinct counts
    or a cohort lookback, which a plain GROUP BY table cannot hold exactly."""
    return sorted(n for n, r in ROLLUPS.items() if not r.distinct and not r.lookback)


def platform_problem(tables: Mapping[str, str]) -> str | None:
    """What is wrong with a source's `aggregate_tables` names, in one line (None: nothing)."""
    usable = platform_usable()
    unknown = sorted(set(tables) - set(usable))
    if not unknown:
        return None
    return (
        f"aggregate_tables: {', '.join(unknown)} is no rollup a platform table can stand for; "
        f"one of: {', '.join(usable)}"
    )


def platform_built(bound: BoundDataset, tables: Mapping[str, str]) -> list[Built]:
    """The platform's aggregate tables of a source (rollup name -> table) as rollups of this
    dataset that the exact matcher may answer from (names are checked at start-up)."""
    return [
        Built(ROLLUPS[name], bound.table, None, {}, location=table)
        for name, table in tables.items()
        if name in ROLLUPS and ROLLUPS[name].dataset == bound.name
    ]


def for_dataset(dataset: str) -> list[Rollup]:
    """The rollups declared for a dataset, smallest first."""
    return [r for r in ROLLUPS.values() if r.dataset == dataset]


def personal_for(dataset: str) -> list[Rollup]:
    """The personal rollups of a dataset (built and checked with the others)."""
    return [r for r in PERSONAL.values() if r.dataset == dataset]


def definition_hash(rollup: Rollup) -> str:
    """Changes whenever the declaration changes (then the table is rebuilt); a personal
    rollup's also when its builder changes (its version below)."""
    text = repr(rollup) + _BUILDER_VERSION.get(rollup.name, "")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- building (DuckDB: the demo file and the local store) --------------------------------------
def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any, as_of: dt.datetime | None) -> str:
    """One of our own declared constants as SQL (never user input)."""
    if value is NOW:
        value = as_of
    if value is None:
        return "NULL"
    if isinstance(value, Col):
        return _q(value.name)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return f"TIMESTAMP '{pd.Timestamp(value).isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _sql_condition(f: Filter, as_of: dt.datetime | None) -> str:
    col = _q(f.column)
    ops = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    if f.op in ops:
        return f"{col} {ops[f.op]} {_literal(f.value, as_of)}"
    if f.op in ("in", "not_in"):
        values = ", ".join(_literal(v, as_of) for v in f.value)
        return f"{col} {'IN' if f.op == 'in' else 'NOT IN'} ({values})"
    if f.op == "between":
        low, high = f.value
        return f"{col} BETWEEN {_literal(low, as_of)} AND {_literal(high, as_of)}"
    if f.op == "is_null":
        return f"{col} IS NULL"
    if f.op == "not_null":
        return f"{col} IS NOT NULL"
    raise ValueError(f"rollup condition {f.op} not supported")


def _distinct_sql(
    rollup: Rollup, table: str, county: str | None, county_map: dict[str, str]
) -> str:
    """Rows with a value of the distinct column, each with the day of the previous row of the
    same value and groups (city-wide, and in the same county), by day and county.

    A value is counted once in a window [s, e): at its first row there, the one whose previous
    row is before s. So "distinct values in the window" = rows in it with prev < s, which adds
    up over days. No previous row is the far past (a first row is before any s)."""
    # Declared with `distinct`, on a dataset with a time and a county column (contracts.py).
    assert rollup.distinct is not None and rollup.time is not None and county is not None
    column, groups = rollup.distinct
    t = _q(rollup.time)
    mapped = _q(county)
    if county_map:
        cases = " ".join(
            f"WHEN {_literal(k, None)} THEN {_literal(v, None)}" for k, v in county_map.items()
        )
        mapped = f"CASE {_q(county)} {cases} ELSE {_q(county)} END"
    keys = [_q(column), *(_q(g) for g in groups)]
    key = _q(CONTRACTS[rollup.dataset].key[0])
    order = f"ORDER BY {t}, {key}"
    far = "TIMESTAMP '1900-01-01 00:00:00'"
    inner = (
        f"SELECT {t}, {', '.join(_q(d) for d in rollup.dims)}, "
        f"lag({t}) OVER (PARTITION BY {', '.join(keys)} {order}) AS prev_city, "
        f"lag({t}) OVER (PARTITION BY {', '.join(keys)}, {mapped} {order}) AS prev_county "
        f"FROM {_q(table)} WHERE {_q(column)} IS NOT NULL"
    )
    return (
        f"SELECT date_trunc('day', {t}) AS {t}, {', '.join(_q(d) for d in rollup.dims)}, "
        f"coalesce(date_trunc('day', prev_city), {far}) AS prev_city, "
        f"coalesce(date_trunc('day', prev_county), {far}) AS prev_county, "
        f"CAST(count(*) AS BIGINT) AS n FROM ({inner}) GROUP BY ALL ORDER BY 1"
    )


def build_sql(rollup: Rollup, table: str, as_of: dt.datetime | None) -> str:
    """The SELECT that computes a rollup from the raw table (DuckDB)."""
    select: list[str] = []
    if rollup.time:
        select.append(f"date_trunc('{rollup.grain}', {_q(rollup.time)}) AS {_q(rollup.time)}")
    select += [f"date_trunc('day', {_q(d)}) AS {_q(d)}" for d in rollup.days]
    if rollup.lookback:
        # Within the lookback of its cohort day, a ticket's receipt day is replaced by the
        # cohort day minus the lookback: every filter _lookback_ok lets through is then true
        # for both values, and the table does not grow by one row per receipt day.
        column, days = rollup.lookback
        assert rollup.time is not None  # a lookback is relative to the cohort's time column
        t, r = _q(rollup.time), _q(column)
        select.append(
            f"CASE WHEN {t} IS NOT NULL AND {r} IS NOT NULL AND "
            f"date_diff('day', CAST({r} AS DATE), CAST({t} AS DATE)) BETWEEN 0 AND {int(days)} "
            f"THEN date_trunc('day', {t}) - INTERVAL {int(days)} DAY "
            f"ELSE date_trunc('day', {r}) END AS {r}"
        )
    select += [_q(d) for d in rollup.dims]
    for m in rollup.measures:
        where = " AND ".join(_sql_condition(f, as_of) for f in m.where)
        if m.agg == "count" and m.column is None:
            expr = f"sum(CASE WHEN {where} THEN 1 ELSE 0 END)" if where else "count(*)"
            select.append(f"CAST({expr} AS BIGINT) AS {_q(m.name)}")
        elif m.agg in ("max", "min") and m.column is not None:
            value = _q(m.column)
            if where:
                value = f"CASE WHEN {where} THEN {value} END"
            select.append(f"{m.agg}({value}) AS {_q(m.name)}")
        else:
            raise ValueError(f"rollup measure {m.name}: only counts, max and min add up")
    order = " ORDER BY 1" if rollup.time else ""
    return f"SELECT {', '.join(select)} FROM {_q(table)} GROUP BY ALL{order}"


def data_signature(con: Any, dataset: str, table: str) -> str:
    """A fingerprint of the rows: count, latest freshness and a hash of every key and its
    freshness (a changed or replaced row changes it)."""
    contract = CONTRACTS[dataset]
    fresh = contract.freshness_column
    keys = ", ".join(_q(k) for k in (*contract.key, *([fresh] if fresh else ()))) or "1"
    row = con.execute(
        f"SELECT count(*), {f'max({_q(fresh)})' if fresh else 'NULL'}, "
        f"sum(hash({keys})) FROM {_q(table)}"
    ).fetchone()
    return json.dumps([str(v) for v in row])


def _time_columns(rollup: Rollup) -> list[str]:
    cols = [c for c in (rollup.time, *rollup.days) if c]
    if rollup.lookback:
        cols.append(rollup.lookback[0])
    return list(dict.fromkeys(cols))


def build(
    con: Any, dataset: str, table: str, county_map: dict[str, str] | None = None
) -> list[str]:
    """(Re)build every rollup of a dataset from `table` on a DuckDB connection; returns names.

    `county_map` is the city's former division codes (old -> current): distinct counts within
    a county count an old code's rows with its current county, as queries do.

    Runs in the caller's transaction when there is one (sync applies a batch and rebuilds its
    rollups in one), so readers see rows and rollups of the same data."""
    rollups = for_dataset(dataset) + personal_for(dataset)
    if not rollups:
        return []
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {META} (name VARCHAR PRIMARY KEY, source_table VARCHAR, "
        "definition VARCHAR, data VARCHAR, as_of TIMESTAMP, bounds VARCHAR, built_at TIMESTAMP)"
    )
    county_map = dict(sorted((county_map or {}).items()))
    signature = json.dumps([data_signature(con, dataset, table), county_map], ensure_ascii=False)
    fresh = CONTRACTS[dataset].freshness_column
    as_of = (
        con.execute(f"SELECT max({_q(fresh)}) FROM {_q(table)}").fetchone()[0] if fresh else None
    )
    columns = sorted({c for r in rollups for c in _time_columns(r)})
    row = con.execute(
        "SELECT " + ", ".join(f"min({_q(c)}), max({_q(c)})" for c in columns) + f" FROM {_q(table)}"
    ).fetchone()
    bounds = {c: [_iso(row[2 * i]), _iso(row[2 * i + 1])] for i, c in enumerate(columns)}
    county = CONTRACTS[dataset].county_column
    for rollup in rollups:
        name = PREFIX + rollup.name
        if rollup is CALLERS:
            _build_callers(con, table, name)
        elif rollup is WORDS:
            _build_words(con, table, name)
        else:
            sql = (
                _distinct_sql(rollup, table, county, county_map)
                if rollup.distinct
                else build_sql(rollup, table, as_of)
            )
            con.execute(f"CREATE OR REPLACE TABLE {_q(name)} AS {sql}")
        con.execute(
            f"INSERT OR REPLACE INTO {META} VALUES (?, ?, ?, ?, ?, ?, now())",
            [
                rollup.name,
                table,
                definition_hash(rollup),
                signature,
                as_of,
                json.dumps(
                    {c: bounds[c] for c in _time_columns(rollup)} | {_MAP: county_map},
                    ensure_ascii=False,
                ),
            ],
        )
    return [PREFIX + r.name for r in rollups]


def caller_key_of(con: Any) -> bytes:
    """The key of the callers' hashes: kept in a file beside the DuckDB file (owner-only), not
    in it, so the file alone does not let anyone test phone numbers against the hashes (an
    unkeyed hash of an 11-digit number is reversed at once). Made on first build and kept, so
    a caller's hash (and the short code that tells look-alike callers apart) stays the same
    across rebuilds. An in-memory database gets a key of its own for its lifetime."""
    path = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()[0]
    if not path:
        return _MEMORY_KEY
    file = Path(path).resolve().parent / CALLER_KEY_FILE
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(file.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return bytes.fromhex(file.read_text().strip())


_MEMORY_KEY = secrets.token_bytes(32)


def _build_callers(con: Any, table: str, name: str) -> None:
    """The repeat-callers rollup: per day, county, category and caller, the tickets and the
    latest ticket id, with the caller as a keyed hash and the masked number and name.

    Numbers and names are hashed and masked in Python with the very functions the screen uses
    (cockpit/domains/hotline/masking.py), once per distinct value. The masked name of a group is the
    mask of its largest name: the mask keeps the first character, so the largest mask over
    days is the mask of the largest name over the window, as the raw max(citizen_name) gives."""
    from cockpit.domains.hotline.masking import (  # the 12345 domain's masks, not a copy
        mask_name,
        mask_phone,
    )

    key = caller_key_of(con)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __caller_groups AS SELECT "
        "date_trunc('day', received_at) AS received_at, county_code, category_l2, citizen_phone, "
        "CAST(count(*) AS BIGINT) AS tickets, max(ticket_id) AS last_ticket, "
        f"max(citizen_name) AS citizen_name FROM {_q(table)} "
        "WHERE citizen_phone IS NOT NULL GROUP BY ALL"
    )
    # Most callers call once: only (month, category, caller) with two tickets or more in the
    # whole city are kept. Within a month, a group of any window and counties with two
    # tickets has them in the city's month too, so every repeat group is whole; the single
    # tickets the raw query would also return are dropped by the panel (repeat_groups).
    # Hence the rollup answers windows within one calendar month (personal_query).
    con.execute(
        "DELETE FROM __caller_groups g WHERE NOT EXISTS (SELECT 1 FROM (SELECT "
        "date_trunc('month', received_at) AS month, category_l2, citizen_phone "
        "FROM __caller_groups GROUP BY ALL HAVING sum(tickets) >= 2) r "
        "WHERE r.month = date_trunc('month', g.received_at) "
        "AND r.category_l2 IS NOT DISTINCT FROM g.category_l2 "
        "AND r.citizen_phone = g.citizen_phone)"
    )
    phones = con.execute("SELECT DISTINCT citizen_phone FROM __caller_groups").df()
    phones["caller_key"] = [
        hmac.new(key, str(p).encode(), hashlib.sha256).hexdigest()[:32]
        for p in phones["citizen_phone"]
    ]
    phones["phone_masked"] = [mask_phone(p) for p in phones["citizen_phone"]]
    names = con.execute(
        "SELECT DISTINCT citizen_name FROM __caller_groups WHERE citizen_name IS NOT NULL"
    ).df()
    names["name_masked"] = [mask_name(n) for n in names["citizen_name"]]
    con.register("__caller_phones", phones)
    con.register("__caller_names", names)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {_q(name)} AS SELECT g.received_at, g.county_code, "
            "g.category_l2, p.caller_key, p.phone_masked, n.name_masked, g.tickets, "
            "g.last_ticket FROM __caller_groups g JOIN __caller_phones p USING (citizen_phone) "
            "LEFT JOIN __caller_names n USING (citizen_name) ORDER BY 1"
        )
    finally:
        con.unregister("__caller_phones")
        con.unregister("__caller_names")
        con.execute("DROP TABLE IF EXISTS __caller_groups")


def _build_words(con: Any, table: str, name: str) -> None:
    """The word-count rollup: tickets per day, county, category and word of their text.

    Each distinct text is segmented once, with the keyword panel's own `words` (rjieba, the
    shipped stop words, no digits), into (text, word) pairs; the engine then counts tickets
    per group and word. A word counts a ticket once, as the panel's document frequency does."""
    from cockpit.domains.hotline.keywords import words  # the panel's segmentation, not a copy

    con.execute("CREATE OR REPLACE TEMP TABLE __text_words (content VARCHAR, word VARCHAR)")
    # Numbered, so that Python holds one batch of texts at a time (a cursor of its own would
    # not see a sync's rows, written in this transaction).
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __texts AS SELECT content, row_number() OVER () AS i "
        f"FROM (SELECT DISTINCT content FROM {_q(table)} WHERE content IS NOT NULL)"
    )
    total = con.execute("SELECT count(*) FROM __texts").fetchone()[0]
    try:
        for at in range(0, total, _WORD_BATCH):
            texts = con.execute(
                "SELECT content FROM __texts WHERE i > ? AND i <= ?", [at, at + _WORD_BATCH]
            ).fetchall()
            pairs = [(t, w) for (t,) in texts for w in words(t)]
            frame = pd.DataFrame(pairs, columns=["content", "word"], dtype="object")
            con.register("__text_words_batch", frame)
            con.execute("INSERT INTO __text_words SELECT content, word FROM __text_words_batch")
            con.unregister("__text_words_batch")
        con.execute(
            f"CREATE OR REPLACE TABLE {_q(name)} AS SELECT "
            "date_trunc('day', t.received_at) AS received_at, t.county_code, t.category_l2, "
            f"w.word, CAST(count(*) AS BIGINT) AS tickets FROM {_q(table)} t "
            "JOIN __text_words w USING (content) GROUP BY ALL ORDER BY 1"
        )
    finally:
        con.execute("DROP TABLE IF EXISTS __text_words")
        con.execute("DROP TABLE IF EXISTS __texts")


def is_current(
    con: Any, dataset: str, table: str, county_map: dict[str, str] | None = None
) -> bool:
    """Are the dataset's rollups built from these very rows, by today's declarations?"""
    rollups = for_dataset(dataset) + personal_for(dataset)
    try:
        rows = con.execute(f"SELECT name, source_table, definition, data FROM {META}").fetchall()
    except Exception:
        return not rollups
    meta = {r[0]: r[1:] for r in rows}
    county_map = dict(sorted((county_map or {}).items()))
    signature = json.dumps([data_signature(con, dataset, table), county_map], ensure_ascii=False)
    return all(meta.get(r.name) == (table, definition_hash(r), signature) for r in rollups)


def ensure(con: Any, dataset: str, table: str, county_map: dict[str, str] | None = None) -> bool:
    """Build the dataset's rollups unless they are current; True when it built."""
    if is_current(con, dataset, table, county_map):
        return False
    build(con, dataset, table, county_map)
    return True


def read_built(rows: Iterable[tuple], dataset: str) -> list[Built]:
    """The usable rollups of a dataset from the rows of `SELECT name, source_table,
    definition, as_of, bounds FROM _rollups` (a changed declaration is not used until rebuilt)."""
    meta = {r[0]: r for r in rows}
    out = []
    for rollup in for_dataset(dataset) + personal_for(dataset):
        row = meta.get(rollup.name)
        if row is None or row[2] != definition_hash(rollup):
            continue
        as_of = None if row[3] is None else pd.Timestamp(row[3]).to_pydatetime()
        stored = json.loads(row[4])
        county_map = stored.pop(_MAP, {})
        bounds = {c: (_moment(pair[0]), _moment(pair[1])) for c, pair in stored.items()}
        out.append(Built(rollup, row[1], as_of, bounds, county_map))
    return out


READ_META_SQL = f"SELECT name, source_table, definition, as_of, bounds FROM {META}"


def _iso(value: Any) -> str | None:
    return None if value is None else pd.Timestamp(value).isoformat()


def _moment(value: str | None) -> dt.datetime | None:
    """The inverse of _iso, for the bounds stored in _rollups."""
    return None if value is None else dt.datetime.fromisoformat(value)


# -- the exact matcher ------------------------------------------------------------------------
def binding(built: Built, raw: BoundDataset) -> BoundDataset:
    """The rollup table as a dataset the SQL builder can query (county codes mapped alike)."""
    rollup = built.rollup
    cols = [ColumnSpec(c, "datetime", "truncated time") for c in _time_columns(rollup)] + [
        raw.spec(d) for d in rollup.dims
    ]
    if rollup.distinct:
        cols += [
            ColumnSpec(c, "datetime", "previous row's day") for c in ("prev_city", "prev_county")
        ]
        cols.append(ColumnSpec("n", "int", "rows"))
    if rollup is CALLERS:
        cols += [ColumnSpec(c, "string", "keyed hash or masked form") for c in CALLER_COLUMNS]
    if rollup is WORDS:
        cols.append(ColumnSpec("word", "string", "a word of the tickets' text"))
    for m in rollup.measures:
        if m.agg == "count":
            cols.append(ColumnSpec(m.name, "int", "count"))
        else:
            assert m.column is not None  # max and min are of a column (build_sql)
            cols.append(replace(raw.spec(m.column), name=m.name))
    schema, _, _ = raw.table.rpartition(".")
    county = raw.county_column if raw.county_column in rollup.dims else None
    if built.location is not None:
        table = built.location
    else:
        table = f"{schema}.{built.name}" if schema else built.name
    return BoundDataset(
        raw.name,
        table,
        tuple(cols),
        {},
        county,
        raw.county_code_map if county else {},
    )


def _aligned(value: Any, grain: str) -> bool:
    if not isinstance(value, (dt.datetime, pd.Timestamp)):
        return isinstance(value, dt.date)  # a date is midnight
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        return False
    if grain == "hour":
        return stamp.minute == 0 and stamp.second == 0 and stamp.microsecond == 0
    return stamp == stamp.normalize()


def _stamp(value: Any) -> pd.Timestamp | None:
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)) and not isinstance(value, bool):
        stamp = pd.Timestamp(value)
        return None if stamp.tzinfo is not None else stamp
    return None


def _translate(f: Filter, built: Built) -> tuple[str, Filter]:
    """Where a condition goes on this rollup: keep (as a filter on the rollup), lookback
    (a kept filter to check against the cohort window), residual (must match a count
    column's conditions) or fail."""
    rollup = built.rollup
    grains = {c: "day" for c in rollup.days}
    if rollup.time:
        grains[rollup.time] = rollup.grain
    look = rollup.lookback[0] if rollup.lookback else None
    if isinstance(f.value, Col):
        return "residual", f
    if f.column in grains or f.column == look:
        if f.op in ("is_null", "not_null"):
            return "keep", f  # a truncated (or lookback) value is null exactly when the raw one is
        stamp = _stamp(f.value)
        low, high = built.bounds.get(f.column, (None, None))
        if stamp is not None:
            # A bound beyond every value of the column only says "not null".
            if high is not None and (
                (f.op == "lt" and stamp > high) or (f.op == "le" and stamp >= high)
            ):
                return "keep", Filter(f.column, "not_null")
            if low is not None and (
                (f.op == "ge" and stamp <= low) or (f.op == "gt" and stamp < low)
            ):
                return "keep", Filter(f.column, "not_null")
            if f.op in ("ge", "lt") and _aligned(f.value, grains.get(f.column, "day")):
                return ("lookback" if f.column == look else "keep"), f
        return ("fail", f) if f.column == look else ("residual", f)
    if f.column in rollup.dims:
        return "keep", f
    return "residual", f


@dataclass
class _Side:
    keep: list[Filter]
    lookback: list[Filter]
    residual: list[Filter]
    ok: bool = True


def _split(filters: Iterable[Filter], built: Built) -> _Side:
    side = _Side([], [], [])
    for f in filters:
        where, g = _translate(f, built)
        if where == "fail":
            side.ok = False
        else:
            {"keep": side.keep, "lookback": side.lookback, "residual": side.residual}[where].append(
                g
            )
    return side


def _key(filters: Iterable[Filter]) -> frozenset:
    return frozenset(_filter_key(f) for f in filters)


def _filter_key(f: Filter) -> str:
    """A filter as comparable text (remembered: the matcher compares the same few filters
    many times over for every query)."""
    try:
        return _filter_key_cached(f)
    except TypeError:  # a value that cannot be hashed (a list): computed each time
        return json.dumps(f.normalized(), default=str, ensure_ascii=False)


@lru_cache(maxsize=4096)
def _filter_key_cached(f: Filter) -> str:
    return json.dumps(f.normalized(), default=str, ensure_ascii=False)


@lru_cache(maxsize=1024)
def _resolved_at(m: Measure, as_of: dt.datetime | None) -> frozenset:
    return _key(Filter(f.column, f.op, as_of) if f.value is NOW else f for f in m.where)


def _resolved(m: Measure, built: Built) -> frozenset:
    """A declared measure's conditions with NOW replaced by the rollup's as-of."""
    return _resolved_at(m, built.as_of)


def _lookback_ok(lookback: list[Filter], cohort: Iterable[Filter], built: Built) -> bool:
    """Is every lookback filter exact on the compressed column, for this cohort window?

    Within `days` of its cohort day T, a row's received_at holds T - days. That value and the
    real one are both >= X when the window starts at S with S - days >= X, and both < Y when
    the window ends by Y (every row then has received day <= T < Y). Outside the lookback the
    real day is kept, so any filter is exact there."""
    if not lookback or built.rollup.lookback is None:  # a rollup without one: not exact
        return not lookback
    time, days = built.rollup.time, built.rollup.lookback[1]
    lows = [_stamp(f.value) for f in cohort if f.column == time and f.op in ("ge", "gt")]
    highs = [(f.op, _stamp(f.value)) for f in cohort if f.column == time and f.op in ("lt", "le")]
    for f in lookback:
        bound = _stamp(f.value)
        if f.op == "ge":
            if not any(
                s is not None and s.normalize() - pd.Timedelta(days=days) >= bound for s in lows
            ):
                return False
        elif f.op == "lt":
            if not any(
                e is not None and (e <= bound if op == "lt" else e < bound) for op, e in highs
            ):
                return False
        else:
            return False
    return True


def _groups_ok(query: DatasetQuery, built: Built) -> bool:
    rollup = built.rollup
    grains = {c: "day" for c in rollup.days}
    if rollup.time:
        grains[rollup.time] = rollup.grain
    if not set(query.group_by) <= set(rollup.dims):
        return False
    return all(b.column in grains and b.unit in _UNITS[grains[b.column]] for b in query.buckets)


def _as_count(m: Measure) -> Measure:
    """count(column) is the count of rows where the column is not null."""
    if m.agg == "count" and m.column is not None:
        return Measure(m.name, "count", None, (*m.where, Filter(m.column, "not_null")))
    return m


def _match(m: Measure, filters: tuple[Filter, ...], shared: _Side, built: Built) -> Measure | None:
    """The measure over the rollup that equals `m` over the raw rows, or None."""
    if m.agg not in _ADDITIVE:
        return None
    own = _split(m.where, built)
    if not own.ok:
        return None
    residual = _key([*shared.residual, *own.residual])
    if not _lookback_ok([*shared.lookback, *own.lookback], [*filters, *m.where], built):
        return None
    for d in built.rollup.measures:
        if d.agg != m.agg or d.column != m.column or _resolved(d, built) != residual:
            continue
        return Measure(m.name, _ADDITIVE[m.agg], d.name, tuple(own.keep + own.lookback))
    return None


def _match_distinct(
    m: Measure, query: DatasetQuery, raw: BoundDataset, built: Built
) -> tuple[list[Filter], Measure] | None:
    """(filters, measure) over a distinct rollup equal to count_distinct `m`, or None.

    Exact only for the groups it was built for, with no filter but a received window (whose
    start falls on a day) and at most one county: the "previous row" is counted in the same
    groups (and county) as the query counts distinct values in."""
    rollup = built.rollup
    if rollup.distinct is None:
        return None
    column, groups = rollup.distinct
    if m.agg != "count_distinct" or m.column != column or tuple(query.group_by) != groups:
        return None
    if query.buckets or built.county_map != dict(sorted(raw.county_code_map.items())):
        return None
    counties: set[str] = set()
    kept: list[Filter] = []
    starts: list[pd.Timestamp] = []
    for f in (*query.filters, *m.where):
        if f.column == raw.county_column and not isinstance(f.value, Col):
            if f.op == "eq":
                counties.add(str(f.value))
            elif f.op == "in" and len(set(f.value)) == 1:
                counties.add(str(next(iter(f.value))))
            else:
                return None
            continue
        where, g = _translate(f, built)
        if where != "keep" or g.column != rollup.time:
            return None
        kept.append(g)
        if g.op == "ge":
            starts.append(pd.Timestamp(g.value))
    if len(counties) > 1 or not starts:
        return None
    if counties:
        assert raw.county_column is not None  # counties come from filters on that column
        kept.append(Filter(raw.county_column, "eq", counties.pop()))
    prev = "prev_county" if any(f.column == raw.county_column for f in kept) else "prev_city"
    first = Filter(prev, "lt", max(starts).to_pydatetime())
    return kept, Measure(m.name, "sum", "n", (first,))


def _within_a_month(query: DatasetQuery, built: Built) -> bool:
    """Does the query's window on the time column lie within one calendar month (its end
    taken as the last row's time when the window runs past the data)?"""
    time = built.rollup.time
    if time is None:
        return False
    starts = [_stamp(f.value) for f in query.filters if f.column == time and f.op == "ge"]
    ends = [_stamp(f.value) for f in query.filters if f.column == time and f.op == "lt"]
    last = built.bounds.get(time, (None, None))[1]
    if not starts or None in starts or None in ends:
        return False
    lasts = [e - pd.Timedelta(microseconds=1) for e in ends if e is not None]
    if last is not None:
        lasts.append(pd.Timestamp(last))
    if not lasts:
        return False
    first, final = max(s for s in starts if s is not None), min(lasts)
    return final < first or (first.year, first.month) == (final.year, final.month)


def personal_query(query: DatasetQuery, built: Built) -> DatasetQuery | None:
    """The query on a personal rollup's own columns, with its filters checked: a window on the
    time column whose bounds fall on the grain (or beyond the data), and dimension filters
    (county scope, category); None when it would not be exact (then the raw rows answer)."""
    rollup = built.rollup
    if rollup is CALLERS and not _within_a_month(query, built):
        return None
    kept = []
    for f in query.filters:
        where, g = _translate(f, built)
        if where != "keep" or g.column not in (rollup.time, *rollup.dims):
            return None
        kept.append(g)
    if query.columns or query.buckets:
        return None
    return replace(query, filters=tuple(kept))


@dataclass
class Plan:
    """How a query is answered: queries on rollups, and what is left for the raw rows."""

    parts: list[tuple[Built, DatasetQuery]]
    raw: DatasetQuery | None
    keys: list[str]
    presence: bool  # the groups come from the "__rows" column of the first part


def rewrite(query: DatasetQuery, raw: BoundDataset, built: list[Built]) -> Plan | None:
    """A plan that answers the aggregate query exactly from rollups, or None (ask raw rows)."""
    if not built or not query.measures or query.columns:
        return None
    if query.order_by or query.limit is not None or query.offset:
        return None  # ties and NULL ordering differ between engines: leave them to the raw query
    mine = [
        b
        for b in built
        if b.table == raw.table and not raw.column_map and b.rollup.name not in PERSONAL
    ]
    distinct_parts: list[tuple[Built, DatasetQuery]] = []
    rest: list[Measure] = []
    for m in query.measures:
        found = next(
            (
                (b, hit)
                for b in mine
                if b.rollup.distinct and (hit := _match_distinct(m, query, raw, b)) is not None
            ),
            None,
        )
        if found is None:
            rest.append(m)
            continue
        b, (filters, measure) = found
        distinct_parts.append(
            (b, DatasetQuery(filters=tuple(filters), group_by=query.group_by, measures=(measure,)))
        )
    usable = [b for b in mine if not b.rollup.distinct and _groups_ok(query, b)]
    sides = {b.rollup.name: _split(query.filters, b) for b in usable}
    usable = [b for b in usable if sides[b.rollup.name].ok]
    # Each measure can often be answered by several rollups: take the rollups that answer
    # most of the query first, so it costs as few queries as possible.
    options: dict[str, dict[str, Measure]] = {}
    left: list[Measure] = []
    for m in rest:
        parts_of = {
            b.rollup.name: part
            for b in usable
            if (part := _match(_as_count(m), query.filters, sides[b.rollup.name], b)) is not None
        }
        if parts_of:
            options[m.name] = parts_of
        else:
            left.append(m)
    assigned: dict[str, list[Measure]] = {}
    todo = [m.name for m in rest if m.name in options]
    while todo:
        best = max(usable, key=lambda b: sum(b.rollup.name in options[n] for n in todo))
        assigned[best.rollup.name] = [
            options[n][best.rollup.name] for n in todo if best.rollup.name in options[n]
        ]
        todo = [n for n in todo if best.rollup.name not in options[n]]
    if not assigned and not distinct_parts:
        return None
    keys = [*query.group_by, *(b.name for b in query.buckets)]
    presence = bool(keys)
    order = [b for b in usable if b.rollup.name in assigned]
    if presence:
        # The raw answer has a row for every group with a row passing the query's filters:
        # count those rows on a rollup that holds every filter exactly.
        home = rows = None
        for b in sorted(usable, key=lambda b: b.rollup.name not in assigned):
            side = sides[b.rollup.name]
            rows = None if side.lookback else _match(Measure("__rows", "count"), (), side, b)
            if rows is not None:
                home = b
                break
        if home is None or rows is None:
            return None
        assigned.setdefault(home.rollup.name, []).insert(0, rows)
        order = [home, *(b for b in order if b is not home)]
    parts = []
    for b in order:
        side = sides[b.rollup.name]
        measures = assigned[b.rollup.name]
        shared: list[Filter] = []
        if not (presence and b is order[0]):
            # Conditions every measure of this part has (its cohort window) go to the WHERE,
            # so the engine skips rows: a group this drops would only have had zeros (counts)
            # or nothing (max), which the merge below gives it.
            shared = _common(measures)
            measures = [_without(m, shared) for m in measures]
        parts.append(
            (
                b,
                DatasetQuery(
                    filters=(*side.keep, *side.lookback, *shared),
                    group_by=query.group_by,
                    buckets=query.buckets,
                    measures=tuple(measures),
                ),
            )
        )
    raw_query = _raw_rest(query, left) if left else None
    return Plan([*parts, *distinct_parts], raw_query, keys, presence)


def _common(measures: list[Measure]) -> list[Filter]:
    """The conditions every one of the measures has."""
    common = set.intersection(*(set(_key(m.where)) for m in measures))
    return [f for f in measures[0].where if _key([f]) <= common]


def _without(m: Measure, drop: list[Filter]) -> Measure:
    gone = _key(drop)
    return Measure(m.name, m.agg, m.column, tuple(f for f in m.where if not _key([f]) <= gone))


def _raw_rest(query: DatasetQuery, left: list[Measure]) -> DatasetQuery:
    """The measures no rollup answers, for the raw rows; conditions they all share go to the
    WHERE (so the engine skips rows), which only drops groups whose counts would be 0."""
    hoist: list[Filter] = []
    if all(m.agg in ("count", "count_distinct") for m in left):
        hoist = _common(left)
        left = [_without(m, hoist) for m in left]
    return DatasetQuery(
        filters=(*query.filters, *hoist),
        group_by=query.group_by,
        buckets=query.buckets,
        measures=tuple(left),
    )


def _from_meta(query: DatasetQuery, raw: BoundDataset, built: list[Built]) -> pd.DataFrame | None:
    """The dataset's 数据截至 over all its rows is the as-of its rollups were built at: asked on
    every screen, it needs no query at all."""
    fresh = CONTRACTS[raw.name].freshness_column if raw.name in CONTRACTS else None
    if fresh is None or query.filters or query.group_by or query.buckets or query.columns:
        return None
    if not query.measures or any(
        (m.agg, m.column, m.where) != ("max", fresh, ()) for m in query.measures
    ):
        return None
    # (a platform's aggregate has no as-of: it is as current as the rows, which are asked)
    mine = [b for b in built if b.table == raw.table and not raw.column_map and b.as_of is not None]
    if not mine or query.order_by or query.limit is not None or query.offset:
        return None
    stamp = pd.to_datetime(pd.Series([mine[0].as_of], dtype="object"))
    return pd.DataFrame({m.name: stamp for m in query.measures})


def answer(
    query: DatasetQuery,
    raw: BoundDataset,
    built: list[Built],
    fetch: Callable[[BoundDataset, DatasetQuery], pd.DataFrame],
    fetch_joined: Callable[[list[tuple[BoundDataset, DatasetQuery]], list[str]], pd.DataFrame]
    | None = None,
) -> pd.DataFrame | None:
    """The exact answer from rollups (and raw rows for the rest), or None to ask raw rows.

    A source that can answer several queries in one statement (`fetch_joined`, SQL sources)
    gets the plan's parts at once, joined on the groups; otherwise each part is fetched and
    the answers merged here, which gives the same frame."""
    early = _from_meta(query, raw, built)
    if early is not None:
        return early
    plan = rewrite(query, raw, built)
    if plan is None:
        return None
    asks = [(binding(b, raw), q) for b, q in plan.parts]
    if plan.raw is not None:
        asks.append((raw, plan.raw))
    if fetch_joined is not None and len(asks) > 1:
        out = fetch_joined(asks, plan.keys)
    elif plan.keys:
        # One after the other: run side by side they were no faster on two cores (the
        # engine already uses both).
        frames = [fetch(*ask) for ask in asks]
        out = frames[0]
        for frame in frames[1:]:
            out = out.merge(frame, on=plan.keys, how="left")
    else:
        out = pd.concat([fetch(*ask).reset_index(drop=True) for ask in asks], axis=1)
    if plan.presence:
        out = out[out["__rows"].fillna(0) > 0].drop(columns="__rows")
    out = out[[*plan.keys, *(m.name for m in query.measures)]].reset_index(drop=True)
    # A group a part had no row for counts 0; counts are whole numbers. Only the columns
    # not already int64 (NULLs from the join, sums as floats) are converted, in one block.
    dtypes = out.dtypes
    counts = [
        m.name
        for m in query.measures
        if m.agg in ("count", "count_distinct") and dtypes[m.name] != "int64"
    ]
    if counts:
        out[counts] = out[counts].apply(pd.to_numeric, errors="coerce").fillna(0).astype("int64")
    return out
