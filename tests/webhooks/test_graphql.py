"""Webhook subscriptions over GraphQL: the same service and rules as REST."""

from __future__ import annotations

from tests.conftest import GraphQLClient, Tokens

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
