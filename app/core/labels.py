"""Enum values in words, for text people read (findings, charts, documents): `too_few_runs` is
"too few runs", `co_designing` is "co-designing", `ihi` is "IHI". Codes stay codes in the data; only
sentences use these."""

from __future__ import annotations

from enum import Enum

# Values whose words are not their code with spaces.
SPECIAL = {"ihi": "IHI", "anhoej": "Anhøj"}


def label(value: Enum | str) -> str:
    text = str(value.value if isinstance(value, Enum) else value)
    if text in SPECIAL:
        return SPECIAL[text]
    words = text.split("_")
    out: list[str] = []
    i = 0
    while i < len(words):
        if words[i] == "co" and i + 1 < len(words):
            out.append(f"co-{words[i + 1]}")
            i += 2
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)
