"""Webhook subscriptions over GraphQL: the same service and rules as REST."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from strawberry import relay

from app.auth.principal import SYSTEM
from app.core.db import session_scope
from app.identity.models import Role
from app.webhooks.models import WebhookDelivery, WebhookEvent
from tests.conftest import GraphQLClient, Tokens, World

CREATE = """
mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    subscription { databaseId url eventTypes enabled version }
    secret
    userErrors { field message code }
  }
}"""
LIST = "{ webhookSubscriptions { edges { node { databaseId url eventTypes } } } }"


async def test_a_client_subscribes_lists_changes_and_deletes_over_graphql(
    gql: GraphQLClient, tokens: Tokens
) -> None:
    gql.headers = await tokens.client_headers("A", "read")
    made = (await gql(CREATE, {"input": {"url": "https://1.1.1.1/hooks", "eventTypes": ["plan.approved"]}}))[
        "createWebhookSubscription"
    ]
    assert made["userErrors"] == []
    assert made["secret"].startswith("whsec_")
    sub_id = made["subscription"]["databaseId"]
    listed = (await gql(LIST))["webhookSubscriptions"]["edges"]
    assert [e["node"]["databaseId"] for e in listed] == [sub_id]
    changed = (
        await gql(
            """mutation($input: UpdateWebhookSubscriptionInput!) {
              updateWebhookSubscription(input: $input) { subscription { eventTypes version } userErrors { code } }
            }""",
            {"input": {"id": sub_id, "eventTypes": ["plan.closed"], "expectedVersion": 1}},
        )
    )["updateWebhookSubscription"]
    assert changed == {"subscription": {"eventTypes": ["plan.closed"], "version": 2}, "userErrors": []}
    # Another client sees nothing of it.
    gql.headers = await tokens.client_headers("A", "roster")
    assert (await gql(LIST))["webhookSubscriptions"]["edges"] == []
    gone = await gql(
        "mutation($id: UUID!) { deleteWebhookSubscription(id: $id) { deletedId userErrors { code } } }",
        {"id": sub_id},
    )
    assert gone["deleteWebhookSubscription"] == {"deletedId": None, "userErrors": [{"code": "not_found"}]}
    gql.headers = await tokens.client_headers("A", "read")
    gone = await gql(
        "mutation($id: UUID!) { deleteWebhookSubscription(id: $id) { deletedId userErrors { code } } }",
        {"id": sub_id},
    )
    assert gone["deleteWebhookSubscription"] == {"deletedId": sub_id, "userErrors": []}


async def test_refusals_are_user_errors_naming_the_field(gql: GraphQLClient, tokens: Tokens) -> None:
    gql.headers = await tokens.client_headers("A", "roster")
    refused = (
        await gql(CREATE, {"input": {"url": "https://127.0.0.1/x", "eventTypes": ["sync_run.finished"]}})
    )["createWebhookSubscription"]
    assert refused["subscription"] is None
    assert refused["userErrors"][0]["field"] == ["input", "url"]
    refused = (await gql(CREATE, {"input": {"url": "https://1.1.1.1/x", "eventTypes": ["plan.approved"]}}))[
        "createWebhookSubscription"
    ]
    assert refused["userErrors"] == [
        {
            "field": ["input", "eventTypes", "0"],
            "message": "plan.approved needs more scopes.",
            "code": "scope",
        }
    ]
    assert refused["secret"] is None


NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
DELIVERIES = """
query($subscription: ID) {
  webhookDeliveries(subscriptionGlobalId: $subscription) {
    totalCount edges { node { id eventType subscription { id apiClient { name } } } }
  }
}"""


async def test_subscriptions_and_deliveries_are_nodes_for_whoever_manages_them(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens
) -> None:
    """`node(id:)` follows the REST reads: the subscribing client and its district's admins read a
    subscription and its deliveries; another client, and another district's admin, get null."""
    gql.headers = await tokens.client_headers("A", "read")
    made = await gql(
        CREATE_NODE, {"input": {"url": "https://1.1.1.1/hooks", "eventTypes": ["plan.approved"]}}
    )
    subscription = made["createWebhookSubscription"]["subscription"]
    async with session_scope(app.state.session_factory, SYSTEM) as session:
        event = WebhookEvent(
            district_id=world.district_id("A"), type="plan.approved", subject_id=uuid.uuid4()
        )
        session.add(event)
        await session.flush()
        delivery = WebhookDelivery(
            district_id=event.district_id,
            subscription_id=uuid.UUID(subscription["databaseId"]),
            event_id=event.id,
        )
        session.add(delivery)
    delivery_id = str(relay.GlobalID("WebhookDelivery", str(delivery.id)))
    ids = {"WebhookSubscription": subscription["id"], "WebhookDelivery": delivery_id}

    for who, sees in [
        (await tokens.client_headers("A", "read"), True),
        (await tokens.headers("A", Role.DISTRICT_ADMIN), True),
        (await tokens.client_headers("A", "roster"), False),
        (await tokens.headers("A", Role.TEACHER), False),
        (await tokens.headers("B", Role.DISTRICT_ADMIN), False),
    ]:
        gql.headers = who
        for type_name, global_id in ids.items():
            found = (await gql(NODE, {"id": global_id}))["node"]
            assert found == ({"__typename": type_name, "id": global_id} if sees else None), (who, type_name)

    gql.headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    log = (await gql(DELIVERIES, {"subscription": subscription["id"]}))["webhookDeliveries"]
    assert log["totalCount"] == 1
    [edge] = log["edges"]
    assert edge["node"]["id"] == delivery_id
    assert edge["node"]["eventType"] == "plan.approved"
    assert edge["node"]["subscription"]["id"] == subscription["id"]
    assert edge["node"]["subscription"]["apiClient"]["name"]


async def test_a_subscription_is_named_by_its_global_id_or_its_deprecated_uuid(
    gql: GraphQLClient, tokens: Tokens
) -> None:
    gql.headers = await tokens.client_headers("A", "read")
    made = await gql(
        CREATE_NODE, {"input": {"url": "https://1.1.1.1/hooks", "eventTypes": ["plan.approved"]}}
    )
    subscription = made["createWebhookSubscription"]["subscription"]
    neither = await gql(
        "mutation { deleteWebhookSubscription { deletedGlobalId userErrors { field code } } }"
    )
    assert neither["deleteWebhookSubscription"]["deletedGlobalId"] is None
    [error] = neither["deleteWebhookSubscription"]["userErrors"]
    assert (error["field"], error["code"]) == (["subscriptionGlobalId"], "required")
    gone = await gql(
        "mutation($id: ID) { deleteWebhookSubscription(subscriptionGlobalId: $id) { deletedGlobalId userErrors { code } } }",
        {"id": subscription["id"]},
    )
    assert gone["deleteWebhookSubscription"] == {"deletedGlobalId": subscription["id"], "userErrors": []}


CREATE_NODE = """
mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { subscription { id databaseId } userErrors { code } }
}"""
