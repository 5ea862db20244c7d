"""Regexes behind a one-character lookahead, so that ``re`` skips in C to where a match can start.

A pattern that begins with ``\\b``, with an alternation under IGNORECASE, or with a group gives
``re`` no literal prefix or first-character set to scan for, so it tries every alternative at
every position of the text. ``(?=[...])`` in front names the characters a match can start with
(under the pattern's own flags, so IGNORECASE covers their other cases): the matches are the
same, found two to three times faster on article text. ``first`` must cover the first
character of every alternative; the unit tests check each led pattern's set against its parse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def led(first: str, pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``pattern`` compiled behind a lookahead for ``first`` (a character-class body, e.g. ``\\dab``)."""
    return re.compile(rf"(?=[{first}])(?:{pattern})", flags)


def by_first_letter(alternatives: Sequence[str]) -> str:
    """The alternation of ``alternatives`` with those sharing a first letter grouped behind it:
    ``ab|c|ad`` becomes ``a(?:b|d)|c``, so ``re`` compares each first letter once per position.

    The matches are the same: at a position only the alternatives starting with the character
    there can match, and among those the order is kept. Each alternative must start with a
    letter that no quantifier follows, and hold no ``|`` outside a group; the pattern must not
    be compiled with IGNORECASE (where two different letters can match one character).
    """
    groups: dict[str, list[str]] = {}
    for alternative in alternatives:
        first, rest = alternative[:1], alternative[1:]
        if not first.isalpha() or rest[:1] in ("?", "*", "+", "{"):
            raise ValueError(f"not led by a plain letter: {alternative!r}")
        groups.setdefault(first, []).append(rest)
    grouped = (rests[0] if len(rests) == 1 else "(?:" + "|".join(rests) + ")" for rests in groups.values())
    return "|".join(first + rest for first, rest in zip(groups, grouped, strict=True))


def fold_like_ignorecase(text: str) -> str:
    """``text`` lower-cased, with the three characters IGNORECASE lets stand for an ASCII letter
    that ``str.lower`` keeps apart ("ı" and "İ" for i, "ſ" for s) turned into that letter."""
    lowered = text.lower()
    if text.isascii():  # a flag of the string: nothing to turn
        return lowered
    return lowered.replace("i\u0307", "i").replace("ı", "i").replace("ſ", "s")


def _foldable(piece: str) -> bool:
    """Lower-case ASCII or caseless characters: those ``fold_like_ignorecase`` is checked for."""
    return all(ch.isascii() or ch.lower() == ch.upper() for ch in piece) and piece == piece.lower()


class Gated:
    """A regex behind pieces of text one of which every match holds (a necessary condition).

    A pattern led by ``\\b``, by a group or by many alternatives tries them at every position
    of a line; a substring test per piece runs in C over the whole line at once. Lines with
    none of the pieces, most lines, skip the regex: the same answers, several times cheaper.
    Under IGNORECASE the pieces (lower case) are looked for in ``fold_like_ignorecase(line)``,
    where every character IGNORECASE lets match an ASCII letter is that letter. The unit tests
    generate matches of every gated pattern to check that its pieces cover each alternative.
    """

    __slots__ = ("_fold", "ends", "pattern", "pieces")

    def __init__(self, pattern: re.Pattern[str], pieces: Sequence[str], *, ends: bool = False) -> None:
        """``ends``: every match ends where the line does (the pattern ends in ``$``), so the
        line, less one final newline (``$`` matches before it too), must end with a piece."""
        self._fold = bool(pattern.flags & re.IGNORECASE)
        if self._fold and not all(map(_foldable, pieces)):
            raise ValueError(
                f"a case-insensitive pattern's pieces are lower-case ASCII or caseless: {pieces}"
            )
        self.pattern = pattern
        self.pieces = tuple(pieces)
        self.ends = ends

    def admits(self, text: str) -> bool:
        """Whether ``text`` gets past the gate to the regex: it holds a piece (or ends with one)."""
        haystack = fold_like_ignorecase(text) if self._fold else text
        if self.ends:
            return haystack.removesuffix("\n").endswith(self.pieces)
        for piece in self.pieces:  # noqa: SIM110 (a loop: any() and its generator cost more than the tests)
            if piece in haystack:
                return True
        return False

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.admits(text) else None
