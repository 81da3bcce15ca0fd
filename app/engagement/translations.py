"""Families' languages: translations of activities, their invitations and "you said, we did".

The rules:
- Translations are entered by people, never made by a machine: only a signed-in person enters one
  (an API client gets `PermissionDenied`), and each translated field keeps who entered it and when.
  They are stored with the text they translate (the row's `translations`), so a read needs no join.
- An activity's title, summary and invitation are translated by those who run it (`ACTIVITY_MANAGE`);
  an input's text and its "we did" answer by those who run its activity. A field without an original
  has nothing to translate (`ValidationFailed`). When an original changes afterwards, its translations
  stay but are marked `outdated`.
- A reader gets, per object, the first of their languages a translation exists in (RFC 4647 lookup
  over their `Accept-Language`, or else their own preferred language), with the original beside it;
  without a match, the original alone.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.policy import require_authenticated
from app.auth.principal import Principal, PrincipalKind
from app.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.languages import accepted_languages, canonical_tag
from app.core.pagination import Page
from app.core.repository import apply_changes
from app.engagement import service as engagement
from app.engagement.localize import ACTIVITY_FIELDS, INPUT_FIELDS, localized, notes, source_fingerprint
from app.engagement.models import Activity, Input
from app.engagement.schemas import (
    ActivityPublic,
    ActivityText,
    ActivityTranslation,
    InputPublic,
    InputText,
    InputTranslation,
)
from app.identity.models import Person, User

_MACHINE = "Translations are entered by people: sign in as the person who translated it."


def language_of_path(language: str) -> str:
    """A language tag from a request path, canonical; `ValidationFailed` when it is not BCP 47."""
    try:
        return canonical_tag(language)
    except ValueError as exc:
        raise ValidationFailed(
            "Not a language tag.", errors=[FieldError(("path", "language"), str(exc), "language_tag")]
        ) from None


async def reader_languages(session: AsyncSession, principal: Principal, requested: str | None) -> list[str]:
    """The languages a reader wants, most preferred first: what they asked for (an `Accept-Language`
    header, or a GraphQL `language` argument), or else their own preferred language."""
    wanted = accepted_languages(requested)
    if wanted or principal.kind is not PrincipalKind.USER or principal.id is None:
        return wanted
    preferred = await session.scalar(
        select(Person.preferred_language)
        .join(User, User.person_id == Person.id)
        .where(User.id == principal.id)
    )
    return [preferred] if preferred else []


async def _translator(session: AsyncSession, principal: Principal) -> uuid.UUID:
    require_authenticated(principal)
    person = None
    if principal.kind is PrincipalKind.USER and principal.id is not None:
        person = await session.scalar(select(User.person_id).where(User.id == principal.id))
    if person is None:
        raise PermissionDenied(_MACHINE)
    return person


def _entered(
    row: Any, fields: tuple[str, ...], language: str, values: dict[str, str | None], person: uuid.UUID
) -> dict[str, Any]:
    """The row's translations with `values` entered in `language` (a null removes that field)."""
    missing = [f for f, v in values.items() if v is not None and getattr(row, f) is None]
    if missing:
        raise ValidationFailed(
            "There is no original to translate.",
            errors=[FieldError((f,), "The original is empty.", "no_original") for f in missing],
        )
    if not values:
        raise ValidationFailed(
            "Give at least one translated field.",
            errors=[FieldError((fields[0],), "Nothing to enter.", "required")],
        )
    now = datetime.now(UTC).isoformat()
    translations = {lang: dict(entry) for lang, entry in (row.translations or {}).items()}
    entry = translations.setdefault(language, {})
    for field, text in values.items():
        if text is None:
            entry.pop(field, None)
        else:
            entry[field] = {
                "text": text,
                "entered_by_person_id": str(person),
                "entered_at": now,
                "source": source_fingerprint(getattr(row, field)),
            }
    if not entry:
        translations.pop(language)
    return translations


async def translate_activity(
    session: AsyncSession,
    principal: Principal,
    activity_id: uuid.UUID,
    language: str,
    data: ActivityTranslation,
) -> Activity:
    """Enter the activity's title, summary or invitation in `language` (those who run the activity).
    Raises `NotFound`, `PermissionDenied` (not a person, or not running it) and `ValidationFailed`."""
    return await _translate(
        session,
        principal,
        language,
        data,
        ACTIVITY_FIELDS,
        lambda: engagement._activity_for_update(session, principal, activity_id),
    )


async def remove_activity_translation(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, language: str
) -> Activity:
    """Take the activity's translation in `language` off (those who run it); `NotFound` if none."""
    language = language_of_path(language)
    await _translator(session, principal)
    activity = await engagement._activity_for_update(session, principal, activity_id)
    if language not in (activity.translations or {}):
        raise NotFound(f"The activity has no {language} translation.")
    apply_changes(
        activity, {"translations": {k: v for k, v in activity.translations.items() if k != language}}
    )
    await session.flush()
    return activity


async def translate_input(
    session: AsyncSession, principal: Principal, input_id: uuid.UUID, language: str, data: InputTranslation
) -> Input:
    """Enter an input's text or its "we did" answer in `language` (those who run its activity)."""
    return await _translate(
        session,
        principal,
        language,
        data,
        INPUT_FIELDS,
        lambda: engagement._input_for_update(session, principal, input_id),
    )


async def _translate(
    session: AsyncSession,
    principal: Principal,
    language: str,
    data: ActivityTranslation | InputTranslation,
    fields: tuple[str, ...],
    row_to_change: Callable[[], Awaitable[Any]],
) -> Any:
    """Enter the `fields` sent in `data` in `language` on the row `row_to_change` finds (and locks),
    once the principal is found to be a translator."""
    language = language_of_path(language)
    person = await _translator(session, principal)
    row = await row_to_change()
    translations = _entered(row, fields, language, data.model_dump(exclude_unset=True), person)
    apply_changes(row, {"translations": translations})
    await session.flush()
    return row


# --- reading in the reader's language ---------------------------------------------------------------


def activity_public(row: Any, wanted: Sequence[str]) -> ActivityPublic:
    """The activity as a reader of `wanted` languages gets it: their language where it exists, the
    original beside it."""
    return _as_read(row, wanted, ActivityPublic, ActivityText, ACTIVITY_FIELDS)


def input_public(row: Any, wanted: Sequence[str]) -> InputPublic:
    """The input as a reader of `wanted` languages gets it, the original beside it."""
    return _as_read(row, wanted, InputPublic, InputText, INPUT_FIELDS)


def _as_read(
    row: Any, wanted: Sequence[str], public_model: Any, text_model: Any, fields: tuple[str, ...]
) -> Any:
    """`row` as `public_model`, its translatable `fields` in the first of the `wanted` languages it has,
    with the original (`text_model`) beside them; which languages it has either way."""
    public = public_model.model_validate(row)
    language, texts = localized(row, fields, wanted)
    update: dict[str, Any] = {"translated": notes(row, fields)}
    if language is not None:
        update |= {**texts, "language": language, "original": text_model.model_validate(row)}
    return public.model_copy(update=update)


def localized_page(page: Page[Any], build: Any, wanted: Sequence[str]) -> Page[Any]:
    """A list page with each row as a reader of `wanted` languages gets it (`activity_public`,
    `input_public`)."""
    return dataclasses.replace(page, items=[build(row, wanted) for row in page.items])
