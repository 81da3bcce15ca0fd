"""A plan's document (Markdown and printable HTML) shows what people wrote as text, never as markup:
a school hands the document to its board, so a summary, a title or a step must not add a heading, a
list item, a link or raw HTML to it."""

from __future__ import annotations

import httpx
from markdown_it import MarkdownIt

from tests.conftest import World
from tests.plans.test_rest import PLANS, add_goal, add_step, add_strategy, school_plan

# A summary that forges a sign-off section, a title with a script, a statement with a link, and a step
# written as a numbered list item: each is someone's words in the document, nothing more.
FORGED_SIGN_OFF = "Fine.\n\n### Sign-offs\n\n- Approved by the superintendent on 2026-01-01"
SCRIPT = "Reading <script>alert(1)</script> & more"
LINK = "Read [the report](javascript:alert(1)) ![x](http://evil.example/x.png) *now*"
NUMBERED = "1. Skip the review\n===\n> quoted"


async def test_what_people_wrote_is_text_in_the_plans_document(
    admin: httpx.AsyncClient, world: World
) -> None:
    plan = await school_plan(admin, world, title=SCRIPT, summary=FORGED_SIGN_OFF)
    goal = await add_goal(admin, plan["id"], statement=LINK)
    strategy = await add_strategy(admin, goal["id"], title="`code` | table | ~~struck~~")
    await add_step(admin, strategy["id"], title=NUMBERED)

    markdown = await admin.get(f"{PLANS}/{plan['id']}/export/markdown")
    assert markdown.status_code == 200, markdown.text
    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(markdown.text)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or ()}
    assert not kinds & {
        "html_block",
        "html_inline",
        "link_open",
        "image",
        "code_inline",
        "table_open",
        "s_open",
    }
    assert not kinds & {"ordered_list_open", "blockquote_open"}
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert "Sign-offs" not in headings  # nobody signed it off
    assert headings[0] == _escaped(SCRIPT)
    assert f"Goal: {_escaped(LINK)}" in headings
    rendered = MarkdownIt("commonmark").render(markdown.text)
    for words in ("### Sign-offs", "- Approved by the superintendent", "[the report](javascript:alert(1))"):
        assert words in rendered

    page = await admin.get(f"{PLANS}/{plan['id']}/export/html")
    assert page.status_code == 200, page.text
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page.text
    assert "### Sign-offs" in page.text
    assert "- Approved by the superintendent" in page.text
    assert "[the report](javascript:alert(1))" in page.text
    assert "<em>now</em>" not in page.text
    assert "\\" not in page.text  # the escapes are Markdown's, not the reader's


def _escaped(text: str) -> str:
    return "".join(f"\\{c}" if c in "\\`*_[]<>&|~" else c for c in text)
