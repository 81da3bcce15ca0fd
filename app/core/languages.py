"""Language tags (BCP 47) and choosing a reader's language among the translations a text has.

A tag is validated as well-formed by RFC 5646's grammar (language, extended language, script, region,
variants, extensions, private use) and stored in its canonical case (`es`, `zh-Hant-TW`, `sr-Latn`,
`es-419`). Choosing follows RFC 4647 lookup over the reader's ranges in order of preference (an
`Accept-Language` header's quality values, or the person's preferred language): the first range with
a translation wins, a range also matching a more specific translation (`es` finds `es-MX`) and a
specific range falling back to its language (`es-MX` finds `es`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Annotated

from pydantic import AfterValidator

_TAG = re.compile(
    r"""^(?:
      (?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})
      (?:-(?P<script>[a-z]{4}))?
      (?:-(?P<region>[a-z]{2}|[0-9]{3}))?
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*
      (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*
      (?:-x(?:-[a-z0-9]{1,8})+)?
    |x(?:-[a-z0-9]{1,8})+)$""",
    re.VERBOSE,
)
MAX_LENGTH = 35


def canonical_tag(value: str) -> str:
    """`value` as a canonical BCP 47 tag; `ValueError` when it is not well-formed."""
    tag = value.strip().replace("_", "-").lower()
    match = _TAG.match(tag) if len(tag) <= MAX_LENGTH else None
    if match is None:
        raise ValueError("Give a BCP 47 language tag, such as `es`, `vi`, `zh-Hant` or `pt-BR`.")
    parts = tag.split("-")
    out = [parts[0]]
    private = parts[0] == "x"
    for part in parts[1:]:
        if part == "x":
            private = True
        if not private and len(part) == 4 and part.isalpha() and match["script"] == part:
            part = part.title()
        elif not private and len(part) == 2 and part.isalpha() and match["region"] == part:
            part = part.upper()
        out.append(part)
    return "-".join(out)


LanguageTag = Annotated[str, AfterValidator(canonical_tag)]


def accepted_languages(header: str | None) -> list[str]:
    """The ranges of an `Accept-Language` header, most preferred first (`*`, malformed ranges and
    q=0 dropped; at most 20 ranges read)."""
    if not header:
        return []
    ranges: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:20]):
        name, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0 or name.strip() in ("", "*"):
            continue
        try:
            ranges.append((-quality, index, canonical_tag(name)))
        except ValueError:
            continue
    return [tag for _, _, tag in sorted(ranges)]


def choose(wanted: Sequence[str], available: Iterable[str]) -> str | None:
    """The translation to serve: the first of the reader's `wanted` ranges that one of `available`
    answers (exactly, more specifically, or by the range's own language); None to serve the original."""
    have = {tag.lower(): tag for tag in available}
    if not have:
        return None
    for wanted_tag in wanted:
        key = wanted_tag.lower()
        if key in have:
            return have[key]
        more_specific = sorted(t for t in have if t.startswith(key + "-"))
        if more_specific:
            return have[more_specific[0]]
        parts = key.split("-")
        while len(parts) > 1:
            parts.pop()
            if "-".join(parts) in have:
                return have["-".join(parts)]
    return None
