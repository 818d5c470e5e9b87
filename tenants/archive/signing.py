"""Signatures of point archives: HMAC-SHA256 over the archive's manifest.

The manifest holds the sha256 of every other member and file, so one
signature over its exact bytes covers the whole archive. Whoever can sign can
restore a point (its schema SQL runs in the database), so the key is a secret
of the cell's operators:

- `YIMEN_ARCHIVE_KEY` signs new archives; `YIMEN_ARCHIVE_KEY_FALLBACKS` (the
  previous keys during a rotation) are accepted on import, as Django treats
  `SECRET_KEY` and `SECRET_KEY_FALLBACKS`.
- Without `YIMEN_ARCHIVE_KEY` the key is derived from `SECRET_KEY` (and the
  fallbacks from `SECRET_KEY_FALLBACKS`): enough for development, but rotating
  `SECRET_KEY` would then orphan every older archive.
"""
from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.utils.crypto import salted_hmac

ALGORITHM = "hmac-sha256"
SIGNATURE_MEMBER = "manifest.sig"
# Names the module archives were first signed in (ops.pointarchive): with no
# YIMEN_ARCHIVE_KEY the key is derived with this salt, so a new salt would
# make every archive signed so far fail to verify. A constant, not a path.
_SALT = "yimen.ops.pointarchive"


def _derived(secret: str) -> bytes:
    # A key of its own: an archive signature is never a valid Django signature, nor the reverse.
    return salted_hmac(_SALT, "archive-signing-key", secret=secret, algorithm="sha256").digest()


def uses_derived_key() -> bool:
    return not getattr(settings, "YIMEN_ARCHIVE_KEY", "")


def signing_key() -> bytes:
    key = getattr(settings, "YIMEN_ARCHIVE_KEY", "")
    return key.encode() if key else _derived(settings.SECRET_KEY)


def verification_keys() -> list[bytes]:
    """The current key first, then the fallbacks."""
    keys = [signing_key(), *(k.encode() for k in getattr(settings, "YIMEN_ARCHIVE_KEY_FALLBACKS", []) if k)]
    if uses_derived_key():
        keys += [_derived(secret) for secret in getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return keys


def sign(manifest: bytes, key: bytes | None = None) -> bytes:
    """The content of the signature member for these manifest bytes (with the current key by default)."""
    return f"{ALGORITHM}:{_mac(key or signing_key(), manifest)}\n".encode()


def is_valid(manifest: bytes, signature: bytes) -> bool:
    algorithm, _, digest = signature.decode("ascii", "replace").strip().partition(":")
    if algorithm != ALGORITHM:
        return False
    # Every key is tried (no early exit), each comparison in constant time.
    return any([hmac.compare_digest(_mac(key, manifest), digest) for key in verification_keys()])


def _mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()
