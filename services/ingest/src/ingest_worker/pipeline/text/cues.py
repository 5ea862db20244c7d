"""Multilingual cue lists: words that mark a line as page furniture rather than article.

Cues are only trusted on short lines or at the start of a line: a sentence that happens to
mention Twitter or cookies is still body text. Every list covers the languages news pages
are commonly written in (en, de, fr, es, it, pt, nl, pl, ...); the classifier never depends
on them alone — length, punctuation, position and repetition decide where no cue fires.
All patterns are anchored or bounded and run on at most ``SCAN_CHARS`` characters.
"""

from __future__ import annotations

import re

from ingest_worker.pipeline.text.leads import led

_I = re.IGNORECASE

# Whole lines that are navigation or site furniture (compared case-folded, punctuation trimmed).
NAV_LINES = frozenset(
    item.strip()
    for item in """
home, homepage, startseite, start, inicio, portada, accueil, página inicial, pagina iniziale, strona główna,
menu, menü, menú, hauptmenü, navigation, navigación, navigazione, nawigacja, main menu, toggle navigation,
search, suche, suchen, buscar, recherche, rechercher, cerca, pesquisar, szukaj, zoeken, search for,
login, log in, sign in, sign up, register, anmelden, einloggen, abmelden, registrieren, mein konto,
my account, iniciar sesión, registrarse, connexion, se connecter, s'inscrire, accedi, registrati, entrar,
zaloguj, contact, contact us, kontakt, kontaktformular, contacto, contáctanos, contactez-nous, contatti,
contato, impressum, imprint, legal notice, aviso legal, mentions légales, note legali, privacy,
privacy policy, datenschutz, datenschutzerklärung, datenschutzhinweise, privacidad, política de privacidad,
confidentialité, politique de confidentialité, informativa privacy, terms, terms of use,
terms and conditions, agb, nutzungsbedingungen, términos, conditions générales, sitemap, site map, about,
about us, über uns, quienes somos, qui sommes-nous, chi siamo, o nas, faq, help, hilfe, ayuda, aide, aiuto,
jobs, karriere, careers, presse, press, advertise, werben, mediadaten, rss, rss feed, newsletter, archive,
archiv, archivo, archives, weather, wetter, back, zurück, volver, retour, indietro, voltar, next, previous,
weiter, vor, nächste, vorherige, siguiente, anterior, suivant, précédent, successivo, precedente,
older posts, newer posts, top, nach oben, back to top, zum seitenanfang, skip to content,
zum inhalt springen, zum inhalt, skip to main content, saltar al contenido, aller au contenu,
direkt zum inhalt, more, mehr, más, plus, altro, view all, alle anzeigen, ver todo, voir tout, show more,
load more, share, teilen, compartir, partager, condividi, compartilhar, udostępnij, delen, tweet, print,
drucken, imprimir, imprimer, stampa, e-mail, email, mail, whatsapp, facebook, twitter, x, linkedin,
pinterest, instagram, youtube, xing, telegram, reddit, tumblr, flipboard, pocket, copy link,
link kopieren, comments, kommentare, comentarios, commentaires, commenti, comentários, komentarze,
reactions, reply, antworten, responder, répondre, rispondi, cancel reply, like, gefällt mir, me gusta,
j'aime, mi piace, tags, schlagwörter, schlagworte, themen, etiquetas, mots-clés, argomenti,
advertisement, anzeige, werbung, publicidad, publicité, pubblicità, reklama, advertorial, sponsored,
gesponsert, patrocinado, cookies, cookie settings, cookie-einstellungen, accept, akzeptieren,
alle akzeptieren, ok, subscribe, abonnieren, suscríbete, s'abonner, abbonati, assinar, subskrybuj,
close, schließen, cerrar, fermer, chiudi, fechar, warenkorb, cart, shopping cart, basket, carrito, panier,
merkzettel, wunschzettel, wishlist, vergleichen, compare, login / register, anmelden / registrieren
""".replace("\n", " ").split(",")
)

# Each cue: (reason, pattern). Patterns match from the start of the scanned prefix.
_CUES: list[tuple[str, str]] = [
    (
        "share_prompt",
        r"(share|teilen|compartir|partager|condividi|compartilhe|udostępnij|delen)\b.{0,40}"
        r"(facebook|twitter|whatsapp|e-?mail|linkedin|pinterest|xing|telegram|artikel|article|this|diesen|on)\b"
        r"|(share|teilen|tweet|compartir|partager)( this| on| via| per|en|:)"
        r"|(auf|on|en|sur|su|no) (facebook|twitter|whatsapp|linkedin|pinterest|xing)"
        r" (teilen|share|compartir|partager)"
        r"|(facebook|twitter|whatsapp|linkedin|pinterest|xing|e-?mail|print|drucken)( ?[|·•/,] ?"
        r"(facebook|twitter|whatsapp|linkedin|pinterest|xing|e-?mail|print|drucken|instagram|youtube))+",
    ),
    (
        "follow_prompt",
        r"(follow|folge[n]?|síguenos|siga|suivez|seguici|obserwuj|volg)\b.{0,40}"
        r"(on|auf|en|sur|su|no|us|uns|nous|nos|ons)\b",
    ),
    (
        "comment_counter",
        r"(post |leave a |write a |add a |kommentar |einen kommentar |deja un |laisser un |lascia un )?"
        r"(comments?|kommentare?|comentarios?|commentaires?|commenti|comentários?|komentarz[ey]?|reactions?)"
        r"\s*[(:]?\s*\d*\s*\)?$"
        r"|\d+\s+(comments?|kommentare?|comentarios?|commentaires?|commenti|comentários?|komentarz[ey]?|"
        r"antworten|replies|reactions?|likes?|shares?|views?|aufrufe|visitas|vues)\b"
        r"|(leave|write|post|add) a (comment|reply)|kommentar (schreiben|verfassen|abgeben)"
        r"|(deja|escribe) (un|tu) comentario|(laisser|ajouter) un commentaire|lascia un commento"
        r"|(keine|no|noch keine) (kommentare|comments)",
    ),
    (
        "read_more",
        r"(read more|read also|read next|continue reading|more on this|more from|related( articles| posts"
        r"| stories| news)?:?$|see also|you (may|might) also like|recommended( for you)?$|most (read|popular)"
        r"|weiterlesen|mehr lesen|mehr zum thema|mehr dazu|lesen sie (auch|mehr)|auch interessant"
        r"|das könnte sie (auch )?interessieren|ähnliche (artikel|beiträge)|verwandte (artikel|themen)"
        r"|meistgelesen|leer más|lee también|te puede interesar|noticias relacionadas|lire (la suite|aussi)"
        r"|à lire aussi|voir aussi|sur le même sujet|leggi (anche|tutto)|potrebbe interessarti"
        r"|leia (mais|também)|czytaj (więcej|też|także)|lees (meer|ook))\b",
    ),
    (
        "newsletter",
        r"(sign up|subscribe|register|abonnieren|melden sie sich|jetzt anmelden|suscríbete|inscrivez-vous"
        r"|abonnez-vous|iscriviti|assine|zapisz się)\b.{0,60}"
        r"(newsletter|updates|e-?mail|inbox|posteingang|boletín)"
        r"|(newsletter|boletín)\b.{0,30}(abonnieren|subscribe|sign up|anmelden|bestellen|suscr|inscri|iscriv)"
        r"|(get|receive) (our|the) (newsletter|latest)",
    ),
    (
        "cookie_notice",
        r"\b(cookies?|tracking-technologien)\b.{0,120}?(akzeptier|accept|zustimm|consent|einwillig"
        r"|aceptar|acepta|accepte|accetta|aceitar|zgod|use|nutz|verwend|utiliz|uso|usa)"
        r"|(wir verwenden|we use|utilizamos|nous utilisons|utilizziamo|usamos|diese (web)?seite verwendet"
        r"|this (web)?site uses).{0,40}?\bcookies?\b",
    ),
    (
        "tag_list",
        r"(tags?|schlagw(ö|o)rte?r?|stichw(ö|o)rte?r?|themen|etiquetas|mots[- ]cl(é|e)s|argomenti"
        r"|categor(y|ies|ie|ía"
        r"|ias|ien)|kategorien?|filed under|posted in|abgelegt unter|veröffentlicht in)\s*[:：]",
    ),
    (
        "advertisement",
        r"(advertisement|anzeige|werbung|publicidad|publicité|pubblicità|reklama|sponsored( content)?"
        r"|gesponsert|patrocinado|paid content|promoted)\s*[:\-–]?\s*$",
    ),
    (
        "copyright_footer",
        r"(copyright|\(c\)|©|℗|all rights reserved|alle rechte vorbehalten|todos los derechos reservados"
        r"|tous droits réservés|tutti i diritti riservati|todos os direitos reservados"
        r"|wszelkie prawa zastrzeżone|alle rechten voorbehouden)",
    ),
    (
        "designed_by",
        r"(web ?)?(site |theme )?(design(ed)?|developed|powered|built|made|realisiert|umsetzung|gestaltung)"
        r"( ?(&|and|und|y|et) ?(design(ed)?|developed|hosted|built))?( by| von| por| par| with| mit|:)\s"
        r"|proudly powered|wordpress theme|theme by|hosted by",
    ),
    (
        "login_prompt",
        r"(log ?in|sign ?in|anmelden|einloggen|registrieren|register|iniciar sesión|se connecter|accedi)"
        r"\b.{0,40}\b(to|um|para|pour|per|zu)\b.{0,40}(comment|kommentieren|comentar|commenter|commentare)",
    ),
    (
        "breadcrumb",
        r"(you are here|sie sind hier|usted está aquí|vous êtes ici|ti trovi in|du bist hier|jesteś tutaj)\b",
    ),
    (
        "rating",
        r"(\d(,\d)? (von|of|de|sur|su) 5 (sternen|stars|estrellas|étoiles|stelle)|rate this|bewerten sie"
        r"|wie (bewerten|gefällt) (sie|ihnen)|was this (article|page) helpful|war dieser artikel hilfreich)",
    ),
    (
        "javascript_notice",
        r"(javascript|js)\b.{0,60}(deaktiviert|disabled|aktivieren|enable|activar|activer|attivare|required"
        r"|erforderlich|needs to be)"
        r"|(your|ihr) browser\b.{0,60}(outdated|veraltet|not supported|nicht unterstützt)",
    ),
    (
        "pagination",
        r"(page|seite|página|pagina|strona) \d+ (of|von|de|di|z) \d+$"
        r"|(«|‹|<)?\s*(prev(ious)?|next|zurück|weiter"
        r"|anterior|siguiente|précédent|suivant)\s*(»|›|>)$",
    ),
]

#: Compiled case-sensitive and run on lower-cased text: IGNORECASE makes ``re`` drop its literal
#: prefix scans and costs three times as much per line.
CUES: list[tuple[str, re.Pattern[str]]] = [(reason, re.compile(pattern)) for reason, pattern in _CUES]
# Connectors inside cue patterns that must not wake the patterns up on their own.
_NOT_TRIGGERS = frozenset(
    [
        "the",
        "this",
        "that",
        "our",
        "you",
        "your",
        "with",
        "and",
        "und",
        "for",
        "von",
        "por",
        "par",
        "per",
        "sur",
        "des",
        "les",
        "los",
        "las",
        "una",
        "uns",
        "our",
        "diesen",
        "artikel",
        "article",
        "news",
        "more",
        "mehr",
        "plus",
        "auch",
        "also",
        "all",
        "alle",
        "todos",
        "tous",
        "das",
        "sie",
        "wir",
        "mit",
        "auf",
        "are",
        "was",
        "not",
        "use",
        "uses",
        "may",
        "get",
        "war",
        "wie",
        "zum",
        "ihr",
        "nos",
        "nous",
        "para",
        "pour",
        "sind",
        "sich",
        "eine",
        "noch",
        "from",
        "them",
        "dies",
        "kein",
        "ons",
        "ook",
        "voor",
        "mais",
        "meer",
        "está",
        "también",
        "site",
        "web",
        "post",
        "can",
    ]
)


def _triggers(pattern: str) -> frozenset[str]:
    """4-letter prefixes of a cue's keywords: a line without one cannot match that cue."""
    words = {w.casefold() for w in re.findall(r"[^\W\d_]{3,}", pattern)}
    return frozenset(w[:4] for w in words - _NOT_TRIGGERS)


#: Per cue (in ``CUES`` order), the keyword prefixes that let its regex run at all.
CUE_PATTERN_TRIGGERS: tuple[frozenset[str], ...] = tuple(_triggers(pattern) for _, pattern in _CUES)
#: Cheap gate before the cue regexes: a set lookup per token instead of a regex pass per cue.
CUE_TRIGGERS = frozenset().union(*CUE_PATTERN_TRIGGERS)

#: Separators that menus and footers are built from: "Home | News | Sport", "A · B · C".
MENU_SEPARATORS = re.compile(r"\s(\||·|•|»|›|/|–|-|>)\s")
#: "Foto: dpa", "PHOTO: Social Media", "(Image: Getty)", "Credit: AP", "Bild: © X".
PHOTO_CREDIT_PATTERN = (
    r"\b(photo|foto|fotos|photograph|picture|image|bild|imagen|immagine|zdjęcie|credit|crédito|crédit"
    r"|caption)s?\s*(credit)?\s*[:©]"
    r"|(/\s*|\bvia\s+)(getty|afp|reuters|ap|dpa|epa|imago|shutterstock|istock|keystone|unsplash|pixabay)\b"
    r"|\b(getty images|ap photo|picture alliance|shutterstock|istockphoto|adobe stock)\b"
)
PHOTO_CREDIT = led("abcfgipsvz/", PHOTO_CREDIT_PATTERN, _I)
#: 4-letter prefixes (whole words when shorter) of every word PHOTO_CREDIT needs: its regex
#: starts with ``\b`` and scans slowly, so only lines holding one of these meet it.
PHOTO_CREDIT_WORDS = frozenset(
    [
        "phot",
        "foto",
        "pict",
        "imag",
        "bild",
        "imma",
        "zdję",
        "cred",
        "créd",
        "capt",
        "gett",
        "afp",
        "reut",
        "ap",
        "dpa",
        "epa",
        "shut",
        "isto",
        "keys",
        "unsp",
        "pixa",
        "adob",
    ]
)
