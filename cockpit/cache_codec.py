"""Cache entries as signed, versioned JSON: nothing read back from a cache is ever unpickled.

Whoever can write to Redis or to the cache folder must not be able to run code on the app
hosts (a pickle runs code as it loads) nor make the cockpit show figures it did not compute.
So an entry is

    MAGIC  HMAC-SHA256 (hex)  \\n  JSON {"exp": <unix time>, "v": <value>}

where the HMAC, keyed from the app's secret key, covers the format version, the entry's cache
key and the JSON: an entry copied under another key (a city-wide answer under a county's
key), replayed after its expiry, written by another format version or by anyone without the
secret key is refused (Rejected), and the cache treats it as a miss.

Values are data only: JSON types, plus tagged dates, times, decimals, tuples, pandas frames,
and the data classes registered with @cacheable (built from their fields, never by a name
the entry chooses). Anything else cannot be stored (TypeError): it is not cached.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import hmac
import math
import time
from typing import Any, TypeVar

import numpy as np
import orjson
import pandas as pd
from pandas.api.types import pandas_dtype

MAGIC = b"cockpit-cache/1\n"  # the format version: bump it when the layout below changes
_MAC_LENGTH = 64  # hex digits of an HMAC-SHA256
_CLASSES: dict[str, type] = {}
T = TypeVar("T", bound=type)


class Rejected(Exception):
    """A cache entry that is not ours, not intact, not this version or no longer valid."""


def cacheable(cls: T) -> T:
    """Class decorator: a data class whose instances may be cached (rebuilt from their fields)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    _CLASSES[_class_name(cls)] = cls
    return cls


def cache_key_from_secret(secret: str) -> bytes:
    """The HMAC key of cache entries, derived from the app's secret key (its own purpose)."""
    return hmac.new(secret.encode(), b"cockpit-cache-entries", hashlib.sha256).digest()


# -- sealing ------------------------------------------------------------------------------------
def seal(
    mac_key: bytes, name: str, value: Any, timeout: float | None, now: float | None = None
) -> bytes:
    """The entry for `value` under cache key `name`, valid for `timeout` seconds (None/0: always).

    Raises TypeError for a value the format cannot hold."""
    now = time.time() if now is None else now
    expires = now + timeout if timeout else None
    payload = orjson.dumps({"exp": expires, "v": encode(value)})
    return MAGIC + _mac(mac_key, name, payload) + b"\n" + payload


def open_sealed(mac_key: bytes, name: str, entry: Any, now: float | None = None) -> Any:
    """The value of an entry read back under cache key `name`; Rejected when it is not valid."""
    if not isinstance(entry, bytes):
        raise Rejected(f"not a sealed entry ({type(entry).__name__})")
    if not entry.startswith(MAGIC):
        version = entry.split(b"\n", 1)[0][:40] if entry.startswith(b"cockpit-cache/") else None
        raise Rejected(f"another format version ({version!r})" if version else "not our format")
    mac = entry[len(MAGIC) : len(MAGIC) + _MAC_LENGTH]
    payload = entry[len(MAGIC) + _MAC_LENGTH + 1 :]
    if not hmac.compare_digest(mac, _mac(mac_key, name, payload)):
        raise Rejected("HMAC does not match (tampered, moved or another secret key)")
    document = orjson.loads(payload)
    expires = document.get("exp")
    if expires is not None and (time.time() if now is None else now) > expires:
        raise Rejected("expired")
    return decode(document["v"])


def _mac(mac_key: bytes, name: str, payload: bytes) -> bytes:
    message = MAGIC + name.encode("utf-8") + b"\n" + payload
    return hmac.new(mac_key, message, hashlib.sha256).hexdigest().encode("ascii")


# -- values ---------------------------------------------------------------------------------------
def encode(value: Any) -> Any:
    """`value` as JSON-able data with tags ({"$": kind, ...}) for what JSON lacks."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$": "tuple", "v": [encode(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and "$" not in value:
            return {k: encode(v) for k, v in value.items()}
        return {"$": "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    if value is pd.NaT:
        return {"$": "nat"}
    if value is pd.NA:
        return {"$": "na"}
    if isinstance(value, pd.Timestamp):
        return {"$": "timestamp", "v": value.isoformat(), "unit": value.unit}
    if isinstance(value, dt.datetime):
        return {"$": "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$": "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$": "time", "v": value.isoformat()}
    if isinstance(value, pd.Timedelta):
        return {"$": "pd-timedelta", "v": value.value, "unit": value.unit}
    if isinstance(value, dt.timedelta):
        return {"$": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, np.datetime64):
        return encode(pd.Timestamp(value))
    if isinstance(value, decimal.Decimal):
        return {"$": "decimal", "v": str(value)}
    if isinstance(value, pd.DataFrame):
        return _encode_frame(value)
    if dataclasses.is_dataclass(value) and _class_name(type(value)) in _CLASSES:
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$": "dc", "n": _class_name(type(value)), "f": fields}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode(data: Any) -> Any:
    """The value `encode` made `data` from; Rejected for a tag or class it does not know."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data.get("$")
    if tag is None:
        return {k: decode(v) for k, v in data.items()}
    try:
        return _DECODERS[tag](data)
    except KeyError as exc:
        if tag not in _DECODERS:
            raise Rejected(f"unknown tag {tag!r}") from None
        raise Rejected(f"malformed {tag}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise Rejected(f"malformed {tag}: {exc}") from None


def _decode_class(data: dict) -> Any:
    cls = _CLASSES.get(data["n"])
    if cls is None:
        raise Rejected(f"not a cacheable class: {data['n']!r}")
    return cls(**{k: decode(v) for k, v in data["f"].items()})


_DECODERS = {
    "float": lambda d: float(d["v"]),
    "tuple": lambda d: tuple(decode(v) for v in d["v"]),
    "dict": lambda d: {decode(k): decode(v) for k, v in d["v"]},
    "nat": lambda d: pd.NaT,
    "na": lambda d: pd.NA,
    "timestamp": lambda d: pd.Timestamp(d["v"]).as_unit(d["unit"]),
    "datetime": lambda d: dt.datetime.fromisoformat(d["v"]),
    "date": lambda d: dt.date.fromisoformat(d["v"]),
    "time": lambda d: dt.time.fromisoformat(d["v"]),
    "pd-timedelta": lambda d: pd.Timedelta(d["v"], unit="ns").as_unit(d["unit"]),
    "timedelta": lambda d: dt.timedelta(*d["v"]),
    "decimal": lambda d: decimal.Decimal(d["v"]),
    "frame": lambda d: _decode_frame(d),
    "dc": _decode_class,
}


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# -- frames ---------------------------------------------------------------------------------------
def _encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as its columns' names, dtypes and values (the index too, unless 0..n-1)."""
    if isinstance(frame.columns, pd.MultiIndex) or isinstance(frame.index, pd.MultiIndex):
        raise TypeError("cannot cache a frame with a MultiIndex")
    plain_index = isinstance(frame.index, pd.RangeIndex) and frame.index.equals(
        pd.RangeIndex(len(frame))
    )
    return {
        "$": "frame",
        "columns": _encode_column(frame.columns.to_series()),
        "data": [_encode_column(frame.iloc[:, i]) for i in range(frame.shape[1])],
        "index": None if plain_index else _encode_column(frame.index.to_series()),
        "index_name": encode(frame.index.name),
        "rows": len(frame),
    }


def _encode_column(series: pd.Series) -> dict[str, Any]:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return {
            "kind": "category",
            "categories": _encode_column(pd.Series(dtype.categories)),
            "ordered": bool(dtype.ordered),
            "codes": series.cat.codes.tolist(),
        }
    if dtype.kind == "M":  # datetimes: integers in their own unit (UTC if zoned), NaT as null
        missing = series.isna().to_numpy()
        zoned = getattr(dtype, "tz", None) is not None
        ints = series.dt.tz_convert("UTC").dt.tz_localize(None) if zoned else series
        values = ints.to_numpy().view("int64").tolist()
        return {
            "kind": "datetime",
            "dtype": str(dtype),
            "v": [None if m else v for v, m in zip(values, missing, strict=True)],
        }
    if dtype.kind in "iub" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return {"kind": "numpy", "dtype": str(dtype), "v": series.to_numpy().tolist()}
    if dtype.kind == "f" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        values = series.to_numpy()
        if np.isinf(values).any():  # JSON has no infinities: keep each value's own tag
            return {"kind": "objects", "dtype": str(dtype), "v": [encode(v) for v in values]}
        return {
            "kind": "numpy",
            "dtype": str(dtype),
            "v": [None if v != v else v for v in values.tolist()],
        }
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # str, Int64, boolean...: NA as null
        missing = series.isna().to_numpy()
        values = series.astype(object).tolist()
        return {
            "kind": "extension",
            "dtype": str(dtype),
            "v": [None if m else encode(v) for v, m in zip(values, missing, strict=True)],
        }
    return {"kind": "objects", "dtype": str(dtype), "v": [encode(v) for v in series.tolist()]}


def _decode_column(data: dict[str, Any]) -> pd.api.extensions.ExtensionArray | np.ndarray:
    kind = data["kind"]
    if kind == "category":
        categories = pd.Index(_decode_column(data["categories"]))
        return pd.Categorical.from_codes(data["codes"], categories, ordered=data["ordered"])
    dtype = pandas_dtype(data["dtype"])
    if kind == "datetime":
        ints = np.array(
            [np.iinfo("int64").min if v is None else v for v in data["v"]], dtype="int64"
        )
        tz = getattr(dtype, "tz", None)
        unit = dtype.unit if tz else np.datetime_data(dtype)[0]
        naive = pd.Series(ints.view(f"datetime64[{unit}]"))
        return (naive.dt.tz_localize("UTC").dt.tz_convert(tz) if tz else naive).array
    if kind == "numpy":
        return np.array(data["v"], dtype=dtype)
    if kind == "extension":
        return pd.array([decode(v) for v in data["v"]], dtype=dtype)
    values = np.empty(len(data["v"]), dtype=object)
    values[:] = [decode(v) for v in data["v"]]
    return values if dtype == np.dtype(object) else values.astype(dtype)


def _decode_frame(data: dict[str, Any]) -> pd.DataFrame:
    columns = pd.Index(_decode_column(data["columns"]))
    index = None
    if data["index"] is not None:
        index = pd.Index(_decode_column(data["index"]), name=decode(data["index_name"]))
    arrays = [_decode_column(c) for c in data["data"]]
    frame = pd.DataFrame(
        dict(zip(range(len(arrays)), arrays, strict=True)),
        index=index if index is not None else pd.RangeIndex(data["rows"]),
    )
    frame.columns = columns
    return frame
