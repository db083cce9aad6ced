"""Card text: cloze markers, tags, images. Pure string and byte checks, no database."""

from __future__ import annotations

import re

# Anki's cloze syntax: {{c1::answer}} or {{c1::answer::hint}}.
CLOZE_PATTERN = re.compile(r"\{\{c(\d{1,3})::(.*?)(?:::(.*?))?\}\}", re.DOTALL)

# A tag is one word of letters, digits and -_:. (Anki's tags cannot hold spaces either).
TAG_PATTERN = re.compile(r"^[\w:.\-]{1,40}$")
MAX_TAGS = 20

# What a card image may be, by its first bytes (the browser's declared type is not trusted).
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def cloze_indexes(text: str) -> list[int]:
    """The distinct cloze numbers in `text`, ascending (one card each)."""
    return sorted({int(match.group(1)) for match in CLOZE_PATTERN.finditer(text)} - {0})


def cloze_prompt(text: str, index: int) -> str:
    """The question side: cloze `index` hidden as [...] (or [hint]), the others shown."""

    def replace(match: re.Match) -> str:
        if int(match.group(1)) == index:
            return f"[{match.group(3)}]" if match.group(3) else "[...]"
        return match.group(2)

    return CLOZE_PATTERN.sub(replace, text)


def cloze_answer(text: str, index: int) -> str:
    """The answer side: every cloze shown; the asked one is returned separately by the view."""
    return CLOZE_PATTERN.sub(lambda match: match.group(2), text)


def cloze_hidden(text: str, index: int) -> list[str]:
    return [m.group(2) for m in CLOZE_PATTERN.finditer(text) if int(m.group(1)) == index]


def normalise_tags(raw: str | list[str] | None) -> tuple[str, list[str]]:
    """(" a b " storage form, errors) from space- or comma-separated tags."""
    if raw is None:
        return "", []
    words = raw if isinstance(raw, list) else re.split(r"[\s,]+", raw)
    tags: list[str] = []
    errors: list[str] = []
    for word in words:
        if not isinstance(word, str):
            errors.append("Each tag must be text.")
            continue
        word = word.strip()
        if not word:
            continue
        if not TAG_PATTERN.match(word):
            errors.append(f"'{word[:40]}' is not a tag: up to 40 letters, digits or -_:.")
        elif word.lower() not in tags:
            tags.append(word.lower())
    if len(tags) > MAX_TAGS:
        errors.append(f"At most {MAX_TAGS} tags.")
    return (f" {' '.join(tags)} " if tags else ""), errors


def image_content_type(data: bytes) -> str | None:
    for signature, content_type in IMAGE_SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None
