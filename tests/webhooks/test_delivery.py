"""Webhook delivery end to end, to a real HTTP receiver on loopback: every event type arrives signed
and verifiable, failures are retried, two workers never send one event twice at once, a rolled-back
write sends nothing, and a day of failures disables the subscription."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy import update as sql_update

from app.auth.principal import Grant, Principal, PrincipalKind
from app.core.config import Settings
from app.core.db import session_scope
from app.core.models import utcnow
from app.engagement import service as engagement
from app.engagement.schemas import InputCreate
from app.identity.models import Role
from app.main import create_app
from app.webhooks import addresses, signing
from app.webhooks.events import EventType
from app.webhooks.models import WebhookEvent, WebhookSubscription
from app.webhooks.worker import Worker
from tests.conftest import Tokens, World
from tests.engagement.test_rest import add_input, create_activity, participate, update_input
from tests.initiatives.test_rest import create_stakeholder, get_json, list_all, patch
from tests.plans.test_rest import approved_plan, days, propose, update, update_plan
from tests.webhooks.receiver import Receiver

API = "/api/v1"
SUBSCRIPTIONS = f"{API}/webhook-subscriptions"
Json = dict[str, Any]


@pytest.fixture(scope="module")
def hook_application(app_settings: Settings) -> FastAPI:
    """The app with private addresses allowed (the receiver is on loopback) and no retry delay."""
    return create_app(
        app_settings.model_copy(
            update={
                "webhook_allow_private_addresses": True,
                "webhook_retry_base_seconds": 0.0,
                "webhook_retry_max_seconds": 0.0,
            }
        )
    )


@pytest.fixture
async def app(hook_application: FastAPI, settings: Settings) -> AsyncIterator[FastAPI]:
    async with hook_application.router.lifespan_context(hook_application):
        yield hook_application


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    started = await Receiver().start()
    yield started
    await started.stop()


@pytest.fixture
async def worker(app: FastAPI) -> AsyncIterator[Worker]:
    made = Worker(app.state.session_factory, app.state.settings)
    yield made
    await made.aclose()


@pytest.fixture
async def leader(client: httpx.AsyncClient, tokens: Tokens) -> httpx.AsyncClient:
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    return client


async def subscribe(
    client: httpx.AsyncClient, tokens: Tokens, url: str, event_types: list[str] | None = None
) -> Json:
    """The `read` client of district A subscribes itself."""
    response = await client.post(
        SUBSCRIPTIONS,
        json={"url": url, "event_types": event_types or [t.value for t in EventType]},
        headers=await tokens.client_headers("A", "read"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["secret"].startswith("whsec_")
    return response.json()


async def drain(*workers: Worker, rounds: int = 10) -> None:
    """Run the workers until a round finds nothing to do."""
    for _ in range(rounds):
        done = await asyncio.gather(*(w.run_once() for w in workers))
        if not any(done):
            return
    raise AssertionError("the workers never ran out of work")


async def sync_students(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.put(
        f"{API}/sync/students",
        json={"records": [{"sourcedId": "stu-1", "school": "a-es", "grade": "03"}]},
        headers=await tokens.client_headers("A", "roster"),
    )
    assert response.status_code == 200, response.text


async def test_every_event_type_arrives_signed_with_ids_and_a_link_only(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, receiver: Receiver, worker: Worker
) -> None:
    subscription = await subscribe(leader, tokens, receiver.url)
    plan, parts = await approved_plan(leader, tokens, world)  # plan.submitted, plan.approved
    checkpoint = (
        await leader.post(f"{API}/plans/{plan['id']}/checkpoints", json={"scheduled_on": days(-1)})
    ).json()
    session = await create_activity(leader, plan_id=plan["id"], status="held")
    parents = await create_stakeholder(leader, "Parents")
    said = await participate(leader, session["id"], stakeholder_id=parents["id"])
    idea = await add_input(leader, session["id"], said["id"], text="Reading nights for families.")
    await update_input(leader, idea, disposition="adopted", response="We hold them monthly.")
    revision = await propose(leader, plan, [update("goal", parts["goal"]["id"], statement="Proficiency 65%")])
    response = await leader.post(f"{API}/plan-revisions/{revision['id']}/reject", json={"note": "Not yet."})
    assert response.status_code == 200, response.text
    indicator = parts["goal"]["indicator"]["id"]
    response = await leader.post(
        f"{API}/indicators/{indicator}/measurements", json={"value": 45, "measured_on": days(-1)}
    )
    assert response.status_code == 201, response.text
    plan = await update_plan(leader, await get_json(leader, f"{API}/plans/{plan['id']}"), status="active")
    await drain(worker)  # checkpoint.due is raised by the worker, before it is held
    await patch(leader, f"{API}/checkpoints/{checkpoint['id']}", checkpoint, held_on=days(0))
    await update_plan(leader, plan, status="closed")
    await sync_students(leader, tokens)
    await drain(worker)

    by_type = {r.json["type"]: r for r in receiver.received}
    assert set(by_type) == {t.value for t in EventType}
    assert len(receiver.received) == len({r.headers["webhook-id"] for r in receiver.received})
    for received in receiver.received:
        assert signing.verify(subscription["secret"], received.headers, received.body)
        assert not signing.verify(signing.new_secret(), received.headers, received.body)
        data = received.json["data"]
        assert data["link"].endswith(data["id"])
        # Ids and a link, never content: every other value is an id, a status, an entity or a date.
        assert set(data) <= {
            "id",
            "link",
            "plan_id",
            "school_id",
            "activity_id",
            "indicator_id",
            "entity",
            "status",
            "previous_status",
            "scheduled_on",
        }
    assert by_type["plan.approved"].json["data"]["id"] == plan["id"]
    assert by_type["input.answered"].json["data"]["id"] == idea["id"]
    assert "Reading nights" not in b"".join(r.body for r in receiver.received).decode()
    # A tampered body does not verify.
    sample = by_type["plan.closed"]
    assert not signing.verify(
        subscription["secret"], sample.headers, sample.body.replace(b"closed", b"active")
    )


async def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(
    client: httpx.AsyncClient, tokens: Tokens, receiver: Receiver, worker: Worker
) -> None:
    subscription = await subscribe(client, tokens, receiver.url, ["sync_run.finished"])
    receiver.answers = [500, 503]
    await sync_students(client, tokens)
    await drain(worker)
    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # the same message each time
    headers = await tokens.client_headers("A", "read")
    (delivery,) = await list_all(client, f"{SUBSCRIPTIONS}/{subscription['id']}/deliveries", headers)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("delivered", 3, 204)
    attempts = await list_all(client, f"{API}/webhook-deliveries/{delivery['id']}/attempts", headers)
    assert [a["status_code"] for a in attempts] == [500, 503, 204]
    # Manual redelivery sends it once more, with the same id.
    response = await client.post(f"{API}/webhook-deliveries/{delivery['id']}/redeliver", headers=headers)
    assert response.status_code == 200, response.text
    await drain(worker)
    assert len(receiver.received) == 4
    assert receiver.received[-1].headers["webhook-id"] == receiver.received[0].headers["webhook-id"]


async def test_two_workers_never_deliver_one_event_twice(
    client: httpx.AsyncClient, tokens: Tokens, receiver: Receiver, app: FastAPI
) -> None:
    await subscribe(client, tokens, receiver.url, ["sync_run.finished"])
    for _ in range(12):
        await sync_students(client, tokens)
    receiver.delay = 0.02  # sends overlap in flight
    workers = [Worker(app.state.session_factory, app.state.settings, batch=3) for _ in range(2)]
    try:
        await drain(*workers, rounds=20)
    finally:
        for w in workers:
            await w.aclose()
    counts = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert len(counts) == 12
    assert set(counts.values()) == {1}


async def test_a_rolled_back_write_sends_nothing(
    admin: httpx.AsyncClient, tokens: Tokens, world: World, receiver: Receiver, worker: Worker, app: FastAPI
) -> None:
    await subscribe(admin, tokens, receiver.url, ["input.recorded"])
    activity = await create_activity(admin, status="held")
    said = await participate(
        admin, activity["id"], stakeholder_id=(await create_stakeholder(admin, "Parents"))["id"]
    )
    user_id, email = world.user("A", Role.DISTRICT_ADMIN)
    principal = Principal(
        kind=PrincipalKind.USER,
        id=user_id,
        district_id=world.district_id("A"),
        grants=(Grant(Role.DISTRICT_ADMIN),),
        label=email,
    )
    body = InputCreate(participation_id=said["id"], kind="idea", text="Saturdays.")

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned):
        async with session_scope(app.state.session_factory, principal) as session:
            await engagement.add_input(session, principal, activity["id"], body)
            await session.flush()  # the event row was written, then the transaction rolls back
            raise Abandoned
    await drain(worker)
    assert receiver.received == []
    async with app.state.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    # The same write committed is sent.
    async with session_scope(app.state.session_factory, principal) as session:
        recorded = await engagement.add_input(session, principal, activity["id"], body)
    await drain(worker)
    assert [r.json["data"]["id"] for r in receiver.received] == [str(recorded.id)]


async def test_a_day_of_failures_disables_the_subscription_until_enabled_again(
    client: httpx.AsyncClient, tokens: Tokens, receiver: Receiver, worker: Worker, app: FastAPI
) -> None:
    subscription = await subscribe(client, tokens, receiver.url, ["sync_run.finished"])
    headers = await tokens.client_headers("A", "read")
    receiver.answers = [500]
    await sync_students(client, tokens)
    await worker.dispatch()
    await worker.deliver_due()
    async with session_scope(app.state.session_factory) as session:
        await session.execute(
            sql_update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription["id"])
            .values(failing_since=utcnow() - timedelta(days=1, seconds=1))
        )
    receiver.answers = [500]
    await drain(worker)
    assert len(receiver.received) == 2
    stored = await get_json(client, f"{SUBSCRIPTIONS}/{subscription['id']}", headers)
    assert (stored["enabled"], stored["disabled_reason"]) == (False, "Every delivery failed for a day.")
    (delivery,) = await list_all(client, f"{SUBSCRIPTIONS}/{subscription['id']}/deliveries", headers)
    assert delivery["status"] == "failed"
    await sync_students(client, tokens)  # nothing is sent to a disabled subscription
    await drain(worker)
    assert len(receiver.received) == 2
    response = await client.post(f"{API}/webhook-deliveries/{delivery['id']}/redeliver", headers=headers)
    assert response.status_code == 422, response.text
    await patch(client, f"{SUBSCRIPTIONS}/{subscription['id']}", stored, headers, enabled=True)
    response = await client.post(f"{API}/webhook-deliveries/{delivery['id']}/redeliver", headers=headers)
    assert response.status_code == 200, response.text
    await drain(worker)
    assert len(receiver.received) == 3
    assert receiver.received[-1].headers["webhook-id"] == receiver.received[0].headers["webhook-id"]


async def test_the_app_runs_a_worker_when_told_to_as_triangle_serve_does(
    client: httpx.AsyncClient, tokens: Tokens, receiver: Receiver, hook_application: FastAPI
) -> None:
    await subscribe(client, tokens, receiver.url, ["sync_run.finished"])
    await sync_students(client, tokens)
    serving = create_app(
        hook_application.state.settings.model_copy(
            update={"webhook_worker": True, "webhook_poll_seconds": 0.05}
        )
    )
    async with serving.router.lifespan_context(serving):
        for _ in range(200):
            if receiver.received:
                break
            await asyncio.sleep(0.05)
    assert [r.json["type"] for r in receiver.received] == ["sync_run.finished"]


async def test_a_checkpoint_falls_due_once_and_old_log_entries_are_pruned(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, receiver: Receiver, worker: Worker, app: FastAPI
) -> None:
    await subscribe(leader, tokens, receiver.url, ["checkpoint.due", "sync_run.finished"])
    plan, _ = await approved_plan(leader, tokens, world)
    due = (await leader.post(f"{API}/plans/{plan['id']}/checkpoints", json={"scheduled_on": days(-1)})).json()
    await leader.post(f"{API}/plans/{plan['id']}/checkpoints", json={"scheduled_on": days(3)})  # not yet
    await leader.post(f"{API}/plans/{plan['id']}/checkpoints", json={"scheduled_on": days(-30)})  # long past
    await drain(worker)
    await drain(worker)
    assert [r.json["data"]["id"] for r in receiver.received] == [due["id"]]
    await sync_students(leader, tokens)
    async with session_scope(app.state.session_factory) as session:
        # The checkpoint's delivery is two months old; the sync run's event is not even fanned out yet.
        await session.execute(
            text(
                "UPDATE webhook_delivery SET updated_at = now() - interval '60 days' WHERE status = 'delivered'"
            )
        )
        await session.execute(text("UPDATE review_checkpoint SET scheduled_on = scheduled_on - 60"))
        await session.execute(
            text(
                "UPDATE webhook_event SET dispatched_at = now() - interval '60 days' "
                "WHERE dispatched_at IS NOT NULL"
            )
        )
        await session.execute(
            text(
                "INSERT INTO open_data_rate VALUES ('192.0.2.1', now() - interval '2 days', 5), "
                "('192.0.2.2', now(), 5)"
            )
        )
        await session.execute(
            text(
                "INSERT INTO idempotency_key (id, caller, key, request_hash, created_at, expires_at) VALUES "
                "(gen_random_uuid(), 'user:d:p', 'spent', 'h', now() - interval '2 days', now() - interval '1 day'), "
                "(gen_random_uuid(), 'user:d:p', 'live', 'h', now(), now() + interval '1 day')"
            )
        )
    await worker.prune()
    async with app.state.session_factory() as session:
        kept = (await session.execute(text("SELECT type FROM webhook_event"))).scalars().all()
        deliveries = await session.scalar(text("SELECT count(*) FROM webhook_delivery"))
        counters = (await session.execute(text("SELECT address FROM open_data_rate"))).scalars().all()
        keys = (await session.execute(text("SELECT key FROM idempotency_key"))).scalars().all()
    assert kept == ["sync_run.finished"]
    assert keys == ["live"]
    assert deliveries == 0
    assert counters == ["192.0.2.2"]
    await drain(worker)
    assert [r.json["type"] for r in receiver.received] == ["checkpoint.due", "sync_run.finished"]


async def test_a_delivery_goes_to_the_address_that_was_checked_not_a_second_dns_answer(
    client: httpx.AsyncClient,
    tokens: Tokens,
    receiver: Receiver,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    # A host that resolves nowhere: only the pinned address can reach the receiver.
    await subscribe(client, tokens, f"http://hooks.example.invalid:{port}/hooks", ["sync_run.finished"])
    await sync_students(client, tokens)
    checked: list[str] = []

    async def check_url(url: str, *, allow_private: bool) -> list[str]:
        checked.append(url)
        return ["127.0.0.1"]  # as if the host had resolved to this (public) address when checked

    monkeypatch.setattr(addresses, "check_url", check_url)
    strict = Worker(
        app.state.session_factory,
        app.state.settings.model_copy(update={"webhook_allow_private_addresses": False}),
    )
    try:
        await drain(strict)
    finally:
        await strict.aclose()
    assert checked == [f"http://hooks.example.invalid:{port}/hooks"]
    (received,) = receiver.received
    assert received.headers["host"] == f"hooks.example.invalid:{port}"
    assert addresses.pinned("https://hooks.example.org/x?y=1", "203.0.113.9") == (
        "https://203.0.113.9/x?y=1",
        "hooks.example.org",
        "hooks.example.org",
    )
    assert addresses.pinned("https://hooks.example.org:8443/x", "2001:db8::1") == (
        "https://[2001:db8::1]:8443/x",
        "hooks.example.org:8443",
        "hooks.example.org",
    )
