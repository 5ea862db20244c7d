"""Function-word lists per language, for the stop-word density that separates prose from furniture.

The lists are jusText's (derived from Wikipedia, about 100 languages), addressed here by
ISO 639-1 code. For a language without a list the density comes from the document itself:
its most frequent short words are, in any language written with spaces, its function words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache

# ISO 639-1 → jusText stop-list name.
_JUSTEXT_NAMES = {
    "af": "Afrikaans", "sq": "Albanian", "ar": "Arabic", "an": "Aragonese", "hy": "Armenian",
    "ast": "Asturian", "az": "Azerbaijani", "eu": "Basque", "be": "Belarusian", "bn": "Bengali",
    "bs": "Bosnian", "br": "Breton", "bg": "Bulgarian", "ca": "Catalan", "ceb": "Cebuano",
    "cv": "Chuvash", "hr": "Croatian", "cs": "Czech", "da": "Danish", "nl": "Dutch", "en": "English",
    "eo": "Esperanto", "et": "Estonian", "fi": "Finnish", "fr": "French", "gl": "Galician",
    "ka": "Georgian", "de": "German", "el": "Greek", "gu": "Gujarati", "ht": "Haitian", "he": "Hebrew",
    "hi": "Hindi", "hu": "Hungarian", "is": "Icelandic", "io": "Ido", "ig": "Igbo", "id": "Indonesian",
    "ga": "Irish", "it": "Italian", "jv": "Javanese", "kn": "Kannada", "kk": "Kazakh", "ko": "Korean",
    "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin", "lv": "Latvian", "lt": "Lithuanian",
    "lb": "Luxembourgish", "mk": "Macedonian", "ms": "Malay", "ml": "Malayalam", "mt": "Maltese",
    "mr": "Marathi", "ne": "Nepali", "nb": "Norwegian_Bokmal", "no": "Norwegian_Bokmal",
    "nn": "Norwegian_Nynorsk", "oc": "Occitan", "fa": "Persian", "pl": "Polish", "pt": "Portuguese",
    "qu": "Quechua", "ro": "Romanian", "ru": "Russian", "sr": "Serbian", "sh": "Serbo_Croatian",
    "sk": "Slovak", "sl": "Slovenian", "es": "Spanish", "su": "Sundanese", "sw": "Swahili",
    "sv": "Swedish", "tl": "Tagalog", "ta": "Tamil", "te": "Telugu", "tr": "Turkish", "tk": "Turkmen",
    "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "vo": "Volapuk", "wa": "Walloon",
    "cy": "Welsh", "fy": "West_Frisian", "yo": "Yoruba",
}  # fmt: skip


@lru_cache(maxsize=64)
def stoplist(language: str | None) -> frozenset[str] | None:
    """jusText's list for an ISO 639-1 code, or None when there is none."""
    name = _JUSTEXT_NAMES.get((language or "").lower())
    if name is None:
        return None
    try:
        import justext
    except ImportError:  # pragma: no cover - jusText ships with trafilatura
        return None
    return frozenset(word.casefold() for word in justext.get_stoplist(name))


_TOKEN = re.compile(r"\w+")


def tokens_for_stoplist(texts: Iterable[str]) -> Iterator[list[str]]:
    """Case-folded word tokens of each text, the input ``stoplist_from_document`` counts."""
    for text in texts:
        yield _TOKEN.findall(text.casefold())


def stoplist_from_document(token_lists: Iterable[list[str]], size: int = 60) -> frozenset[str]:
    """The document's own most frequent short words: a function-word list for any spaced script."""
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(token for token in tokens if len(token) <= 4 and not token.isdigit())
    return frozenset(word for word, n in counts.most_common(size) if n >= 2)


#: Languages whose most frequent function words make up the language-free stop list.
_UNIVERSAL_LANGUAGES = (
    "en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "cs", "sk", "sv",
    "da", "nb", "fi", "hu", "tr", "ro", "el", "uk", "id", "ca", "hr", "sl",
    "bg", "lt", "lv", "et", "sr", "vi", "ar", "fa", "he", "hi",
)  # fmt: skip
#: Function words taken from the top of each frequency-ordered list.
_UNIVERSAL_TOP = 40


@lru_cache(maxsize=1)
def universal_stoplist() -> frozenset[str]:
    """The commonest function words of many languages: a density that needs no language guess.

    A line in another language than the page, or a page whose language is unknown, still
    shows its function words here; the top of each list is short, closed-class words, so
    content words of one language rarely collide with function words of another.
    """
    words: set[str] = set()
    try:
        import justext
    except ImportError:  # pragma: no cover - jusText ships with trafilatura
        return frozenset()
    from pathlib import Path

    folder = Path(justext.__file__).parent / "stoplists"
    for code in _UNIVERSAL_LANGUAGES:
        path = folder / f"{_JUSTEXT_NAMES[code]}.txt"
        if not path.exists():
            continue
        ranked = [w.strip().casefold() for w in path.read_text("utf-8").splitlines() if w.strip()]
        words.update(list(dict.fromkeys(ranked))[:_UNIVERSAL_TOP])
    return frozenset(words)
