"""Passwords: Argon2id hashes and the city's password policy.

The policy (config/security.yaml `password`): a minimum length, characters from several
classes, not the username, not one of the last few passwords, and an age after which the user
must choose a new one. Each rule that fails gives its own message, in Chinese, for the form.
"""

from __future__ import annotations

import string

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
    name = username.strip().lower()
    if name and (name in password.lower() or name[::-1] in password.lower()):
        problems.append("口令不得包含用户名")
    if any(verify_password(old, password) for old in recent_hashes):
        problems.append(f"口令不得与最近 {len(recent_hashes)} 次使用过的相同")
    return problems
