"""Passwords: Argon2id hashes and the city's password policy.

The policy (config/security.yaml `password`): a minimum length, characters from several
classes, not the username nor a part of it, not a common password (common_passwords.txt, in
the spellings people use to meet the class rules: Password123!, P@ssw0rd, 1qaz@WSX), not one
of the last few passwords, and an age after which the user must choose a new one. Each rule
that fails gives its own message, in Chinese, for the form.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's recommendation
# Verified against for unknown users, so an unknown name costs the same time as a wrong password.
_DUMMY_HASH = _HASHER.hash("cockpit-dummy-password-for-timing")


def hash_password(password: str) -> str:
    """The Argon2id hash of a password (salted; safe to store)."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Does the password match the stored hash? A missing hash takes as long and says no."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Was this hash made with weaker parameters than today's (rehash at next login)?"""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


COMMON_LIST = Path(__file__).with_name("common_passwords.txt")
# l33t spellings back to letters, and shifted digits (the row above them) back to digits.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
_SHIFTED = str.maketrans(dict(zip("!@#$%^&*()", "1234567890", strict=True)))
# Digits and symbols around a word: "Password123!" is "password" with decoration.
_DECORATION = re.compile(r"^[\d\W_]+|[\d\W_]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords (lower case), read once per process."""
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """Is the password a common one, or one dressed up with digits, symbols or l33t?"""
    lower = password.lower()
    core = _DECORATION.sub("", lower)
    forms = {lower, lower.translate(_LEET), lower.translate(_SHIFTED), core, core.translate(_LEET)}
    return not forms.isdisjoint(common_passwords())


def name_parts(username: str) -> set[str]:
    """The username and its parts of three letters or more (zhang.wei → zhang, wei)."""
    name = username.strip().lower()
    parts = {p for p in re.split(r"[^a-z]+", name) if len(p) >= 3}
    return {name, *parts} - {""}


def _classes(password: str) -> int:
    """How many of: lower case, upper case, digits, other characters."""
    return sum(
        (
            any(c in string.ascii_lowercase for c in password),
            any(c in string.ascii_uppercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


def policy_problems(
    password: str,
    username: str,
    *,
    min_length: int,
    min_classes: int,
    recent_hashes: list[str] = (),  # type: ignore[assignment]
) -> list[str]:
    """Every rule the password breaks (empty when it is acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"口令长度至少 {min_length} 位")
    if _classes(password) < min_classes:
        problems.append(f"口令须包含大写字母、小写字母、数字、符号中的至少 {min_classes} 类")
    lower = password.lower()
    if any(part in lower or part[::-1] in lower for part in name_parts(username)):
        problems.append("口令不得包含用户名")
    if is_common(password):
        problems.append("口令过于常见（如 Password123!、P@ssw0rd），请换一个不易猜到的口令")
    if any(verify_password(old, password) for old in recent_hashes):
        problems.append(f"口令不得与最近 {len(recent_hashes)} 次使用过的相同")
    return problems
