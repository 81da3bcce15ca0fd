"""Secrets and signed tokens: argon2id hashing, and ES256 JWTs with rotating keys.

No database and no web framework here: the auth service decides when to call these.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# --- secrets ----------------------------------------------------------------------------------------

# argon2id at RFC 9106's second recommendation (64 MiB, three passes, four lanes): the library's default.
PASSWORD_HASH_PARAMETERS = RFC_9106_LOW_MEMORY

_hasher = PasswordHasher.from_parameters(PASSWORD_HASH_PARAMETERS)
_DUMMY_HASH = _hasher.hash("triangle: no such account")


def use_hash_parameters(parameters: Parameters) -> None:
    """Hash new secrets at another argon2 cost, in this whole process.

    Only for a process where the cost of a hash is beside the point: the test suite, which makes and
    checks hundreds of them. Every hash carries its own parameters, so existing ones still verify (at
    their own cost), and `secret_needs_rehash` then asks for the new ones.
    """
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(parameters)
    _DUMMY_HASH = _hasher.hash("triangle: no such account")


def hash_secret(secret: str) -> str:
    """An argon2id hash (salted: two hashes of one secret differ)."""
    return _hasher.hash(secret)


def verify_secret(hashed: str, secret: str) -> bool:
    """Whether `secret` matches `hashed`. False, never an exception, for a mismatch or a bad hash."""
    try:
        return _hasher.verify(hashed, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def secret_needs_rehash(hashed: str) -> bool:
    return _hasher.check_needs_rehash(hashed)


def burn_verify_time(secret: str) -> None:
    """Spend what a real verification costs, so an unknown account answers as slowly as a known one
    (no account enumeration by timing)."""
    verify_secret(_DUMMY_HASH, secret)


def new_token_secret(nbytes: int = 32) -> str:
    """An unguessable URL-safe secret: refresh tokens, client secrets."""
    return secrets.token_urlsafe(nbytes)


def fingerprint(secret: str) -> str:
    """SHA-256 of a high-entropy secret, for lookup by digest. (Not for passwords: those are argon2id.)"""
    return hashlib.sha256(secret.encode()).hexdigest()


# --- signing keys -----------------------------------------------------------------------------------

ALGORITHM = "ES256"


class InvalidToken(Exception):
    """A token that must not be trusted. The message is a short reason, never the token."""


class KeyRing:
    """ES256 signing keys by key id (`kid`). The newest key (the last kid in sort order) signs; every
    key verifies. Rotation: add a key, and remove the old one once the tokens it signed have expired.

    A ring loaded from a directory knows it, so every worker and replica sharing the directory (a
    mounted volume) picks up a key added or removed there without a restart (`refreshed`)."""

    def __init__(
        self,
        keys: dict[str, ec.EllipticCurvePrivateKey],
        directory: Path | None = None,
        stamp: object = None,
    ) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._keys = dict(keys)
        self.directory = directory
        self._stamp = stamp

    @staticmethod
    def new_kid() -> str:
        # Sorts by creation time; the random suffix keeps two keys made in one second apart.
        return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)

    @classmethod
    def generate(cls) -> KeyRing:
        return cls({cls.new_kid(): ec.generate_private_key(ec.SECP256R1())})

    @classmethod
    def load_or_create(cls, directory: Path) -> KeyRing:
        """Load `<kid>.pem` keys from `directory`, creating the directory and a first key if needed.

        Several workers may start at once on an empty directory: an exclusive lock makes exactly one
        of them create the first key, and the others load it. A key is written to a temporary file and
        renamed into place, so no reader ever sees half a key.
        """
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not os.access(directory, os.W_OK):
            # A read-only mount (a Kubernetes Secret, a shared volume mounted `:ro`): keys are managed
            # outside; there is nothing to create and nothing to lock.
            return cls._load(directory)
        lock_fd = os.open(directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            if not any(directory.glob("*.pem")):
                kid = cls.new_kid()
                _write_key(directory, kid, ec.generate_private_key(ec.SECP256R1()))
            return cls._load(directory)
        finally:
            os.close(lock_fd)  # closing releases the lock

    @classmethod
    def add_key(cls, directory: Path) -> str:
        """Write a new key into `directory`; it signs from now on, in every process sharing the
        directory (each picks it up at its next token). The new key's id."""
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_fd = os.open(directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            newest = max((path.stem for path in directory.glob("*.pem")), default="")
            kid = cls.new_kid()
            if kid <= newest:  # made in the same second as the newest key: still sort after it
                kid = f"{newest}-{secrets.token_hex(3)}"
            _write_key(directory, kid, ec.generate_private_key(ec.SECP256R1()))
        finally:
            os.close(lock_fd)
        return kid

    @classmethod
    def _load(cls, directory: Path) -> KeyRing:
        stamp = _directory_stamp(directory)
        keys = {path.stem: _load_key(path) for path in sorted(directory.glob("*.pem"))}
        if not keys:
            raise ValueError(f"no signing keys (<kid>.pem) in {directory}")
        return cls(keys, directory, stamp)

    def refreshed(self) -> KeyRing | None:
        """The ring as its directory holds it now, when that changed since it was loaded; else None.

        Costs one `stat` when nothing changed. A directory emptied by mistake keeps the current ring:
        signing must not stop.
        """
        if self.directory is None:
            return None
        try:
            if _directory_stamp(self.directory) == self._stamp:
                return None
            return self._load(self.directory)
        except (OSError, ValueError):
            return None

    @property
    def signing_kid(self) -> str:
        return max(self._keys)

    @property
    def kids(self) -> list[str]:
        return sorted(self._keys)

    def signing_key(self) -> ec.EllipticCurvePrivateKey:
        return self._keys[self.signing_kid]

    def __contains__(self, kid: str) -> bool:
        return kid in self._keys

    def public_key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        key = self._keys.get(kid)
        return key.public_key() if key is not None else None

    def with_new_key(self) -> KeyRing:
        """This ring plus a new key, which signs from now on."""
        kid = self.new_kid()
        if kid <= self.signing_kid:  # made in the same second as the newest key: still sort after it
            kid = f"{self.signing_kid}-{secrets.token_hex(3)}"
        return KeyRing({**self._keys, kid: ec.generate_private_key(ec.SECP256R1())})

    def without(self, kid: str) -> KeyRing:
        return KeyRing({k: v for k, v in self._keys.items() if k != kid})


def _directory_stamp(directory: Path) -> object:
    # The directory's mtime changes when a key is added, removed or renamed into place (and when a
    # Kubernetes Secret volume swaps its `..data` link).
    return directory.stat().st_mtime_ns


# --- tokens -----------------------------------------------------------------------------------------

_REGISTERED = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
_REQUIRED = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    # Checked at start-up, not at the first sign-in: ES256 needs exactly a P-256 key.
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{path} is not a P-256 (ES256) private key")
    return key


def _write_key(directory: Path, kid: str, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = directory / f".{kid}.tmp"
    # Created 0600 from the start: the key is never readable by others, not even briefly.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, directory / f"{kid}.pem")


# Enough for every client of a busy district at once; a few MB at most.
_VERIFIED_TOKENS_KEPT = 10_000


class TokenSigner:
    """Issues and verifies JWTs following RFC 8725 (JWT best current practice)."""

    def __init__(
        self,
        keyring: KeyRing,
        issuer: str,
        algorithms: tuple[str, ...] = (ALGORITHM,),
        leeway_seconds: int = 0,
    ) -> None:
        # The keys are P-256: allowing any other algorithm would only open a door (an HS* "secret"
        # guessed from the public key) or fail at verification with an error of the wrong kind.
        if set(algorithms) != {ALGORITHM}:
            raise ValueError(f"only {ALGORITHM} is supported, got {algorithms}")
        self.keyring = keyring
        self.issuer = issuer
        self.algorithms = algorithms
        self.leeway = leeway_seconds
        # Tokens this process has already verified, by (token, audience, type): their claims and key id.
        self._verified: dict[tuple[str, str, str], tuple[dict[str, Any], str]] = {}

    def issue(
        self,
        *,
        subject: str,
        audience: str,
        ttl: timedelta,
        token_type: str = "at+jwt",  # noqa: S107
        claims: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> str:
        extra = dict(claims or {})
        if clash := _REGISTERED & extra.keys():
            raise ValueError(f"extra claims may not override registered ones: {sorted(clash)}")
        issued_at = now or datetime.now(UTC)
        self.refresh_keys()
        payload = {
            **extra,
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + ttl,
            "jti": uuid.uuid4().hex,
        }
        kid = self.keyring.signing_kid
        return jwt.encode(
            payload, self.keyring.signing_key(), algorithm=ALGORITHM, headers={"kid": kid, "typ": token_type}
        )

    def verify(self, token: str, *, audience: str, token_type: str = "at+jwt") -> dict[str, Any]:  # noqa: S107
        """The claims of a token this service issued for `audience`, or `InvalidToken`.

        - The algorithm comes from configuration, never from the token: `alg: none` and HS256 signed
          with our public key (the algorithm-confusion attack) are refused before any verification.
        - The `kid` must name a key of ours; an unknown one is refused, not tried against every key.
        - `typ` must match, so a token of one kind cannot be replayed as another (RFC 8725 §3.11).
        - `exp`, `iat`, `nbf`, `iss`, `aud`, `sub` and `jti` are required and checked; PyJWT's defaults
          would accept a token without `exp`.

        A client presents the same access token on every call for its lifetime, and an ES256
        verification costs more than the rest of a small read. So a verified token's claims are
        remembered until it expires, or until the key that signed it leaves the ring; the claims are a
        pure function of the token and our keys, so every worker and replica would reach the same
        answer. What the claims describe (an account, a grant) is for the caller to check each time.
        """
        key_of_call = (token, audience, token_type)
        remembered = self._verified.get(key_of_call)
        if remembered is not None:
            claims, kid = remembered
            if time.time() < claims["exp"] + self.leeway and kid in self.keyring:
                return claims
            del self._verified[key_of_call]
        claims = self._verify(token, audience=audience, token_type=token_type)
        if len(self._verified) >= _VERIFIED_TOKENS_KEPT:
            # Oldest first: dicts keep insertion order.
            del self._verified[next(iter(self._verified))]
        self._verified[key_of_call] = (claims, jwt.get_unverified_header(token)["kid"])
        return claims

    def refresh_keys(self) -> bool:
        """Pick up keys added to or removed from the shared keys directory; whether the ring changed."""
        refreshed = self.keyring.refreshed()
        if refreshed is None:
            return False
        self.keyring = refreshed
        return True

    def _verify(self, token: str, *, audience: str, token_type: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") not in self.algorithms:
            raise InvalidToken("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("missing key id")
        key = self.keyring.public_key(kid)
        if key is None and self.refresh_keys():  # a key another worker or replica added since
            key = self.keyring.public_key(kid)
        if key is None:
            raise InvalidToken("unknown key id")
        if header.get("typ") != token_type:
            raise InvalidToken("wrong token type")
        try:
            return jwt.decode(
                token,
                key,
                algorithms=list(self.algorithms),
                audience=audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": _REQUIRED},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from exc
