"""The delivery worker: fans outbox events out to subscriptions and sends them, signed, with retries.

Every step claims its rows with `FOR UPDATE SKIP LOCKED`, so any number of workers (one inside each
`triangle serve` process, or `triangle worker` processes on their own) share the work and never hold
the same row: a delivery is sent by one worker at a time. The lock is held while the request is in
flight, so a worker that dies mid-send leaves the delivery pending for the next one (at-least-once;
receivers deduplicate by `webhook-id`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.policy import scopes_cover
from app.auth.principal import SYSTEM
from app.core.config import Settings
from app.core.db import session_scope
from app.core.models import utcnow
from app.identity.models import ApiClient
from app.initiatives.models import Indicator
from app.monitoring import measurements
from app.webhooks import addresses, signing
from app.webhooks.events import EVENT_ACTIONS, LINKS, EventType, emit
from app.webhooks.models import (
    DeliveryStatus,
    IndicatorStatusSeen,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
# Checkpoints that fell due before this many days ago raise no event: a worker started for the first
# time does not flood receivers with a school year of old reviews.
CHECKPOINT_DUE_LOOKBACK_DAYS = 7

# A checkpoint falls due on its date in its district's time zone.
_CHECKPOINTS_DUE = text(
    """
    INSERT INTO webhook_event (id, created_at, updated_at, district_id, type, subject_id, data, dedup_key)
    SELECT gen_random_uuid(), now(), now(), c.district_id, 'checkpoint.due', c.id,
           jsonb_build_object('plan_id', c.plan_id::text, 'scheduled_on', c.scheduled_on::text),
           'checkpoint.due:' || c.id::text || ':' || c.scheduled_on::text
    FROM review_checkpoint c
    JOIN district d ON d.id = c.district_id
    WHERE c.held_on IS NULL
      AND c.scheduled_on <= CAST(now() AT TIME ZONE d.timezone AS date)
      AND c.scheduled_on > CAST(now() AT TIME ZONE d.timezone AS date) - CAST(:lookback AS integer)
    ON CONFLICT (dedup_key) DO NOTHING
    """
)
# Sent deliveries and fanned-out events are kept this long for the delivery log, then removed.
_PRUNE = (
    text(
        "DELETE FROM webhook_delivery WHERE status <> 'pending' "
        "AND updated_at < now() - make_interval(days => CAST(:days AS integer))"
    ),
    text(
        "DELETE FROM webhook_event e WHERE e.dispatched_at < now() - make_interval(days => CAST(:days AS integer)) "
        "AND NOT EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.event_id = e.id)"
    ),
)
# The worker is also the installation's housekeeper: open-data request counters of addresses not seen
# for a day go (a counter only matters for its minute).
_PRUNE_RATES = text("DELETE FROM open_data_rate WHERE window_started_at < now() - interval '1 day'")
# Idempotency keys past their 24 hours answer nothing any more (a returning one is claimed afresh):
# removing them keeps the table to a day of creating requests.
_PRUNE_IDEMPOTENCY_KEYS = text("DELETE FROM idempotency_key WHERE expires_at < now()")


@dataclass
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Worker:
    """One delivery worker. `run_once` does one round of every step; `run` loops until stopped."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        batch: int = 20,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.batch = batch
        self._http = http

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set, sleeping `webhook_poll_seconds` when there was nothing to do, and
        pruning old log entries about once an hour."""
        pruned_at = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - pruned_at > 3600:
                    await self.prune()
                    pruned_at = time.monotonic()
                busy = await self.run_once()
            except Exception:  # a bad round must not end the worker; the next one retries
                logger.exception("webhook worker round failed")
                busy = 0
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.webhook_poll_seconds)

    async def run_once(self) -> int:
        """Raise due checkpoints, fan out new events, send due deliveries. Returns how much was done."""
        await self.raise_due_checkpoints()
        done = await self.dispatch()
        done += await self.deliver_due()
        return done

    async def raise_due_checkpoints(self) -> None:
        async with session_scope(self.session_factory, SYSTEM) as session:
            await session.execute(_CHECKPOINTS_DUE, {"lookback": CHECKPOINT_DUE_LOOKBACK_DAYS})

    async def prune(self) -> None:
        """Remove what the delivery log no longer needs (`webhook_retention_days`), stale open-data
        counters and expired idempotency keys."""
        async with session_scope(self.session_factory, SYSTEM) as session:
            for statement in _PRUNE:
                await session.execute(statement, {"days": self.settings.webhook_retention_days})
            await session.execute(_PRUNE_RATES)
            await session.execute(_PRUNE_IDEMPOTENCY_KEYS)

    async def dispatch(self) -> int:
        """Turn undispatched events into one delivery per enabled subscription that asked for them, and
        raise `indicator.status_changed` where a measurement moved an indicator's status."""
        async with session_scope(self.session_factory, SYSTEM) as session:
            events = list(
                (
                    await session.execute(
                        select(WebhookEvent)
                        .where(WebhookEvent.dispatched_at.is_(None))
                        .order_by(WebhookEvent.created_at, WebhookEvent.id)
                        .limit(500)
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            )
            if not events:
                return 0
            districts = {e.district_id for e in events}
            subscriptions = (
                await session.execute(
                    select(WebhookSubscription, ApiClient.scopes)
                    .join(ApiClient, ApiClient.id == WebhookSubscription.api_client_id)
                    .where(
                        WebhookSubscription.district_id.in_(districts),
                        WebhookSubscription.enabled.is_(True),
                        ApiClient.revoked_at.is_(None),
                    )
                )
            ).all()
            rows = []
            now = utcnow()
            for event in events:
                action = EVENT_ACTIONS[EventType(event.type)]
                for subscription, scopes in subscriptions:
                    if (
                        subscription.district_id == event.district_id
                        and event.type in subscription.event_types
                        and scopes_cover(scopes, action)
                    ):
                        rows.append(
                            {
                                "id": uuid.uuid4(),
                                "created_at": now,
                                "updated_at": now,
                                "district_id": event.district_id,
                                "subscription_id": subscription.id,
                                "event_id": event.id,
                                "status": DeliveryStatus.PENDING,
                                "attempts": 0,
                                "next_attempt_at": now,
                            }
                        )
                event.dispatched_at = now
            if rows:
                await session.execute(
                    pg_insert(WebhookDelivery).on_conflict_do_nothing(
                        index_elements=["subscription_id", "event_id"]
                    ),
                    rows,
                )
            await self._indicator_changes(session, events)
            return len(events)

    async def _indicator_changes(self, session: AsyncSession, events: list[WebhookEvent]) -> None:
        wanted = {
            uuid.UUID(e.data["indicator_id"])
            for e in events
            if e.type == EventType.MEASUREMENT_RECORDED and "indicator_id" in e.data
        }
        if not wanted:
            return
        indicators = list(
            (await session.execute(select(Indicator).where(Indicator.id.in_(wanted)))).scalars()
        )
        series = await measurements.series_of_indicators(session, indicators)
        seen = dict(
            (
                await session.execute(
                    select(IndicatorStatusSeen.indicator_id, IndicatorStatusSeen.status)
                    .where(IndicatorStatusSeen.indicator_id.in_(wanted))
                    .with_for_update()
                )
            ).all()
        )
        for indicator in indicators:
            status = measurements.assess(indicator, series[indicator.id]).status.value
            before = seen.get(indicator.id)
            if before == status:
                continue
            await session.execute(
                pg_insert(IndicatorStatusSeen)
                .values(indicator_id=indicator.id, district_id=indicator.district_id, status=status)
                .on_conflict_do_update(index_elements=["indicator_id"], set_={"status": status})
            )
            emit(
                session,
                indicator.district_id,
                EventType.INDICATOR_STATUS_CHANGED,
                indicator.id,
                status=status,
                previous_status=before,
            )
        await session.flush()

    async def deliver_due(self) -> int:
        """Send up to `batch` due deliveries at once, holding their rows locked until each is recorded."""
        async with session_scope(self.session_factory, SYSTEM) as session:
            claimed = (
                await session.execute(
                    select(WebhookDelivery, WebhookEvent, WebhookSubscription, ApiClient)
                    .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                    .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                    .join(ApiClient, ApiClient.id == WebhookSubscription.api_client_id)
                    .where(
                        WebhookDelivery.status == DeliveryStatus.PENDING,
                        WebhookDelivery.next_attempt_at <= utcnow(),
                    )
                    .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                    .limit(self.batch)
                    .with_for_update(of=WebhookDelivery, skip_locked=True)
                )
            ).all()
            if not claimed:
                return 0
            outcomes = await asyncio.gather(*(self._send(e, s, c) for _, e, s, c in claimed))
            for (delivery, _, subscription, _), outcome in zip(claimed, outcomes, strict=True):
                await self._record(session, delivery, subscription, outcome)
            return len(claimed)

    async def _send(
        self, event: WebhookEvent, subscription: WebhookSubscription, client: ApiClient
    ) -> Outcome:
        started = time.perf_counter()

        def done(status_code: int | None, error: str | None) -> Outcome:
            return Outcome(status_code, error, int((time.perf_counter() - started) * 1000))

        # The client may have lost the scope, or been revoked, since the event was fanned out.
        if client.revoked_at is not None or not scopes_cover(
            client.scopes, EVENT_ACTIONS[EventType(event.type)]
        ):
            return done(None, "skipped: the client's scopes no longer cover this event")
        try:
            resolved = await addresses.check_url(
                subscription.url, allow_private=self.settings.webhook_allow_private_addresses
            )
        except addresses.RefusedAddress as exc:
            return done(None, f"refused: {exc}")
        body = json.dumps(payload(event, self.settings.public_base_url), separators=(",", ":")).encode()
        headers = signing.headers(subscription.secret, str(event.id), body)
        url, extensions = subscription.url, {}
        if resolved:  # connect to the address just checked, not to whatever DNS answers next
            url, headers["host"], sni = addresses.pinned(subscription.url, resolved[0])
            extensions = {"sni_hostname": sni}
        try:
            response = await self._client().post(url, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            return done(None, f"{type(exc).__name__}: {exc}"[:500])
        return done(response.status_code, None if response.is_success else response.text[:500])

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
            )
        return self._http

    async def _record(
        self,
        session: AsyncSession,
        delivery: WebhookDelivery,
        subscription: WebhookSubscription,
        outcome: Outcome,
    ) -> None:
        now = utcnow()
        session.add(
            WebhookAttempt(
                district_id=delivery.district_id,
                delivery_id=delivery.id,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            if subscription.failing_since is not None:
                await session.refresh(subscription, with_for_update=True)
                subscription.failing_since = None
            await session.flush()
            return
        if outcome.error and outcome.error.startswith("skipped:"):
            delivery.status = DeliveryStatus.FAILED
            await session.flush()
            return
        delay = min(
            self.settings.webhook_retry_base_seconds * 2 ** (delivery.attempts - 1),
            self.settings.webhook_retry_max_seconds,
        )
        delivery.next_attempt_at = now + timedelta(seconds=delay * random.uniform(0.9, 1.1))  # noqa: S311 (jitter, not a secret)
        await session.refresh(subscription, with_for_update=True)
        if subscription.failing_since is None:
            subscription.failing_since = now
        elif (
            now - subscription.failing_since
        ).total_seconds() >= self.settings.webhook_disable_after_seconds:
            await self._disable(session, subscription)
        await session.flush()

    async def _disable(self, session: AsyncSession, subscription: WebhookSubscription) -> None:
        """A day of failures: stop sending, and give up on what is pending (redeliver after enabling)."""
        subscription.enabled = False
        subscription.disabled_reason = "Every delivery failed for a day."
        subscription.version += 1
        await session.execute(
            WebhookDelivery.__table__.update()  # type: ignore[attr-defined]
            .where(
                WebhookDelivery.subscription_id == subscription.id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.FAILED, updated_at=utcnow())
        )
        logger.warning(
            "webhook subscription disabled after a day of failures",
            extra={"subscription": str(subscription.id)},
        )

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


def payload(event: WebhookEvent, base_url: str) -> dict[str, Any]:
    """The body of an event: its type, when it happened, and ids with a link (never content)."""
    event_type = EventType(event.type)
    link = base_url.rstrip("/") + API_PREFIX + LINKS[event_type].format(id=event.subject_id)
    return {
        "type": event_type.value,
        "timestamp": event.created_at.isoformat(),
        "data": {"id": str(event.subject_id), **event.data, "link": link},
    }
