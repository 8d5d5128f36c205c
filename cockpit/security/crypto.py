"""Secrets at rest: authenticated encryption of what the cockpit keeps in its own database.

The one place for it. Build an `AtRest` from the settings with `at_rest(settings)` (the store
made by `Store.from_settings` carries one as `store.at_rest`), then:

    sealed = box.encrypt("JBSWY3DPEHPK3PXP", context="users.totp_secret:alice")
    box.decrypt(sealed, context="users.totp_secret:alice")   # -> "JBSWY3DPEHPK3PXP"

A sealed value is text that says how it was made, so a city can switch algorithms and still
read what it wrote before:

    enc1:<algorithm>:<base64url(nonce || ciphertext || tag)>

`enc1` is the format version; <algorithm> is `aes-256-gcm` (the default) or `sm4-gcm`
(商用密码, GB/T 39786-2021; SM4 in GCM mode as in RFC 8998), chosen by
`security.at_rest.algorithm`. Encryption uses the configured algorithm; decryption the one the
value names. The context (table, column and row owner) is authenticated with the value, so a
value copied into another user's row does not decrypt there.

Keys come from the environment, never from the database: COCKPIT_DATA_KEY if set (set it once
and keep it, like the audit key), else COCKPIT_SECRET_KEY (in development, the key kept in
instance/). Each algorithm has its own key, derived with HKDF: HKDF-SHA-256 for AES-256,
HKDF-SM3 for SM4, so a 国密 configuration uses national algorithms throughout.

The primitives are OpenSSL's, through the `cryptography` package: nothing here is hand-made
cryptography, only the choice of algorithm, the key derivation's labels and the text format.

Public API (kept small; other modules may import it): `AtRest` (`encrypt`, `decrypt`,
`needs_reseal`), `at_rest(settings)`, `available(name)` (is "sm4-gcm" or "sm3" offered by this
OpenSSL?), `is_sealed(value)`, `algorithm_of(value)`, `CryptoError`, `ALGORITHMS`.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from cockpit.settings import Settings

FORMAT = "enc1"
AES_GCM = "aes-256-gcm"
SM4_GCM = "sm4-gcm"
ALGORITHMS = (AES_GCM, SM4_GCM)
_NONCE_BYTES = 12  # 96-bit GCM nonces, random per value (NIST SP 800-38D, RFC 8998)
_TAG_BYTES = 16
_KEY_BYTES = {AES_GCM: 32, SM4_GCM: 16}


class CryptoError(Exception):
    """A value could not be sealed or opened (wrong key, altered, unknown algorithm)."""


def is_sealed(value: str | None) -> bool:
    """Does this stored text hold a sealed value (rather than a legacy plain one)?"""
    return value is not None and value.startswith(FORMAT + ":")


def algorithm_of(value: str) -> str | None:
    """The algorithm a sealed value names (None for plain text)."""
    if not is_sealed(value):
        return None
    parts = value.split(":", 2)
    return parts[1] if len(parts) == 3 else None


def available(algorithm: str) -> bool:
    """Can this server's OpenSSL do the algorithm: aes-256-gcm, sm4-gcm, or the hash sm3
    (SM4 and SM3 depend on how OpenSSL was built; a configuration naming them checks here)?"""
    if algorithm == AES_GCM:
        return True
    if algorithm == "sm3":
        try:
            hashes.Hash(hashes.SM3()).finalize()
        except UnsupportedAlgorithm:
            return False
        return True
    if algorithm != SM4_GCM:
        return False
    try:
        _sm4_gcm_seal(bytes(16), bytes(12), b"", b"probe")
        _derive(b"probe", SM4_GCM)
    except UnsupportedAlgorithm:
        return False
    return True


class AtRest:
    """Encrypt and decrypt short secrets with the configured algorithm and the data key."""

    def __init__(self, algorithm: str, material: Callable[[], bytes]) -> None:
        if algorithm not in ALGORITHMS:
            raise CryptoError(f"unknown algorithm {algorithm!r}; expected one of {ALGORITHMS}")
        self.algorithm = algorithm
        self._material = material  # read when first needed: a command may never need it
        self._keys: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"AtRest({self.algorithm!r})"  # never the key

    def _key(self, algorithm: str) -> bytes:
        if algorithm not in self._keys:
            self._keys[algorithm] = _derive(self._material(), algorithm)
        return self._keys[algorithm]

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Seal text with the configured algorithm, bound to `context` (e.g. table.column:owner)."""
        nonce = os.urandom(_NONCE_BYTES)
        data, aad = plaintext.encode(), context.encode()
        key = self._key(self.algorithm)
        if self.algorithm == AES_GCM:
            sealed = AESGCM(key).encrypt(nonce, data, aad)
        else:
            sealed = _sm4_gcm_seal(key, nonce, aad, data)
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        return f"{FORMAT}:{self.algorithm}:{body}"

    def decrypt(self, value: str, *, context: str) -> str:
        """Open a sealed value with the algorithm it names; CryptoError if it will not open."""
        algorithm = algorithm_of(value)
        if algorithm not in ALGORITHMS:
            raise CryptoError(f"not a sealed value of a known algorithm ({algorithm or 'plain'})")
        body = value.split(":", 2)[2]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            raise CryptoError("sealed value is not valid base64") from None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise CryptoError("sealed value is too short")
        nonce, sealed, aad = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()
        key = self._key(algorithm)
        try:
            if algorithm == AES_GCM:
                data = AESGCM(key).decrypt(nonce, sealed, aad)
            else:
                data = _sm4_gcm_open(key, nonce, aad, sealed)
        except InvalidTag:
            raise CryptoError(
                "sealed value does not open: another data key, another row, or altered"
            ) from None
        return data.decode()

    def needs_reseal(self, value: str | None) -> bool:
        """Is this stored value plain, or sealed with another algorithm than the configured one?"""
        return value is not None and value != "" and algorithm_of(value) != self.algorithm


def at_rest(settings: Settings) -> AtRest:
    """The settings' encryption at rest: their algorithm, and the key from the environment."""

    def material() -> bytes:
        if settings.data_key:
            return settings.data_key.encode()
        if settings.app.env == "production":
            from cockpit.settings import secret_key_problem

            # Never the development key in production: secrets sealed with it would be lost
            # (and readable by whoever reads instance/) once the real key is set.
            problem = secret_key_problem(settings.secret_key)
            if problem:
                raise CryptoError(problem)
        from cockpit.factory import secret_key

        return secret_key(settings).encode()

    return AtRest(settings.security.at_rest.algorithm, material)


def _derive(material: bytes, algorithm: str) -> bytes:
    """The algorithm's own key from the configured key (HKDF-SHA-256, or HKDF-SM3 for SM4)."""
    digest = hashes.SM3() if algorithm == SM4_GCM else hashes.SHA256()
    return HKDF(
        algorithm=digest,
        length=_KEY_BYTES[algorithm],
        salt=None,
        info=f"cockpit secrets at rest/{algorithm}".encode(),
    ).derive(material)


def _sm4_gcm_seal(key: bytes, nonce: bytes, aad: bytes, data: bytes) -> bytes:
    """SM4-GCM: ciphertext followed by the 16-byte tag (the layout AESGCM uses too)."""
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(data) + encryptor.finalize() + encryptor.tag


def _sm4_gcm_open(key: bytes, nonce: bytes, aad: bytes, sealed: bytes) -> bytes:
    """SM4-GCM decryption; InvalidTag when the key, the context or the bytes differ."""
    ciphertext, tag = sealed[:-_TAG_BYTES], sealed[-_TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(ciphertext) + decryptor.finalize()
