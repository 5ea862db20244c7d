"""Line rules for the furniture trafilatura lets through, each with the reason it is recorded under.

trafilatura already chose the article region, so these rules are narrow: a line goes only
when its start or its whole text says what it is ("Read more: …", "Subscribe now …",
"© 2022 …", "3 comments"), in the languages of the pages we ingest. Long lines are never
judged by a cue alone: a sentence that mentions a newsletter is still a sentence.
Patterns are lower case, see at most ``SCAN_CHARS`` lower-cased characters and are anchored
or gated by a word count, so no line makes them slow.
"""

from __future__ import annotations

import re

from ingest_worker.pipeline.html.extract import Block

SCAN_CHARS = 300

# "Read more: <other headline>" teasers: the cue plus a colon (or the cue alone) opens the line.
_TEASER = re.compile(
    r"(read (more|also|next)|see also|related( articles| stories| posts| news)?|more on this|also read"
    r"|recommended|you (may|might) also like"
    r"|lesen sie (auch|mehr)|auch (lesen|interessant)|schon gelesen|mehr zum thema"
    r"|weitere (artikel|beiträge|themen)"
    r"|das könnte (sie|dich) (auch )?interessieren|zum weiterlesen|weiterlesen"
    r"|lea (también|más)|lee (también|más)|leer más|le puede interesar|te puede interesar|puedes ver"
    r"|vea también|ver también|mira|mire|notas? relacionadas?|noticias relacionadas|contenido relacionado"
    r"|à lire (aussi|également)|lire aussi|voir aussi|sur le même sujet|leggi anche|potrebbe interessarti"
    r"|leia (também|mais)|veja também|czytaj (też|także|więcej)|zobacz (też|także)|lees ook|lees meer)"
    r"\s*(:|\?|$|»|\.\.\.|…)",
)
_SUBSCRIBE = re.compile(
    r"\b(subscribe|sign up|signup|register now|join now|get (the|our) (latest|newsletter)|never miss"
    r"|download (the|our) .{0,30}app|to (view|read) the full story|already a subscriber|for the full story"
    r"|abonnieren|abonniere|jetzt (anmelden|abonnieren|registrieren|testen)|zum newsletter"
    r"|newsletter (abonnieren|bestellen)"
    r"|suscríbete|suscribete|hazte (miembro|socio)|únete|unete|abonnez-vous|inscrivez-vous"
    r"|pour (lire la suite|accéder en illimité|continuer à lire)"
    r"|iscriviti|abbonati|assine|zapisz się|zaprenumeruj)\b",
)
_NEWSLETTER = re.compile(r"\b(newsletter|boletín|infolettre)")
_NEWSLETTER_PITCH = re.compile(
    r"(unse?r(em|en|e)?|our|my|meinen|nuestro|notre|la nostra) ([\w-]+ ){0,2}(newsletter|boletín|infolettre)"
    r"|newsletter[- ]?(abonnieren|anmeld|bestell|erhalten)|(anmeld|abonn|sign up|subscribe|inscri"
    r"|suscr|iscriv)",
)
_FOLLOW = re.compile(
    r"(follow|folge|folgen sie|síguenos|siguenos|sígueme|suivez|seguici|obserwuj|volg)\b.{0,60}"
    r"\b(twitter|facebook|instagram|telegram|youtube|linkedin|tiktok|whatsapp|google news)\b",
)
_FOLLOW_ALONE = re.compile(
    r"(follow us|folgen sie uns|folge uns|síguenos|siguenos|suivez-nous|seguici|obserwuj nas|volg ons)"
    r"( on| auf| en| sur| su| na| op)?\s*:?$"
)
_RESERVED = (
    r"all rights reserved|alle rechte vorbehalten|todos los derechos reservados|tous droits réservés"
    r"|tutti i diritti riservati|todos os direitos reservados|wszelkie prawa zastrzeżone"
    r"|materiał chroniony prawem"
    r"|this article is the copyrighted property|may not be (re)?published|darf nicht .{0,40}veröffentlicht"
)
_COPYRIGHT = re.compile(rf"(©|\(c\) ?\d{{4}}|copyright\b|{_RESERVED})")
_RESERVED_NOTICE = re.compile(_RESERVED)
_COMMENTS = re.compile(
    r"(\d+\s+)?(comments?|kommentare?|comentarios?|commentaires?|commenti|komentarz[ey]?)\s*(\(\d+\)|:)?\s*$"
    r"|(view|show|post|leave a|add a|write a|no|keine|noch keine) (comments?|kommentare?)\b"
    r"|kommentare insgesamt|(sie sind|you are) (aktuell )?(nicht|not) (eingeloggt|logged in)"
    r"|(to|um) (post|write|leave) (a )?comments?|um kommentare zu schreiben",
)
_SHARE = re.compile(
    r"(share|teilen|compartir|comparte|partager|condividi|compartilhe|udostępnij|delen)"
    r"(\s+(this|on|via|mit|en|sur|su|diesen|den)\b.{0,40})?\s*:?\s*$"
    r"|(teilen mit|share with|share this|compartir en|partager sur)\s*:?",
)
_ADVERT = re.compile(
    r"(anzeige|werbung|advertisement|publicidad|publicité|pubblicità|reklama|sponsored|gesponsert)\b\s*[-–:]?"
    r"|\*?werbung\.|(enthält|contains) (affiliate|werbe)",
)
_MONTH = (
    r"(jan(uary|uar|vier|eiro)?|ene(ro)?|feb(ruary|ruar|rero)?|f[ée]v(rier)?|fev(ereiro)?"
    r"|m[aä]r(ch|z|s|zo|ço)?"
    r"|apr(il)?|abr(il)?|avr(il)?|may|mai|mayo|maggio|maio|jun(e|i|io|ho)?|juin|jul(y|i|io|ho)?|juil(let)?"
    r"|aug(ust)?|ago(sto)?|ao[uû]t|sep(t|tember|tembre|tiembre|tembro)?|set(tembre)?|o[ck]t(ober|obre|ubre)?"
    r"|ott(obre)?|out(ubro)?|nov(ember|embre|iembre|embro)?|de[cz](ember|embre|iembre)?|dic(iembre|embre)?"
    r"|d[ée]c(embre)?|dez(embro)?)"
)
_DATE_ONLY = re.compile(
    r"((\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})(,?\s+\d{1,2}:\d{2}(\s*(am|pm|uhr|h))?)?"
    r"|\d{1,2}:\d{2}(\s*(am|pm|uhr|h))?"
    rf"|{_MONTH}\.?\s+\d{{1,2}}(,\s*\d{{4}})?|\d{{1,2}}\.?\s+(de\s+)?{_MONTH}\.?(\s+(de\s+)?\d{{4}})?)\s*$",
)
_LABEL_ONLY = re.compile(
    r"(release date|last modified|letzte änderung|aktualisiert am|veröffentlicht am|published|updated|stand"
    r"|kategorie|category|categoría|tags?|schlagwörter|themen|temas|quelle|quellen|quellenangaben"
    r"|source|fuente"
    r"|kontakt|contact|weitere informationen|more information|más información|pressekontakt)\s*:?\s*$",
)

_TEASER_HEADING = re.compile(
    r"(read more|see also|related|recommended|empfohlene beiträge|weitere (artikel|beiträge|themen"
    r"|nachrichten)"
    r"|mehr (zum thema|themen|aus|artikel)|das (thema )?könnte (sie|dich) (auch )?interessieren"
    r"|auch auf \S+|lesen sie auch|top[- ]themen|notas? relacionadas?|contenido relacionado|más sobre"
    r"|à lire aussi|sur le même sujet|czytaj (też|także)|zobacz (też|także))\b",
)
# Furniture that is not a link prompt: disclosures, appeals, reading times, embed consent, notices.
_NOTICE = re.compile(
    r"(this (post|article|page) (contains|may contain) (references|affiliate)|we (may )?(receive"
    r"|earn) (a )?commission"
    r"|(bei den|die mit) .{0,30}(verlinkungen|links) .{0,40}affiliate|affiliate[- ]links?\b"
    r"|we recommend the best products|advertisers do not influence"
    r"|(support|unterstütze|unterstützt|apoya|soutenez|wesprzyj) (our|unsere?n?|uns|nuestro|notre|nasz\w*) "
    r"(work|journalism|arbeit|journalismus|magazin|periodismo|journalisme|dziennikarstwo)"
    r"|(unterstütze|support) (uns|us)\b|would you consider supporting|jetzt spenden|we need your help"
    r"|\d+\s*(min(ute)?s?|minuten) (read|lesezeit|de lectura|de lecture)|(lesezeit|reading time"
    r"|tiempo de lectura)\s*:"
    r"|ten tekst przeczytasz"
    r"|(klicken|click) (sie )?(auf|on) .{0,40}(button|schaltfläche).{0,60}(laden|load)"
    r"|(inhalt|content) von .{0,60} (zu )?laden|(mit dem laden|by loading) .{0,40}(akzeptieren|accept)"
    r"|mit der registrierung akzeptieren|(our standards|unsere standards):"
    r"|(submit|send) (us )?(a|your) letter to the editor|(alle angaben ohne gewähr)"
    r"|video verfügbar bis|(last (modified|updated)|letzte änderung|aktualisiert am|zuletzt aktualisiert"
    r"|stand vom|última actualización|mis à jour le)\s*:?\s*\d"
    r"|(du musst|you must be) (eingeloggt|logged in))",
)
# Unanchored cues are searched only when one of these substrings is present: a handful of
# ``in`` tests costs a fifth of a failed search through a large alternation.
_NOTICE_KEYS = (
    "affiliate", "contain", "commission", "registrierung", "recommend the best", "advertisers",
    "support", "unterstütz", "apoya",
    "soutenez", "wesprzyj", "spenden", "your help", "min", "lesezeit", "reading time", "lectura",
    "lecture", "przeczytasz", "button", "schaltfläche", "laden", "loading", "standards", "letter to",
    "gewähr", "verfügbar", "modified", "updated", "änderung", "aktualisiert", "stand vom",
    "actualización", "mis à jour", "eingeloggt", "logged in",
)  # fmt: skip
_SUBSCRIBE_KEYS = (
    "subscri", "sign", "regist", "join", "get the", "get our", "never miss", "download", "full story",
    "abonn", "anmelden", "testen", "newsletter", "suscr", "hazte", "únete", "unete", "inscri", "pour ",
    "iscriv", "abbonat", "assine", "zapisz", "prenumer",
)  # fmt: skip
_NETWORKS = (
    "twitter", "facebook", "instagram", "telegram", "youtube", "linkedin", "tiktok", "whatsapp",
    "google news",
)  # fmt: skip
# Contact lines open with their label: "Tel.: 0228 …", "Pressekontakt: …".
_CONTACT = re.compile(
    r"(pressekontakt|pressesprecher(\*?in)?|press contact|media contact|telefon|phone|tel\.?|fax|mobil)\s*:"
)
# Wire-copy sign-offs: editor initials and agency, "aja/PAP", "(jdz/dpa)", "EFE".
_SIGN_OFF = re.compile(
    r"\(?\s*([a-zäöüß]{1,5}\s*/\s*){0,3}(pap|dpa|afp|ap|reuters|efe|ani|kna|epd|apa|sda|ansa|ria|ians|pti|ddp|dts)"
    r"(\s*/\s*[a-zäöüß]{1,5}){0,3}\s*\)?\.?$"
)
_SENTENCE_END = tuple('.!?…"”»“)')


def boilerplate_reasons(blocks: list[Block]) -> list[str | None]:
    """One reason per block (None = body): line cues first, then what the neighbours say."""
    reasons = [line_reason(block) for block in blocks]
    _teaser_lists(blocks, reasons)
    _trailing_headings(blocks, reasons)
    return reasons


def _is_headline(block: Block) -> bool:
    """Short and unpunctuated, or marked up as a heading or list item: reads like a link title."""
    words = len(block.text.split())
    if block.tag in ("head", "item", "list") and words <= 25:
        return True
    return words <= 20 and not block.text.rstrip().endswith(_SENTENCE_END)


def _teaser_lists(blocks: list[Block], reasons: list[str | None]) -> None:
    """Headlines right after a "Related" / "Read more" heading are links to other articles."""
    index = 0
    while index < len(blocks):
        block = blocks[index]
        words = len(block.text.split())
        if words <= 8 and _TEASER_HEADING.match(block.text[:SCAN_CHARS].lower()):
            reasons[index] = reasons[index] or "read more"
            following = index + 1
            while following < len(blocks) and following - index <= 12 and _is_headline(blocks[following]):
                reasons[following] = reasons[following] or "related-article link"
                following += 1
            index = following
        else:
            index += 1


def _trailing_headings(blocks: list[Block], reasons: list[str | None]) -> None:
    """A heading with no paragraph after it introduces nothing of the article: a teaser or widget title."""
    for index in range(len(blocks) - 1, -1, -1):
        block = blocks[index]
        if reasons[index]:
            continue
        if block.tag != "head" and not (_is_headline(block) and len(block.text.split()) <= 12):
            return
        if block.tag == "head":
            reasons[index] = "trailing heading"


def _has(scan: str, keys: tuple[str, ...]) -> bool:
    return any(key in scan for key in keys)


def line_reason(block: Block) -> str | None:
    """Why this line alone is furniture, or None to keep it."""
    text = block.text
    scan = text[:SCAN_CHARS].lower()  # patterns are lower case: IGNORECASE costs 1.5x
    words = len(scan.split())
    if len(text) <= 160 and _TEASER.match(scan):
        return "read more"
    if words <= 30 and _has(scan, _SUBSCRIBE_KEYS) and _SUBSCRIBE.search(scan):
        return "subscription prompt"
    if (words <= 6 or (words <= 25 and _NEWSLETTER_PITCH.search(scan))) and _NEWSLETTER.search(scan):
        return "newsletter"
    if words <= 40 and _has(scan, _NETWORKS) and _FOLLOW.search(scan):
        return "follow prompt"
    if words <= 4 and _FOLLOW_ALONE.match(scan):
        return "follow prompt"
    if (words <= 12 and _COPYRIGHT.search(scan)) or (words <= 40 and _RESERVED_NOTICE.search(scan)):
        return "copyright"
    if words <= 8 and _COMMENTS.match(scan):
        return "comment counter"
    if words <= 8 and _SHARE.match(scan):
        return "share prompt"
    if words <= 12 and _ADVERT.match(scan):
        return "advertisement"
    if words <= 5 and _DATE_ONLY.match(scan):
        return "date line"
    if words <= 4 and _LABEL_ONLY.match(scan):
        return "label"
    if words <= 40 and _has(scan, _NOTICE_KEYS) and _NOTICE.search(scan):
        return "site notice"
    if words <= 25 and _CONTACT.match(scan):
        return "contact details"
    if words <= 3 and "/" in scan and _SIGN_OFF.match(scan):
        return "agency sign-off"
    return None
