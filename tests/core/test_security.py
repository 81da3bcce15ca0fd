"""app.core.security: argon2id secrets and ES256 JWTs with rotating keys (api.md, "Authentication and
authorization"; architecture.md, "PyJWT defaults are lax"; RFC 8725).

No database and no app: every token here is made in the test, most of the hostile ones by hand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY
from cryptography.hazmat.primitives import serialization

from app.core.security import (
    PASSWORD_HASH_PARAMETERS,
    InvalidToken,
    KeyRing,
    TokenSigner,
    burn_verify_time,
    fingerprint,
    hash_secret,
    new_token_secret,
    secret_needs_rehash,
    verify_secret,
)

ISSUER = "https://triangle.test"
AUDIENCE = "triangle-api"
TTL = timedelta(minutes=15)


# --- helpers ----------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def valid_payload(now: datetime | None = None, **override: Any) -> dict[str, Any]:
    """Claims that would pass every check; `override` a claim to None to leave it out."""
    iat = int((now or datetime.now(UTC)).timestamp())
    claims = {
        "iss": ISSUER,
        "sub": "person-1",
        "aud": AUDIENCE,
        "iat": iat,
        "nbf": iat,
        "exp": iat + int(TTL.total_seconds()),
        "jti": "0" * 32,
        **override,
    }
    return {k: v for k, v in claims.items() if v is not None}


def sign_raw(keyring: KeyRing, payload: dict[str, Any], **header: Any) -> str:
    """An ES256 token signed by the ring's signing key, header and payload exactly as given."""
    headers = {"kid": keyring.signing_kid, "typ": "at+jwt", **header}
    return jwt.encode(payload, keyring.signing_key(), algorithm="ES256", headers=headers)


def refused(signer: TokenSigner, token: str, **kwargs: Any) -> str:
    """Assert the token is refused with InvalidToken; answer the reason, checked not to leak the token."""
    kwargs.setdefault("audience", AUDIENCE)
    with pytest.raises(InvalidToken) as caught:
        signer.verify(token, **kwargs)
    reason = str(caught.value)
    assert reason
    assert token not in reason
    for segment in token.split("."):
        if len(segment) > 8:
            assert segment not in reason
    return reason


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing.generate()


@pytest.fixture
def signer(keyring: KeyRing) -> TokenSigner:
    return TokenSigner(keyring, ISSUER)


# --- secrets ----------------------------------------------------------------------------------------


def test_hash_and_verify_round_trip() -> None:
    hashed = hash_secret("correct horse battery staple")
    assert verify_secret(hashed, "correct horse battery staple") is True
    assert secret_needs_rehash(hashed) is False


def test_wrong_secret_is_false() -> None:
    hashed = hash_secret("correct horse battery staple")
    assert verify_secret(hashed, "correct horse battery stapler") is False
    assert verify_secret(hashed, "") is False


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$broken",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt, not ours
        "sha256:" + "0" * 64,
    ],
)
def test_malformed_hash_is_false_not_an_exception(malformed: str) -> None:
    assert verify_secret(malformed, "anything") is False


def test_hashes_are_argon2id_and_salted() -> None:
    first, second = hash_secret("same secret"), hash_secret("same secret")
    assert first.startswith("$argon2id$")
    assert second.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert verify_secret(first, "same secret")
    assert verify_secret(second, "same secret")


def test_the_service_hashes_at_rfc_9106s_cost_and_such_hashes_verify_here() -> None:
    """The suite hashes at argon2's cheapest cost (tests/conftest.py); the service never does."""
    assert PASSWORD_HASH_PARAMETERS == RFC_9106_LOW_MEMORY
    hashed = PasswordHasher.from_parameters(PASSWORD_HASH_PARAMETERS).hash("same secret")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_secret(hashed, "same secret") is True
    assert verify_secret(hashed, "another secret") is False


def test_burn_verify_time_spends_a_verification_and_answers_nothing() -> None:
    assert burn_verify_time("whoever@example.org's guess") is None


def test_new_token_secret_is_urlsafe_and_unique() -> None:
    secrets_ = {new_token_secret() for _ in range(50)}
    assert len(secrets_) == 50
    for value in secrets_:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)  # 32 bytes, base64url, no padding
    assert len(new_token_secret(48)) == 64


def test_fingerprint_is_sha256_hex() -> None:
    assert fingerprint("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert fingerprint("abc") != fingerprint("abd")


# --- a valid token ----------------------------------------------------------------------------------


def test_valid_token_verifies_and_carries_claims(signer: TokenSigner, keyring: KeyRing) -> None:
    token = signer.issue(
        subject="person-1", audience=AUDIENCE, ttl=TTL, claims={"district": "d-1", "roles": ["teacher"]}
    )
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": keyring.signing_kid, "typ": "at+jwt"}

    claims = signer.verify(token, audience=AUDIENCE)
    assert claims["sub"] == "person-1"
    assert claims["aud"] == AUDIENCE
    assert claims["iss"] == ISSUER
    assert claims["district"] == "d-1"
    assert claims["roles"] == ["teacher"]
    assert claims["exp"] - claims["iat"] == TTL.total_seconds()
    assert claims["nbf"] == claims["iat"]
    assert re.fullmatch(r"[0-9a-f]{32}", claims["jti"])


def test_each_token_has_its_own_jti(signer: TokenSigner) -> None:
    first = signer.verify(signer.issue(subject="p", audience=AUDIENCE, ttl=TTL), audience=AUDIENCE)
    second = signer.verify(signer.issue(subject="p", audience=AUDIENCE, ttl=TTL), audience=AUDIENCE)
    assert first["jti"] != second["jti"]


@pytest.mark.parametrize("claim", ["sub", "aud", "iss", "iat", "nbf", "exp", "jti"])
def test_extra_claims_may_not_override_registered_ones(signer: TokenSigner, claim: str) -> None:
    with pytest.raises(ValueError, match=claim):
        signer.issue(subject="p", audience=AUDIENCE, ttl=TTL, claims={claim: "forged"})


def test_a_sibling_token_type_verifies_as_its_own_type(signer: TokenSigner) -> None:
    token = signer.issue(subject="p", audience=AUDIENCE, ttl=TTL, token_type="refresh+jwt")
    assert signer.verify(token, audience=AUDIENCE, token_type="refresh+jwt")["sub"] == "p"


# --- refused ----------------------------------------------------------------------------------------


def test_expired_token_is_refused(signer: TokenSigner) -> None:
    token = signer.issue(
        subject="p", audience=AUDIENCE, ttl=TTL, now=datetime.now(UTC) - TTL - timedelta(seconds=5)
    )
    refused(signer, token)


def test_a_remembered_token_is_refused_once_it_expires(
    signer: TokenSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verified tokens are remembered (an ES256 check per request is the costliest part of a small
    read), but only until they expire: the next call after `exp` is refused, remembered or not."""
    token = signer.issue(subject="p", audience=AUDIENCE, ttl=TTL)
    claims = signer.verify(token, audience=AUDIENCE)
    assert signer.verify(token, audience=AUDIENCE) is claims  # the remembered answer
    later = claims["exp"] + 1
    monkeypatch.setattr("app.core.security.time.time", lambda: later)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime(later))
    refused(signer, token)


def test_a_remembered_token_is_refused_for_another_audience_or_type(signer: TokenSigner) -> None:
    token = signer.issue(subject="p", audience=AUDIENCE, ttl=TTL)
    signer.verify(token, audience=AUDIENCE)
    with pytest.raises(InvalidToken):
        signer.verify(token, audience="someone-else")
    with pytest.raises(InvalidToken):
        signer.verify(token, audience=AUDIENCE, token_type="refresh+jwt")


class _FrozenDatetime:
    """PyJWT's clock, stopped at `timestamp` (it reads `datetime.now(tz=timezone.utc)`)."""

    def __init__(self, timestamp: float) -> None:
        self.timestamp = timestamp

    def now(self, tz: Any = None) -> datetime:
        return datetime.fromtimestamp(self.timestamp, tz=tz)


def test_leeway_is_configuration(keyring: KeyRing) -> None:
    issued = datetime.now(UTC) - TTL - timedelta(seconds=5)
    token = TokenSigner(keyring, ISSUER).issue(subject="p", audience=AUDIENCE, ttl=TTL, now=issued)
    assert TokenSigner(keyring, ISSUER, leeway_seconds=60).verify(token, audience=AUDIENCE)["sub"] == "p"


def test_token_from_the_future_is_refused(signer: TokenSigner) -> None:
    token = signer.issue(
        subject="p", audience=AUDIENCE, ttl=TTL, now=datetime.now(UTC) + timedelta(minutes=5)
    )
    refused(signer, token)


def test_nbf_in_the_future_is_refused(signer: TokenSigner, keyring: KeyRing) -> None:
    now = datetime.now(UTC)
    token = sign_raw(keyring, valid_payload(now, nbf=int(now.timestamp()) + 300))
    refused(signer, token)


def test_iat_in_the_future_is_refused(signer: TokenSigner, keyring: KeyRing) -> None:
    now = datetime.now(UTC)
    token = sign_raw(keyring, valid_payload(now, iat=int(now.timestamp()) + 300))
    refused(signer, token)


def test_wrong_audience_is_refused(signer: TokenSigner) -> None:
    token = signer.issue(subject="p", audience="some-other-service", ttl=TTL)
    refused(signer, token)


def test_wrong_issuer_is_refused(keyring: KeyRing, signer: TokenSigner) -> None:
    token = TokenSigner(keyring, "https://evil.test").issue(subject="p", audience=AUDIENCE, ttl=TTL)
    refused(signer, token)


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"])
def test_a_missing_required_claim_is_refused(signer: TokenSigner, keyring: KeyRing, claim: str) -> None:
    """PyJWT on its own accepts a token with no `exp`; we require every registered claim."""
    token = sign_raw(keyring, valid_payload(**{claim: None}))
    assert signer.verify(sign_raw(keyring, valid_payload()), audience=AUDIENCE)  # the control passes
    refused(signer, token)


def test_unknown_kid_is_refused(signer: TokenSigner, keyring: KeyRing) -> None:
    refused(signer, sign_raw(keyring, valid_payload(), kid="20990101T000000Z-abcdef"))


def test_missing_kid_is_refused(signer: TokenSigner, keyring: KeyRing) -> None:
    token = jwt.encode(valid_payload(), keyring.signing_key(), algorithm="ES256", headers={"typ": "at+jwt"})
    assert "kid" not in jwt.get_unverified_header(token)
    refused(signer, token)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(signer: TokenSigner, keyring: KeyRing, alg: str) -> None:
    header = {"alg": alg, "kid": keyring.signing_kid, "typ": "at+jwt"}
    token = f"{b64url_json(header)}.{b64url_json(valid_payload())}."
    # Refused by our allow-list, before PyJWT (which would also refuse it) ever sees it.
    assert "algorithm" in refused(signer, token)


def test_hs256_signed_with_the_public_key_is_refused(signer: TokenSigner, keyring: KeyRing) -> None:
    """The algorithm-confusion attack: the attacker knows our public key (it is public) and uses its PEM
    as an HMAC secret. A verifier that takes the algorithm from the token would accept this."""
    kid = keyring.signing_kid
    public_pem = keyring.public_key(kid).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = (
        f"{b64url_json({'alg': 'HS256', 'kid': kid, 'typ': 'at+jwt'})}.{b64url_json(valid_payload())}"
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url(signature)}"
    assert hmac.compare_digest(b64url_decode(token.split(".")[2]), signature)  # a well-formed forgery
    # Refused by our allow-list, before PyJWT (which would also refuse it) ever sees it.
    assert "algorithm" in refused(signer, token)


def test_tampered_payload_is_refused(signer: TokenSigner) -> None:
    token = signer.issue(subject="person-1", audience=AUDIENCE, ttl=TTL, claims={"roles": ["teacher"]})
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["roles"] = ["district_admin"]
    forged = f"{header}.{b64url_json(claims)}.{signature}"
    refused(signer, forged)


def test_refresh_type_token_presented_as_access_is_refused(signer: TokenSigner) -> None:
    token = signer.issue(subject="p", audience=AUDIENCE, ttl=TTL, token_type="refresh+jwt")
    refused(signer, token)  # verify() defaults to token_type="at+jwt"


def test_missing_typ_is_refused(signer: TokenSigner, keyring: KeyRing) -> None:
    token = jwt.encode(
        valid_payload(), keyring.signing_key(), algorithm="ES256", headers={"kid": keyring.signing_kid}
    )
    assert jwt.get_unverified_header(token)["typ"] == "JWT"  # what PyJWT puts in when we don't
    refused(signer, token)


def test_token_signed_by_a_key_not_in_the_ring_is_refused(signer: TokenSigner, keyring: KeyRing) -> None:
    """An outsider's key under one of our kids: the signature check, not the kid, must catch it."""
    outsider = KeyRing.generate()
    token = jwt.encode(
        valid_payload(),
        outsider.signing_key(),
        algorithm="ES256",
        headers={"kid": keyring.signing_kid, "typ": "at+jwt"},
    )
    refused(signer, token)
    # and under its own kid, which we don't know
    refused(signer, TokenSigner(outsider, ISSUER).issue(subject="p", audience=AUDIENCE, ttl=TTL))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "....", "eyJ.eyJ.eyJ", "x" * 5000])
def test_garbage_is_refused(signer: TokenSigner, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        signer.verify(garbage, audience=AUDIENCE)


# --- rotation ---------------------------------------------------------------------------------------


def test_rotation_old_tokens_verify_new_key_signs_then_old_key_is_dropped() -> None:
    old_ring = KeyRing.generate()
    old_kid = old_ring.signing_kid
    old_token = TokenSigner(old_ring, ISSUER).issue(subject="p", audience=AUDIENCE, ttl=TTL)

    rotated = old_ring.with_new_key()
    assert rotated.signing_kid != old_kid
    assert rotated.signing_kid > old_kid  # the newest key signs
    signer = TokenSigner(rotated, ISSUER)
    assert signer.verify(old_token, audience=AUDIENCE)["sub"] == "p"
    new_token = signer.issue(subject="q", audience=AUDIENCE, ttl=TTL)
    assert jwt.get_unverified_header(new_token)["kid"] == rotated.signing_kid
    assert signer.verify(new_token, audience=AUDIENCE)["sub"] == "q"

    retired = TokenSigner(rotated.without(old_kid), ISSUER)
    assert retired.keyring.public_key(old_kid) is None
    refused(retired, old_token)
    assert retired.verify(new_token, audience=AUDIENCE)["sub"] == "q"


def test_a_ring_needs_a_key() -> None:
    ring = KeyRing.generate()
    with pytest.raises(ValueError, match="at least one key"):
        ring.without(ring.signing_kid)


def test_load_or_create_makes_one_private_key_and_then_reuses_it(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    first = KeyRing.load_or_create(keys_dir)
    files = list(keys_dir.glob("*.pem"))  # (beside the lock file that serialises first start)
    assert len(files) == 1
    (path,) = files
    assert path.name == f"{first.signing_kid}.pem"
    assert re.fullmatch(r"\d{8}T\d{6}Z-?[0-9a-f]{6}", first.signing_kid)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS8, unencrypted

    second = KeyRing.load_or_create(keys_dir)
    assert list(keys_dir.glob("*.pem")) == [path]
    assert not list(keys_dir.glob("*.tmp")), "no half-written key is left behind"
    assert second.signing_kid == first.signing_kid
    token = TokenSigner(first, ISSUER).issue(subject="p", audience=AUDIENCE, ttl=TTL)
    assert TokenSigner(second, ISSUER).verify(token, audience=AUDIENCE)["sub"] == "p"


def test_rotation_on_disk_is_dropping_a_key_file_in_and_removing_the_old_one(tmp_path: Path) -> None:
    old_ring = KeyRing.load_or_create(tmp_path)
    old_kid = old_ring.signing_kid
    old_token = TokenSigner(old_ring, ISSUER).issue(subject="p", audience=AUDIENCE, ttl=TTL)

    newer_kid = "29991231T235959Z-ffffff"  # sorts after any kid made today
    newer = KeyRing.generate().signing_key()
    (tmp_path / f"{newer_kid}.pem").write_bytes(
        newer.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    rotated = KeyRing.load_or_create(tmp_path)
    assert rotated.signing_kid == newer_kid
    assert len(list(tmp_path.glob("*.pem"))) == 2  # loading never adds a key when there is one
    signer = TokenSigner(rotated, ISSUER)
    assert signer.verify(old_token, audience=AUDIENCE)["sub"] == "p"
    assert (
        jwt.get_unverified_header(signer.issue(subject="q", audience=AUDIENCE, ttl=TTL))["kid"] == newer_kid
    )

    (tmp_path / f"{old_kid}.pem").unlink()
    refused(TokenSigner(KeyRing.load_or_create(tmp_path), ISSUER), old_token)
