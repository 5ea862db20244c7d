"""Authors are people: one cleaning rule for every byline the extractors find.

Markup and page text hand us what a site put where an author goes: a domain trafilatura
title-cased ("Facebook Com", "Www Portalspozywczy Pl"), a source or courtesy credit
("Źródło Statista com", "Cortesía"), a label with initials ("Autor Jd"), a social handle,
a desk ("Redaktion", "Staff"), or an agency ("Reuters"). Only people's names go to
``authors``; several names in one byline ("By A and B") become several authors; an agency
credit goes to the record's ``dateline.agency``, the one place the record keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Agencies as bylines name them, case-sensitive where the short form is also a word ("AP").
AGENCIES: dict[str, str] = {
    name.casefold(): name
    for name in (
        "Reuters",
        "AP",
        "Associated Press",
        "The Associated Press",
        "AFP",
        "Agence France-Presse",
        "dpa",
        "ANI",
        "PTI",
        "IANS",
        "UNI",
        "Bloomberg",
        "UPI",
        "EFE",
        "Agencia EFE",
        "ANSA",
        "Xinhua",
        "TASS",
        "Kyodo",
        "Yonhap",
        "KNA",
        "epd",
        "APA",
        "SDA",
        "Keystone-SDA",
        "Sputnik",
        "Europa Press",
        "Notimex",
        "Lusa",
        "Agência Brasil",
        "PAP",
        "ČTK",
        "Belga",
        "ANP",
        "NTB",
        "TT",
        "Ritzau",
        "STT",
        "AAP",
        "CP",
        "The Canadian Press",
        "Anadolu",
        "Anadolu Agency",
        "WAM",
        "SPA",
        "IRNA",
        "Interfax",
        "RIA Novosti",
        "Ukrinform",
        "BNS",
        "CNA",
        "Bernama",
        "Antara",
        "PA",
        "PA Media",
    )
}
#: Short agency names that are also ordinary words or initials: only in capitals count.
_CASED_AGENCIES = frozenset({"AP", "PA", "CP", "TT", "UNI", "SPA", "CNA", "WAM", "ANI", "PTI", "APA", "SDA"})
# "By", "Von", "Autor:", "Texto:", "Reporting by" ... in front of the names.
_LABEL = re.compile(
    r"^(?:(?:written|text|story|report(?:ed|ing)?|posted|words|additional reporting|compiled|edited)\s+by"
    r"|by|von|vom|por|par|door|przez|af|av|autor(?:in|a)?|author|auteur|autore|text|texto|testo|tekst|redaktion)"
    r"\s*[:\-–]?\s+",
    re.IGNORECASE,
)
_LOWER_LABEL = re.compile(r"^(?:di|da)\s+")  # Italian "di Mario Rossi": only in lower case
# Titles before a name are not part of it: "Dr. Jane Doe", "Rechtsanwalt Dennis Tölle", "Frau Anna Berg".
_TITLE = re.compile(
    r"^(?:(?:dr|prof|mag|dipl|ing|mr|mrs|ms|mme|sir)\.?|herr|frau|rechtsanwalt|rechtsanwältin|rechtsanwaeltin|professor)"
    r"(?:\s+|\.)",
    re.IGNORECASE,
)
# A date after the name is the byline's date, not part of it: "dpa am 25.01.2022", "Jane Doe, 1.12.2021".
_TRAILING_DATE = re.compile(
    r"(?:[\s,|·–-]+(?:am|on|le|el|il|op|den|vom|du)?)?\s*(?:\d{1,2}[./]\s?\d{1,2}[./]\s?\d{2,4}|\d{4}-\d{2}-\d{2})\b.*$",
    re.IGNORECASE,
)
# A credit for the website itself (its design, theme or hosting) names nobody who wrote the article.
_SITE_CREDIT = re.compile(r"\b(?:designed|design|theme|themes|powered|hosted|webdesign)\b", re.IGNORECASE)
# A credit that is not an authorship: source, courtesy, photo, illustration, licence, editing.
_CREDIT = re.compile(
    r"^(?:source|sources|quelle|fuente|fonte|źródło|zrodlo|bron|kilde|källa|lähde|courtesy|cortesía|cortesia"
    r"|gentileza|mit freundlicher genehmigung|photo|photos|foto|fotos|image|images|bild|picture|pictures"
    r"|illustration|grafik|graphic|video|credit|crédito|crédit|public domain|domena publiczna|gemeinfrei"
    r"|edited by|editor|edition|übersetzt von|translated by|责任编辑|编辑)(?:\b|(?=[:：]))",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:;|\||/|,|&|\+|\s[-–]\s|\s(?:and|und|y|et|e|i|og|och|en|und|oraz|a)\s)\s*")
_PARENS = re.compile(r"\s*[(\[]([^()\[\]]{1,60})[)\]]\s*")
_DOMAIN = re.compile(
    r"(?:^|\s)(?:www|https?)\b|\w\.(?:com|org|net|info|biz|news|io|co|uk|de|pl|fr|es|it|pt|br|nl|ru|in|au|ca)\b"
    r"|@|://",
    re.IGNORECASE,
)
#: Last words of a domain that trafilatura title-cased: "Facebook Com", "Www Portalspozywczy Pl".
_TLD_WORDS = _word_set(
    """
    com org net info biz io co uk de pl fr es it pt br nl ru in au ca at ch be cz sk hu ro gr tr us
    """
)
#: Words that make a "name" a site, a desk, a role or a network rather than a person.
_NOT_PERSON_WORDS = _word_set(
    """
    admin administrator anonymous anónimo anonyme editor editors editorial editorial-team redaktion redakcja
    redacción redaccion rédaction redazione redação redacao redactie newsroom newsdesk desk staff team
    reporter reporters correspondent correspondents writer writers journalist columnist contributor
    contributors guest user users webmaster moderator online digital news nachrichten noticias notícias
    nouvelles notizie wiadomości media press presse prensa imprensa agency agencia agência agence agentur
    agenzia service services group gruppe grupo inc ltd llc gmbh ag sa plc corp company ministry
    ministerium department office institute university council government magazine zeitung journal
    newspaper times post tribune herald gazette daily weekly radio tv television channel network portal
    blog website site the wire facebook twitter instagram linkedin youtube tiktok telegram whatsapp x.com
    cortesía courtesy source quelle fuente fonte źródło statista wikipedia shutterstock getty istock imago
    verein verband stiftung fraktion partei sekretariat amt institut zentrum gesellschaft verlag magazin
    zeitschrift kreuz cross caritas diakonie foundation association society party club union league
    federation fondation fundación fundación fondazione stichting förening forening sport sports
    deutschland germany österreich austria schweiz suisse switzerland france españa italia polska europe
    international deutsche deutscher deutsches themes theme artikel article empfehlen teilen share
    is ist est said says sagt schreibt wrote writes publiczna domain domena
    author autor autorin auteur unknown unbekannt inconnu desconocido média médias
    eg kg gbr ohg mbh
    """
)
#: German compounds that name an organisation: "Caritasverband", "Bundestagsfraktion", "Umweltamt".
_ORGANISATION_SUFFIXES = (
    "verband",
    "fraktion",
    "stiftung",
    "verein",
    "partei",
    "ministerium",
    "institut",
    "zentrum",
    "gesellschaft",
    "verlag",
    "redaktion",
    "behörde",
    "kammer",
    "agentur",
    "amt",
    "team",
    "magazin",
    "zeitung",
)
_VOWELS = frozenset("aeiouyäöüåæøéèêáàíóúAEIOUYÄÖÜÅÆØÉÈÊÁÀÍÓÚ")
#: Lower-case words allowed inside a name: "Juan de la Cruz", "Ludwig van Beethoven".
_PARTICLES = _word_set(
    """
    de del della der den di da das do dos du la le van von zu ten ter bin ibn al el y e mac st
    """
)
_ELIDED = re.compile(r"^[a-z]['’][^\W\d_]")  # "d'Ancona", "d’Alema"
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['’.\-][^\W\d_]*)*\.?$")
#: A person's name has at most this many words and characters.
MAX_NAME_WORDS = 5
MAX_NAME_CHARS = 60
#: ... of which at most four capitalised ("Maria del Carmen García López" has four).
MAX_CAPITALISED = 4


@dataclass
class Credits:
    """People who wrote the article, and the agency credited for it."""

    authors: list[str] = field(default_factory=list)
    agency: str | None = None
    #: the agency a byline names as the author ("By Reuters"), not as a source ("Source: Reuters")
    byline_agency: str | None = None


def clean_authors(raw: Iterable[str]) -> Credits:
    """Bylines as extractors found them → people's names (split, deduplicated) and the agency."""
    credits = Credits()
    for byline in raw:
        # trafilatura joins the names it found with "; ", after splitting "A und B designed" at
        # "und": a site credit ("designed", "theme") voids the name split off in front of it too
        segments = byline.split(";")
        for index, segment in enumerate(segments):
            if _SITE_CREDIT.search(segment) or (
                index + 1 < len(segments) and _SITE_CREDIT.search(segments[index + 1])
            ):
                continue
            _read_byline(segment, credits)
    credits.authors = list(dict.fromkeys(credits.authors))
    if not credits.authors and credits.byline_agency:
        credits.authors = [credits.byline_agency]  # an agency byline is kept, as the agency
    return credits


def _read_byline(byline: str, credits: Credits) -> None:
    text = " ".join(byline.split()).strip(" .,;:|-–—/")
    if not text or len(text) > 300 or _SITE_CREDIT.search(text):
        return
    text = _TRAILING_DATE.sub("", text).strip(" .,;:|-–—/")
    if _CREDIT.match(text):
        # "Source: Reuters" credits the agency; "Source: Statista", "Photo: John Smith" credit nobody
        rest = _CREDIT.sub("", text, count=1).strip(" :.-–")
        credits.agency = credits.agency or _agency(rest)
        return
    for inner in _PARENS.findall(text):  # "Jane Doe (Reuters)"
        credits.agency = credits.agency or _agency(inner)
    text = _PARENS.sub(" ", text).strip()
    text = _LOWER_LABEL.sub("", _LABEL.sub("", text, count=1), count=1)
    for piece in _SPLIT.split(text):
        part = _LABEL.sub("", piece.strip(" .,;:-–—"), count=1)
        if not part:
            continue
        part = _TITLE.sub("", part).strip()
        agency = _agency(part)
        if agency:
            credits.agency = credits.agency or agency
            credits.byline_agency = credits.byline_agency or agency
        elif is_person(part):
            credits.authors.append(part)
        elif len(words := part.split()) > 1:  # "mit Material von dpa", "with reporting from Reuters"
            credits.agency = credits.agency or _agency(words[-1])


def _agency(text: str) -> str | None:
    """The agency a credit names ("Reuters", "dpa/lni" → "dpa", "Agencia EFE"), else None."""
    text = text.strip(" .,:;")
    for candidate in (text, *re.split(r"\s*/\s*", text)[:1]):
        name = AGENCIES.get(candidate.casefold())
        if name is None:
            continue
        if name.upper() in _CASED_AGENCIES and candidate != candidate.upper():
            continue  # "Ap", "pa" are not agencies
        return candidate.strip()
    lowered = text.casefold()
    for suffix in (" staff", " reporters", " staff reporter", " staff writer", " business writer", " wire"):
        if lowered.endswith(suffix):
            return _agency(text[: -len(suffix)])
    return None


def is_person(name: str) -> bool:
    """Two to five name words, capitalised (or in a script without case), nothing else.

    A single word is a site, a desk, a handle or initials far more often than a byline
    ("Cortesía", "Admin", "Jd"); names in scripts without case (Chinese, Arabic) pass alone.
    """
    if not name or len(name) > MAX_NAME_CHARS or _DOMAIN.search(name):
        return False
    words = name.split()
    if len(words) > MAX_NAME_WORDS:
        return False
    caseless = all(not ch.isupper() and not ch.islower() for ch in name if ch.isalpha())
    if caseless:
        return all(not ch.isdigit() for ch in name) and len(name.replace(" ", "")) >= 2
    if (
        len(words) < 2
        or words[-1].casefold() in _TLD_WORDS
        or words[0].casefold() in ("www", "http", "https")
    ):
        return False
    capitalised = 0
    for word in words:
        if not _NAME_WORD.match(word):
            return False
        folded = word.casefold().strip(".")
        if folded in _NOT_PERSON_WORDS or (len(folded) > 6 and folded.endswith(_ORGANISATION_SUFFIXES)):
            return False
        if _acronym(word, first=word is words[0]) and not name.isupper():
            return False  # "SWR Sport", "EFC Bayrische Bembel": an organisation's short name
        if word[0].isupper() or _ELIDED.match(word):
            capitalised += 1
        elif folded not in _PARTICLES:
            return False
    # "JD", "J." alone are initials; a name needs a word of three letters or more
    # "Linksc Creating Search Engine Api": five capitalised words are a tagline, not a name
    return 2 <= capitalised <= MAX_CAPITALISED and any(len(word.strip(".")) >= 3 for word in words)


def _acronym(word: str, *, first: bool) -> bool:
    """An initialism, not a name: capitals without a vowel ("SWR", "WBF"), or three or more
    capitals in front ("EFC Bayrische Bembel"); a surname in capitals comes last ("Chokri GHARBI")."""
    letters = word.strip(".-")
    if len(letters) < 2 or not letters.isupper():
        return False
    return not any(ch in _VOWELS for ch in letters) or (first and len(letters) >= 3)
