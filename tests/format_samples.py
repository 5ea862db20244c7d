"""Real files of every upload format, written by the tests with real writers (warcio, python-docx,
pypdf, the stdlib) or as literal text: the same bytes for the unit, offline and API tests."""

from __future__ import annotations

import io
import json
import random
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

_WORDS: dict[str, list[str]] = {
    "adj": [
        "new",
        "old",
        "northern",
        "coastal",
        "rural",
        "busy",
        "quiet",
        "historic",
        "local",
        "regional",
        "central",
        "eastern",
    ],
    "noun": [
        "council",
        "harbour",
        "school",
        "railway",
        "museum",
        "market",
        "bridge",
        "library",
        "hospital",
        "stadium",
        "ferry",
        "park",
        "clinic",
        "factory",
        "tunnel",
        "airport",
        "theatre",
        "orchestra",
        "vineyard",
        "brewery",
    ],
    "verb": [
        "approved",
        "delayed",
        "announced",
        "rejected",
        "expanded",
        "funded",
        "reviewed",
        "reopened",
        "proposed",
        "closed",
    ],
    "place": [
        "Lyon",
        "Porto",
        "Ghent",
        "Bergen",
        "Cork",
        "Turin",
        "Gdansk",
        "Aarhus",
        "Malaga",
        "Tartu",
        "Leeds",
        "Graz",
        "Split",
        "Bilbao",
        "Utrecht",
    ],
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "who": [
        "the mayor",
        "a spokesperson",
        "the union",
        "the minister",
        "residents",
        "engineers",
        "teachers",
        "the board",
    ],
}
_TEMPLATES = (
    "The {adj} {noun} in {place} {verb} a plan worth {n} million euros on {day}.",
    "According to {who}, the {noun} had waited {n} months for a decision about the {adj} {noun2}.",
    "{Who} said the {noun2} near the {adj} {noun} would need {n} more workers before winter.",
    "Critics in {place} argued that the {noun} {verb} too quickly, while {who} asked for patience.",
    "A vote on the {adj} {noun2} is expected on {day}, with {n} members of {who} still undecided.",
)


def story(topic: str, paragraphs: int = 4) -> list[str]:
    """Distinct article paragraphs about ``topic``: sentences drawn with a seed of the topic, so
    no two topics are near-duplicates and dedup keeps every document."""
    rng = random.Random(topic)
    out = []
    for number in range(1, paragraphs + 1):
        sentences = []
        for _ in range(4):
            pick = {key: rng.choice(values) for key, values in _WORDS.items()}
            template = rng.choice(_TEMPLATES)
            sentences.append(
                template.format(
                    **pick,
                    Who=pick["who"][:1].upper() + pick["who"][1:],
                    noun2=rng.choice(_WORDS["noun"]),
                    n=rng.randint(2, 900),
                )
            )
        out.append(f"{topic} — paragraph {number}: " + " ".join(sentences))
    return out


def warc(pages: list[tuple[str, str, str]], *, gzip: bool) -> bytes:
    """A WARC with a warcinfo record, and per page (url, content type, body) a request and a
    response record; plus a response with an image, which is not a document."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzip)
    writer.write_record(writer.create_warcinfo_record("crawl.warc", {"software": "tests"}))
    for url, content_type, body in pages:
        request = writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
        writer.write_record(request)
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        response = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body.encode("utf-8")), http_headers=headers
        )
        writer.write_record(response)
    image = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            "https://example.org/logo.png", "response", payload=io.BytesIO(b"\x89PNG\r\n"), http_headers=image
        )
    )
    return buffer.getvalue()


def html_page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article></body></html>"
    )


def rss(items: list[tuple[str, str, str, str]]) -> bytes:
    """An RSS 2.0 feed; per item (guid, title, link, full HTML content); dates are fixed."""
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>{link}</link>"
        f"<pubDate>Mon, 06 Sep 2021 1{n}:45:00 +0000</pubDate><description>Summary only.</description>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item>"
        for n, (guid, title, link, content) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>The Daily</title>'
        f"<link>https://daily.example/</link><language>en</language>{entries}</channel></rss>"
    ).encode()


def atom(items: list[tuple[str, str, str, str]]) -> bytes:
    """An Atom feed; per entry (id, title, link, plain-text summary)."""
    entries = "".join(
        f'<entry><id>{guid}</id><title>{title}</title><link href="{link}"/>'
        f"<updated>2024-03-0{n + 1}T08:00:00Z</updated><summary>{summary}</summary></entry>"
        for n, (guid, title, link, summary) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Wire</title><id>urn:wire</id><updated>2024-03-01T08:00:00Z</updated>{entries}</feed>"
    ).encode()


def json_articles(articles: list[dict[str, str]]) -> bytes:
    return json.dumps(articles, ensure_ascii=False, indent=2).encode()


def pdf(pages: list[list[str]], *, title: str | None = None) -> bytes:
    """A valid PDF with one text line per string on each page (Helvetica, top to bottom)."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for lines in pages:
        ops = ["BT", "/F1 10 Tf", "12 TL", "50 780 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("cp1252")
        page_number = len(objects) + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {page_number + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = None
    if title:
        objects.append(f"<< /Title ({title}) >>".encode())
        info = len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R" + (f" /Info {info} 0 R" if info else "") + " >>"
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def wrapped(paragraphs: list[str], width: int = 80) -> list[str]:
    """Paragraphs as a PDF's lines: hard-wrapped at ``width``, a long word hyphenated at a line end."""
    lines: list[str] = []
    for paragraph in paragraphs:
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > width:
                room = width - len(line) - 2
                if len(word) > 8 and room > 4 and word.isalpha():
                    lines.append(f"{line} {word[:room]}-")
                    line = word[room:]
                    continue
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def docx(title: str, paragraphs: list[str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def markdown(title: str, paragraphs: list[str], *, date: str, url: str) -> bytes:
    def marked(paragraph: str) -> str:
        words = paragraph.split()
        return " ".join(
            [
                *words[:5],
                f"**{' '.join(words[5:8])}**",
                f"[{' '.join(words[8:11])}](https://example.org/link)",
                *words[11:],
            ]
        )

    body = "\n\n".join(marked(p) for p in paragraphs)
    return (
        f'---\ntitle: "{title}"\ndate: {date}\nurl: {url}\ntags: [a, b]\n---\n\n'
        f"# {title}\n\n{body}\n\n```\ncode that is not article text\n```\n"
    ).encode()


def eml(subject: str, paragraphs: list[str], *, when: datetime, message_id: str, html: bool = False) -> bytes:
    message = EmailMessage()
    message["From"] = "Desk <desk@example.org>"
    message["To"] = "news@example.org"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<{message_id}>"
    text = "\n\n".join(paragraphs)
    if html:
        message.set_content(
            "<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>", subtype="html"
        )
    else:
        message.set_content(text)
        message.add_alternative(
            "<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>", subtype="html"
        )
    return bytes(message)


def mail(
    subject: str,
    paragraphs: list[str],
    attachments: dict[str, tuple[bytes, str]],
    *,
    when: datetime = datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
    message_id: str = "with-attachments@example.org",
) -> bytes:
    """An e-mail with a text body (when ``paragraphs``) and attachments: name → (bytes, type)."""
    message = EmailMessage()
    message["From"] = "Desk <desk@example.org>"
    message["To"] = "news@example.org"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<{message_id}>"
    if paragraphs:
        message.set_content("\n\n".join(paragraphs))
    else:
        message.make_mixed()
    for name, (body, media_type) in attachments.items():
        maintype, _, subtype = media_type.partition("/")
        if maintype == "text":
            message.add_attachment(body.decode(), subtype=subtype, filename=name, cte="quoted-printable")
        else:
            message.add_attachment(body, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def encrypted(archive: bytes) -> bytes:
    """A one-member zip whose general-purpose flags say ZipCrypto, as an encrypted zip's do."""
    data = bytearray(archive)
    data[data.find(b"PK\x03\x04") + 6] |= 0x1
    data[data.find(b"PK\x01\x02") + 8] |= 0x1
    return bytes(data)


def nested_zips(levels: int, member: str, body: bytes) -> bytes:
    """``member`` inside ``levels`` zips: the file holds level2.zip, which holds level3.zip …"""
    for level in range(levels, 1, -1):
        body = zipped({member: body})
        member = f"level{level}.zip"
    return zipped({member: body})


WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def every_format() -> dict[str, bytes]:
    """One file of each format, by file name; each holds distinct articles."""
    return {
        "crawl.warc.gz": warc(
            [
                (
                    "https://news.example/a",
                    "text/html; charset=utf-8",
                    html_page("Harbour reopens", story("Harbour")),
                ),
                ("https://news.example/b", "text/plain", "\n\n".join(story("Railway"))),
            ],
            gzip=True,
        ),
        "crawl.warc": warc(
            [("https://news.example/c", "text/html", html_page("Museum expands", story("Museum")))],
            gzip=False,
        ),
        "daily.rss": rss(
            [
                (
                    "rss-1",
                    "Bridge repairs begin",
                    "https://daily.example/1",
                    "".join(f"<p>{p}</p>" for p in story("Bridge")),
                ),
                (
                    "rss-2",
                    "Market day returns",
                    "https://daily.example/2",
                    "".join(f"<p>{p}</p>" for p in story("Market")),
                ),
            ]
        ),
        "wire.atom": atom(
            [("urn:wire:1", "Storm warning issued", "https://wire.example/1", " ".join(story("Storm", 3)))]
        ),
        "articles.json": json_articles(
            [
                {
                    "id": "j-1",
                    "title": "Stadium vote",
                    "url": "https://j.example/1",
                    "text": "\n\n".join(story("Stadium")),
                },
                {
                    "id": "j-2",
                    "title": "Ferry timetable",
                    "html": html_page("Ferry timetable", story("Ferry")),
                },
            ]
        ),
        "report.pdf": pdf(
            [
                ["City Gazette - Annual report", *wrapped(story("Report", 2)), "Page 1 of 2"],
                ["City Gazette - Annual report", *wrapped(story("Budget", 2)), "Page 2 of 2"],
            ],
            title="Annual report",
        ),
        "memo.docx": docx("Council memo", story("Memo")),
        "notes.md": markdown("Park cleanup", story("Park"), date="2024-04-02", url="https://md.example/park"),
        "letter.eml": eml("School results", story("School"), when=WHEN, message_id="m-1@example.org"),
    }


def nested_formats() -> dict[str, bytes]:
    """Files whose formats nest (attachments, archives in archives), each article distinct."""
    inner_warc = warc(
        [("https://nest.example/w", "text/html", html_page("Tram line opens", story("Tram")))], gzip=True
    )
    attached_zip = zipped(
        {
            "brief.md": markdown(
                "Library hours", story("Library"), date="2024-04-03", url="https://md.example/lib"
            ),
            "crawl.warc.gz": inner_warc,
        }
    )
    letter = mail(
        "Weekly digest",
        story("Digest"),
        {
            "report.pdf": (pdf([[*wrapped(story("Harvest", 2))]], title="Harvest report"), "application/pdf"),
            "memo.docx": (
                docx("Water memo", story("Water")),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            "page.html": (html_page("Clinic reopens", story("Clinic")).encode(), "text/html"),
            "bundle.zip": (attached_zip, "application/zip"),
            "logo.png": (b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"),
        },
        message_id="digest@example.org",
    )
    forwarded = mail(
        "Fwd: paper",
        [],
        {"paper.pdf": (pdf([[*wrapped(story("Bridge", 2))]], title="Bridge survey"), "application/pdf")},
        message_id="fwd@example.org",
    )
    return {
        "digest.eml": letter,
        "box.zip": zipped({"in/fwd.eml": forwarded, "note.txt": "\n\n".join(story("Orchard")).encode()}),
        "deep.zip": nested_zips(3, "story.txt", "\n\n".join(story("Canal")).encode()),
    }


def hostile_nested_formats() -> dict[str, bytes]:
    """Nesting that must end in rejected documents with reasons, never a failed batch."""
    return {
        "toodeep.zip": nested_zips(4, "story.txt", "\n\n".join(story("Quarry")).encode()),
        # says base64, starts as base64, then is not: refused, never read as garbage
        "badb64.eml": mail(
            "Broken", [], {"scan.pdf": (b"%PDF-1.4 lying", "application/pdf")}, message_id="b@example.org"
        ).replace(b"JVBERi0xLjQgbHlpbmc=", b"JVBERi0xLjQgbHlpbmc=%%not*base64%%"),
        "locked.eml": mail(
            "Locked",
            [],
            {"secret.zip": (encrypted(zipped({"secret.txt": b"hidden words"})), "application/zip")},
            message_id="l@example.org",
        ),
    }
