"""Language tags as uploaders and pages write them, reduced to the codes records carry."""

from __future__ import annotations


def language_code(value: str | None) -> str | None:
    """ "en-GB", "pt_BR", " EN " → "en"; "deu" → "deu"; None for anything that is not a language tag."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].casefold()
    return code if 2 <= len(code) <= 3 and code.isascii() and code.isalpha() else None


def iso_639_1(value: str | None) -> str | None:
    """The ISO 639-1 code (two letters) a tag names, as records carry it; None for a three-letter
    code ("deu": cutting it to "de" works for some and not others, "jpn" is not "jp") or no tag."""
    code = language_code(value)
    return code if code is not None and len(code) == 2 else None
