"""Password guessing throttled, without letting anyone lock an account's owner out.

The pattern is OWASP's (counting per account *and* source, with back-off, and sparing sources the
owner is known to use), with the client address standing for the source. Every attempt at a
person's password counts here, wherever it is made: the password grant and changing one's own
password (REST and GraphQL alike). Counts live in PostgreSQL (`LoginThrottle`), so every worker and
replica agrees on them.

- **Account and address** (`pair:<email>|<address>`): after `login_max_failures_per_account`
  failures within `login_window_seconds`, that account cannot be tried from that address for
  `login_lockout_seconds`, doubling with each lock in a row up to `login_max_lockout_seconds`. A
  success from there clears it. Nobody else, and no other address, is affected.
- **Account, from new addresses** (`account:<email>`): failures from addresses the account has
  never signed in from count together, so a guesser spreading over many addresses is stopped after
  `login_max_failures_per_account_from_new_addresses`; the lock applies to new addresses only.
- **Address** (`address:<ip>`): failures from one address across accounts (credential stuffing)
  lock that address after `login_max_failures_per_address`, for accounts not known there, with the
  same back-off. A school's shared address therefore never locks out the people who sign in there.
- **Known addresses** (`KnownSignInAddress`): where an account has signed in with its password
  before. From a known address only the account-and-address count applies, and failures there do
  not count against the account or the address.
- **API clients** are never refused for the address's count when their secret is right (a SIS host
  behind the same address as a guesser keeps syncing); a wrong secret from a locked address is
  refused at once, without spending a hash verification on it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.models import KnownSignInAddress, LoginThrottle
from app.core.config import Settings
from app.core.db import session_scope
from app.core.errors import RateLimited
from app.core.models import utcnow
from app.core.security import burn_verify_time, verify_secret
from app.core.sql import any_of
from app.identity.models import User


def _keys(email: str, address: str) -> tuple[str, str, str]:
    email = email.strip().lower()
    return f"pair:{email}|{address}", f"account:{email}", f"address:{address}"


async def check_passwords(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    email: str,
    accounts: list[User],
    password: str,
    address: str,
    remember: bool = True,
) -> User | None:
    """The first active account of `accounts` (those with `email`, oldest first; none for an unknown
    email) that `password` opens, or None; counted either way.

    Raises `RateLimited` (with `retry_after`) while the attempt is locked out, before spending a hash
    verification. A failure is counted in its own committed transaction, so the caller's rollback
    cannot undo it. An unknown email costs as much time as a known one. With `remember`, a success
    makes the address known for the account.
    """
    pair, account, place = _keys(email, address)
    async with session_scope(factory) as session:
        known = bool(accounts) and await _is_known(session, [a.id for a in accounts], address)
        await refuse_if_locked(session, [pair] if known else [pair, account, place])
    if not accounts:
        burn_verify_time(password)
    opened = next((a for a in accounts if verify_secret(a.password_hash, password) and a.is_active), None)
    async with session_scope(factory) as session:
        if opened is None:
            await record_failure(session, pair, settings, settings.login_max_failures_per_account)
            if not known:
                await record_failure(
                    session, account, settings, settings.login_max_failures_per_account_from_new_addresses
                )
                await record_failure(session, place, settings, settings.login_max_failures_per_address)
            return None
        await session.execute(LoginThrottle.__table__.delete().where(LoginThrottle.key == pair))
        if remember:
            await session.execute(
                insert(KnownSignInAddress)
                .values(user_id=opened.id, address=address, last_signed_in_at=utcnow())
                .on_conflict_do_update(
                    index_elements=["user_id", "address"], set_={"last_signed_in_at": utcnow()}
                )
            )
    return opened


@dataclass(frozen=True, slots=True)
class PasswordAttempt:
    """Where a password is being tried from, and what counts the attempt: what a service needs to
    check a person's password the throttled way. Transports make one per request
    (`app.auth.dependencies.password_attempt`)."""

    factory: async_sessionmaker[AsyncSession]
    settings: Settings
    address: str

    async def check(self, user: User, password: str) -> bool:
        """Whether `password` is `user`'s; counted, and `RateLimited` while locked out. The address is
        not remembered as the user's: only a sign-in does that."""
        opened = await check_passwords(
            self.factory,
            self.settings,
            email=user.email,
            accounts=[user],
            password=password,
            address=self.address,
            remember=False,
        )
        return opened is not None


def address_key(address: str) -> str:
    return f"address:{address}"


async def _is_known(session: AsyncSession, user_ids: list[uuid.UUID], address: str) -> bool:
    found = await session.scalar(
        select(func.count())
        .select_from(KnownSignInAddress)
        .where(any_of(KnownSignInAddress.user_id, user_ids), KnownSignInAddress.address == address)
    )
    return bool(found)


async def locked_for(session: AsyncSession, keys: list[str]) -> int | None:
    """Seconds until the last of `keys`' locks ends, or None when none is locked."""
    now = utcnow()
    locked_until = await session.scalar(
        select(func.max(LoginThrottle.locked_until)).where(
            any_of(LoginThrottle.key, keys), LoginThrottle.locked_until > now
        )
    )
    if locked_until is None:
        return None
    return max(1, int((locked_until - now).total_seconds()))


async def refuse_if_locked(session: AsyncSession, keys: list[str]) -> None:
    retry_after = await locked_for(session, keys)
    if retry_after is not None:
        raise RateLimited(
            f"Too many failed attempts; try again in {retry_after} seconds.",
            extra={"retry_after": retry_after},
        )


async def record_failure(session: AsyncSession, key: str, settings: Settings, limit: int) -> None:
    """Count one failure for `key` in the current window; lock the key when it reaches `limit`, for
    twice as long as its previous lock (up to the maximum)."""
    now = utcnow()
    await session.execute(
        insert(LoginThrottle).values(key=key, failures=0, window_started_at=now).on_conflict_do_nothing()
    )
    row = (
        await session.execute(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    ).scalar_one()
    if row.window_started_at < now - timedelta(seconds=settings.login_window_seconds):
        row.failures, row.window_started_at = 0, now
        # Back-off is forgiven once a whole maximum lock has passed without a new one.
        if row.locked_until is None or row.locked_until < now - timedelta(
            seconds=settings.login_max_lockout_seconds
        ):
            row.lockouts = 0
    row.failures += 1
    if row.failures >= limit:
        seconds = min(
            settings.login_lockout_seconds * 2 ** min(row.lockouts, 30), settings.login_max_lockout_seconds
        )
        row.locked_until = now + timedelta(seconds=seconds)
        row.lockouts += 1
        row.failures, row.window_started_at = 0, now
