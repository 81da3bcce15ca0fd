"""Reading a row in the reader's language: pure functions over the translations stored with the text
(see `app.engagement.translations` for how they are entered)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.core.languages import choose
from app.engagement.schemas import TranslationNote

ACTIVITY_FIELDS = ("title", "summary", "invitation")
INPUT_FIELDS = ("text", "response")


def source_fingerprint(text: str | None) -> str:
    """A fingerprint of the original a translation was made from, to tell when it is outdated."""
    return hashlib.sha256((text or "").encode()).hexdigest()[:16]


def notes(row: Any, fields: tuple[str, ...]) -> list[TranslationNote]:
    """Every translated field of the row, with who entered it and whether its original changed since."""
    return [
        TranslationNote(
            language=language,
            field=field,
            entered_by_person_id=uuid.UUID(entry["entered_by_person_id"]),
            entered_at=datetime.fromisoformat(entry["entered_at"]),
            outdated=entry.get("source") != source_fingerprint(getattr(row, field)),
        )
        for language, entries in sorted((row.translations or {}).items())
        for field, entry in entries.items()
        if field in fields
    ]


def localized(row: Any, fields: tuple[str, ...], wanted: Sequence[str]) -> tuple[str | None, dict[str, Any]]:
    """The language to serve the row in (None: the original) and its fields' text in it: a field the
    translation lacks keeps its original."""
    language = choose(wanted, (row.translations or {}).keys())
    texts = {field: getattr(row, field) for field in fields}
    if language is not None:
        for field, entry in row.translations[language].items():
            if field in texts and texts[field] is not None:
                texts[field] = entry["text"]
    return language, texts
