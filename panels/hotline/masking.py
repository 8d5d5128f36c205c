"""Masking of citizens' personal information, applied on the server before anything leaves it.

A caller's name and phone number reach the browser only as 张** and 138****1234; phone-like
and ID-card-like digit runs inside free text are masked the same way. Pure functions: the
callbacks apply `mask_frame` to every frame of ticket rows before rendering it.
"""

from __future__ import annotations

import re

import pandas as pd

MASK = "*"
# What reads as a phone or ID-card number inside free text: mobiles (with or without +86 and
# separators), landlines with an area code, 7-8 digit local numbers, 18-character ID numbers.
# Dates (2026-11-19), room numbers and measurements (12 度) do not match.
_NUMBER = re.compile(
    r"(?<![0-9])(?:"
    r"[0-9]{17}[0-9Xx]"
    r"|(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}"
    r"|0[0-9]{2,3}[- ]?[0-9]{7,8}"
    r"|[0-9]{7,8}"
    r")(?![0-9])"
)
PERSONAL_COLUMNS = ("citizen_name", "citizen_phone")


def mask_name(name: object) -> str:
    """张三丰 -> 张**; the length of the given name is not revealed. Empty stays empty."""
    text = _text(name).strip()
    if not text:
        return ""
    return text[0] + MASK * 2


def mask_phone(phone: object) -> str:
    """13812341234 -> 138****1234; shorter numbers keep only their last two digits."""
    text = _text(phone)
    digits = re.sub(r"\D", "", text)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # +86 country code
    if not digits:
        return ""
    if len(digits) >= 11:
        return digits[:3] + MASK * 4 + digits[-4:]
    if len(digits) <= 4:
        return MASK * len(digits)
    return MASK * (len(digits) - 2) + digits[-2:]


def mask_text(text: object) -> str:
    """Free text with every phone-like or ID-like digit run masked."""
    value = _text(text)
    return _NUMBER.sub(_mask_number, value)


def _mask_number(match: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9Xx]", "", match.group(0))
    if len(digits) == 18 and not digits.startswith("86"):  # an ID-card number
        return digits[:3] + MASK * 14 + digits[-1]
    return mask_phone(digits)


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ticket rows with names, phones and digit runs in text masked."""
    out = frame.copy()
    if "citizen_name" in out.columns:
        out["citizen_name"] = [mask_name(v) for v in out["citizen_name"]]
    if "citizen_phone" in out.columns:
        out["citizen_phone"] = [mask_phone(v) for v in out["citizen_phone"]]
    for column in ("content", "address"):
        if column in out.columns:
            out[column] = [mask_text(v) for v in out[column]]
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)
