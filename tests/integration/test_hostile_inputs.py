"""A table of hostile inputs through the real API and worker: none may get a 5xx.

Each case is one request built in code. A 4xx answers the JSON error shape; an accepted
upload's documents end ``rejected`` with a reason or ``stored`` with sane text (no markup,
no script, nothing from a file or a URL an entity pointed at). At the end the API and the
worker are still up, no request reached the tripwire listener, and a normal article is stored.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import random
import re
import socket
import struct
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ingest_devstack.servers import ApiServer, Worker
from tests import format_samples as samples

pytestmark = pytest.mark.integration

WaitJob = Callable[..., dict[str, Any]]
Request = dict[str, Any]
"""Keyword arguments of ``httpx.Client.request``."""


# --- the tripwire: a loopback listener that entities and DTDs point at ----------------------


class Tripwire:
    """Counts connections to a loopback port that no parser may ever open."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


_TRIPWIRE = Tripwire()  # module level: the case table below needs its port at import


@pytest.fixture(scope="module")
def tripwire() -> Iterator[Tripwire]:
    yield _TRIPWIRE
    _TRIPWIRE.close()


# --- inputs ---------------------------------------------------------------------------------

STORY = samples.story("Hostile harbour", 4)
TEXT = "\n\n".join(STORY)
WORD = "Critics"  # a word every paragraph of STORY has some sentence with: checked after decoding
JAPANESE = (
    "東京都は火曜日、新しい港湾施設の開業が三月に延期されると発表した。"
    "嵐で北側の防波堤が損傷したためで、関係者によると修理には少なくとも二か月かかる見通しだ。\n\n"
    "同施設は港の取扱能力を倍増させる計画で、地元の漁業関係者は当初から計画に反対していた。"
    "市の担当者は記者団に対し、安全を最優先に工事を進めると述べた。"
)
LATIN = (
    "Le maire de Montréal a annoncé mardi que le nouveau terminal ouvrirait en mars, deux mois "
    "plus tard que prévu, après que des tempêtes ont endommagé la digue nord.\n\n"
    "Les pêcheurs, opposés au projet dès le départ, ont déclaré que ce retard prouvait que la "
    "digue avait été construite trop vite et sans études suffisantes du fond marin. « Nous "
    "l'avions dit », a déclaré un porte-parole à la presse locale."
)
PASSWD_MARK = "root:x:0:0"


def article_html(extra: str = "") -> str:
    return samples.html_page("Hostile harbour", STORY).replace("</article>", f"{extra}</article>")


def lol_entities(levels: int = 10) -> str:
    """The billion laughs: each entity ten of the one before."""
    lines = ['<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, levels)]
    return "\n".join(lines)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 16 for _ in range(16))
    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + bytes(range(256)) * 8
        + b"\xff\xd9"
    )


def gif() -> bytes:
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def random_bytes(size: int = 64 * 1024, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def elf() -> bytes:
    return (
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + random_bytes(4096, 3)
    )


def zip_of(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED, zip64: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, body in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            with archive.open(info, "w", force_zip64=zip64) as handle:
                handle.write(body)
    return buffer.getvalue()


def zip_many(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for number in range(count):
            archive.writestr(f"m{number}.txt", b"x")
    return buffer.getvalue()


def zip_symlink() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("passwd-link.txt")
        info.create_system = 3
        info.external_attr = (0o120777 << 16) | 0x20  # a symlink, as unzip would make it
        archive.writestr(info, "/etc/passwd")
        archive.writestr("story.txt", TEXT)
    return buffer.getvalue()


def zip_encrypted() -> bytes:
    """A member whose general-purpose flag says it is encrypted (ZipCrypto)."""
    return samples.encrypted(zip_of({"secret.txt": TEXT.encode()}))


def zip_nested(levels: int) -> bytes:
    body = zip_of({"story.txt": TEXT.encode()})
    for level in range(levels - 1):
        body = zip_of({f"level{level}.zip": body})
    return body


def zip_lying_size() -> bytes:
    """The central directory says the member is 1 MB; the data is a short deflate stream."""
    data = bytearray(zip_of({"story.txt": TEXT.encode()}))
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1024 * 1024)  # uncompressed size
    return bytes(data)


def tar_of(members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                name, body = member
                info = tarfile.TarInfo(name)
                info.size = len(body)
                archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def tar_lying_size() -> bytes:
    """A header that claims 10 MB for a member of a few bytes."""
    data = bytearray(tar_of([("story.txt", TEXT.encode())]))
    size_field = f"{10 * 1024 * 1024:011o}\0".encode()
    data[124:136] = size_field
    data[148:156] = b" " * 8
    checksum = sum(data[:512])
    data[148:156] = f"{checksum:06o}\0 ".encode()
    return bytes(data)


def tar_gz_bomb() -> bytes:
    return tar_of([("zeros.txt", b"\0" * (16 * 1024 * 1024))], mode="w:gz")


def nested_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def jsonl(*lines: bytes | str | dict[str, Any]) -> bytes:
    out = []
    for line in lines:
        if isinstance(line, dict):
            out.append(json.dumps(line).encode())
        elif isinstance(line, str):
            out.append(line.encode())
        else:
            out.append(line)
    return b"\n".join(out) + b"\n"


GOOD_LINE = {"id": "good-1", "title": "Hostile harbour", "text": TEXT}


def warc_lying_length(delta: int) -> bytes:
    body = samples.warc([("https://news.example/a", "text/html", article_html())], gzip=False)
    text = body.decode("latin-1")
    match = re.search(r"WARC-Type: response\r\n(?:.*?\r\n)*?Content-Length: (\d+)", text)
    assert match is not None
    start, end = match.span(1)
    lie = str(int(match.group(1)) + delta)
    return (text[:start] + lie + text[end:]).encode("latin-1")


def pdf_claiming_pages(count: int) -> bytes:
    body = samples.pdf([samples.wrapped(STORY)])
    return body.replace(b"/Count 1 >>", f"/Count {count} >>".encode())


def pdf_image_only() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
    ]
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    pixels = zlib.compress(random_bytes(64 * 64 * 3, 11))
    objects.append(
        b"<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(pixels)
        + pixels
        + b"\nendstream"
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx_bomb() -> bytes:
    padding = b"<w:p><w:r><w:t>" + b" " * (200 * 1024 * 1024) + b"</w:t></w:r></w:p>"
    document = b'<?xml version="1.0"?><w:document xmlns:w="w"><w:body>' + padding + b"</w:body></w:document>"
    return zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": document})


def docx_with_entity(target: str) -> bytes:
    body = samples.docx("Hostile harbour", STORY)
    source = zipfile.ZipFile(io.BytesIO(body))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                head, _, rest = data.partition(b"?>")
                data = (
                    head + b'?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "' + target.encode() + b'">]>' + rest
                ).replace(b"paragraph 1:", b"paragraph 1: &xxe;")
            archive.writestr(info, data)
    return buffer.getvalue()


def eml_nested(depth: int) -> bytes:
    lines = ["From: desk@example.org", "Subject: nested", "MIME-Version: 1.0"]
    for level in range(depth):
        lines += [f'Content-Type: multipart/mixed; boundary="b{level}"', "", f"--b{level}"]
    lines += ["Content-Type: text/plain", "", TEXT]
    for level in reversed(range(depth)):
        lines.append(f"--b{level}--")
    return "\r\n".join(lines).encode()


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"hostile", *, close: bool = True) -> bytes:
    """A hand-made multipart body: (part headers, part body) pairs."""
    out = b""
    for headers, body in parts:
        out += b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + body + b"\r\n"
    if close:
        out += b"--" + boundary + b"--\r\n"
    return out


def file_part(filename: bytes, body: bytes, name: bytes = b"files") -> tuple[bytes, bytes]:
    return b'Content-Disposition: form-data; name="' + name + b'"; filename="' + filename + b'"', body


def field_part(name: str, value: str) -> tuple[bytes, bytes]:
    return f'Content-Disposition: form-data; name="{name}"'.encode(), value.encode()


# --- the table ------------------------------------------------------------------------------

ACCEPTED = frozenset({202})
FINISHED = frozenset({"stored", "rejected", "duplicate"})
STORED = frozenset({"stored"})
REJECTED = frozenset({"rejected"})


@dataclass(frozen=True)
class Case:
    """One hostile request and what may come of it."""

    id: str
    request: Callable[[str], Request]  # collection → request
    status: frozenset[int] = ACCEPTED
    docs: frozenset[str] = FINISHED  # every document's status when accepted
    reason: str | None = None  # a rejected document's error holds this (case-insensitive)
    contains: str | None = None  # every stored record's text holds this
    min_documents: int = 0
    plain_error: bool = False  # refused by the HTTP server itself (uvicorn), before the app: no JSON
    quotes_markup: bool = False  # the page shows markup as text (&lt;script&gt;): it is the article's

    def __str__(self) -> str:
        return self.id


def upload(
    name: str, body: bytes | Callable[[], bytes], content_type: str | None = None
) -> Callable[[str], Request]:
    def build(collection: str) -> Request:
        data = body() if callable(body) else body
        part = (name, data, content_type) if content_type else (name, data)
        return {
            "method": "POST",
            "url": "/v1/documents",
            "files": [("files", part)],
            "data": {"collection": collection},
        }

    return build


def raw(
    body: bytes | Callable[[], bytes],
    content_type: str | bytes,
    filename: str | bytes | None = None,
    **headers: str | bytes,
) -> Callable[[str], Request]:
    def build(collection: str) -> Request:
        sent: dict[str, str | bytes] = {"Content-Type": content_type, "X-Collection": collection, **headers}
        if filename is not None:
            sent["X-Filename"] = filename
        return {
            "method": "POST",
            "url": "/v1/documents",
            "content": body() if callable(body) else body,
            "headers": sent,
        }

    return build


def hand_made(
    body: bytes, content_type: bytes | str = b"multipart/form-data; boundary=hostile", **headers: str | bytes
) -> Callable[[str], Request]:
    def build(collection: str) -> Request:
        content = body
        if body.startswith(b"--hostile\r\n"):  # the test's own collection first: no cross-test dedup
            name, value = field_part("collection", collection)
            content = b"--hostile\r\n" + name + b"\r\n\r\n" + value + b"\r\n" + body
        return {
            "method": "POST",
            "url": "/v1/documents",
            "content": content,
            "headers": {"Content-Type": content_type, **headers},
        }

    return build


def call(method: str, url: str, **kwargs: Any) -> Callable[[str], Request]:
    def build(collection: str) -> Request:
        return {"method": method, "url": url.format(collection=collection), **kwargs}

    return build


def case(id: str, request: Callable[[str], Request], *statuses: int, **kwargs: Any) -> Case:
    return Case(id, request, frozenset(statuses) or ACCEPTED, **kwargs)


A_JOB = "01J0000000000000000000000Z"  # a well-formed id no job has
WIDE = TEXT + "\n"
XXE_FILE = '<!DOCTYPE doc [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_HTTP = f'<!DOCTYPE doc [<!ENTITY xxe SYSTEM "{_TRIPWIRE.url}/entity">]>'
XXE_PORT1 = '<!DOCTYPE doc [<!ENTITY xxe SYSTEM "http://127.0.0.1:1/entity">]>'
DTD_HTTP = f'<!DOCTYPE doc SYSTEM "{_TRIPWIRE.url}/doc.dtd">'
PARAM_XXE = f'<!DOCTYPE doc [<!ENTITY % remote SYSTEM "{_TRIPWIRE.url}/param.dtd"> %remote;]>'


def xml_doc(doctype: str, body: str = "&xxe;") -> bytes:
    paragraphs = "".join(f"<para>{p}</para>" for p in STORY)
    head = f'<?xml version="1.0"?>\n{doctype}\n<doc><title>Hostile harbour</title>'
    return f"{head}<para>{body}</para>{paragraphs}</doc>".encode()


def rss_with(doctype: str, entity: str) -> bytes:
    content = article_html().replace("<p>", f"<p>{entity} ", 1)
    feed = samples.rss([("g1", f"Hostile {entity}", "https://news.example/1", content)]).decode()
    return feed.replace("?>\n", f"?>\n{doctype}\n", 1).replace("<![CDATA[", "").replace("]]>", "").encode()


def atom_with(doctype: str, entity: str) -> bytes:
    feed = samples.atom([("urn:1", "Hostile harbour", "https://news.example/1", f"{entity} {TEXT}")]).decode()
    return feed.replace("?>", f"?>{doctype}", 1).encode()


CASES: list[Case] = [
    # empty and whitespace
    case("empty-file", upload("empty.txt", b""), docs=REJECTED, reason="empty"),
    case("whitespace-file", upload("blank.txt", b" \n\t\r\n   \n" * 100), docs=REJECTED, reason="empty"),
    case(
        "unicode-whitespace-file",
        upload("blank.txt", "\u00a0\u2003\u3000\u200b\n".encode() * 200),
        docs=REJECTED,
    ),
    case("bom-only-file", upload("bom.txt", b"\xef\xbb\xbf"), docs=REJECTED),
    case("utf16-bom-only-file", upload("bom16.txt", b"\xff\xfe"), docs=REJECTED),
    case("empty-raw-body", raw(b"", "text/plain", "empty.txt"), 400),
    case("empty-html", upload("empty.html", b"<html><body></body></html>"), docs=REJECTED),
    # binaries
    case("png", upload("photo.png", png()), docs=REJECTED),
    case("png-named-txt", upload("story.txt", png(), "text/plain"), docs=REJECTED),
    case("jpeg", upload("photo.jpg", jpeg()), docs=REJECTED),
    case("gif", upload("anim.gif", gif()), docs=REJECTED),
    case("random-bytes", upload("noise.bin", random_bytes()), docs=REJECTED),
    case("random-bytes-named-html", upload("noise.html", random_bytes(seed=9), "text/html"), docs=REJECTED),
    case("elf", upload("a.out", elf()), docs=REJECTED),
    case("nul-filled", upload("zeros.txt", b"\0" * (1024 * 1024)), docs=REJECTED),
    case("windows-exe", upload("setup.exe", b"MZ\x90\x00" + random_bytes(2048, 5)), docs=REJECTED),
    case("plain-gzip", upload("story.txt.gz", gzip.compress(TEXT.encode())), docs=REJECTED),
    case("bzip2", upload("story.bz2", bz2.compress(TEXT.encode())), docs=REJECTED),
    case("raw-png-body", raw(png(), "application/octet-stream", "photo.png"), docs=REJECTED),
    # text in odd encodings
    case("utf16-le-bom", upload("u16.txt", WIDE.encode("utf-16")), docs=STORED, contains=WORD),
    case(
        "utf16-be-bom",
        upload("u16be.txt", b"\xfe\xff" + WIDE.encode("utf-16-be")),
        docs=STORED,
        contains=WORD,
    ),
    case("utf16-le-no-bom", upload("u16le.txt", WIDE.encode("utf-16-le")), docs=STORED, contains=WORD),
    case("utf16-be-no-bom", upload("u16be.txt", WIDE.encode("utf-16-be")), docs=STORED, contains=WORD),
    case("utf32-bom", upload("u32.txt", WIDE.encode("utf-32")), docs=STORED, contains=WORD),
    case("utf32-le-no-bom", upload("u32le.txt", WIDE.encode("utf-32-le")), docs=STORED, contains=WORD),
    case("utf32-be-no-bom", upload("u32be.txt", WIDE.encode("utf-32-be")), docs=STORED, contains=WORD),
    case("utf8-bom", upload("bom8.txt", b"\xef\xbb\xbf" + TEXT.encode()), docs=STORED, contains=WORD),
    case("latin1", upload("fr.txt", LATIN.encode("latin-1")), docs=STORED, contains="prévu"),
    case(
        "cp1252-quotes",
        upload("q.txt", (TEXT + " \u201cquoted\u201d \u2014 ok").encode("cp1252")),
        docs=STORED,
        contains=WORD,
    ),
    case("shift-jis", upload("ja.txt", JAPANESE.encode("shift_jis")), docs=FINISHED),
    case("euc-jp", upload("ja-euc.txt", JAPANESE.encode("euc_jp")), docs=FINISHED),
    case(
        "koi8-r",
        upload(
            "ru.txt",
            (
                "Москва. " * 3 + "Мэр города заявил во вторник, что новый терминал откроется в марте. " * 20
            ).encode("koi8_r"),
        ),
        docs=FINISHED,
    ),
    case(
        "mixed-utf8-latin1",
        upload("mixed.txt", TEXT.encode() + b"\n\n" + LATIN.encode("latin-1")),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "invalid-utf8",
        upload("bad8.txt", TEXT.encode().replace(b" the ", b" \x80\xbf\xfe\xff the ")),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "overlong-utf8",
        upload("overlong.txt", TEXT.encode().replace(b" a ", b" \xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf ")),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "encoded-surrogates-utf8",
        upload("surr.txt", TEXT.encode().replace(b" the ", b" \xed\xa0\x80\xed\xb0\x80 the ")),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "html-charset-lies",
        upload("lie.html", article_html().replace("<head>", '<head><meta charset="utf-16">').encode()),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "html-unknown-charset",
        upload("unk.html", article_html().replace("<head>", '<head><meta charset="x-no-such">').encode()),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "raw-unknown-charset-param",
        raw(TEXT.encode(), "text/plain; charset=x-no-such-charset", "c.txt"),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "jsonl-lone-surrogates",
        upload(
            "s.jsonl",
            jsonl(
                '{"id": "s1", "text": "\\ud800 '
                + TEXT.replace("\n", "\\n").replace('"', '\\"')
                + ' \\udfff"}'
            ),
        ),
        docs=FINISHED,
    ),
    case(
        "json-array-lone-surrogates",
        upload(
            "s.json",
            (
                '[{"id": "s2", "title": "\\udc00", "text": "\\ud83d '
                + TEXT.replace("\n", "\\n").replace('"', '\\"')
                + '"}]'
            ).encode(),
        ),
        docs=FINISHED,
    ),
    case("nul-bytes-in-text", upload("nul.txt", TEXT.encode().replace(b". ", b".\x00 ")), docs=FINISHED),
    case(
        "control-chars-in-text",
        upload("ctl.txt", TEXT.encode().replace(b", ", b",\x1b[31m\x07\x08 ")),
        docs=FINISHED,
    ),
    case(
        "bidi-overrides", upload("bidi.txt", TEXT.replace(" the ", " \u202ethe\u202c ").encode()), docs=STORED
    ),
    # huge single lines
    case(
        "two-mb-one-line",
        upload("line.txt", lambda: b" ".join([TEXT.replace("\n", " ").encode()] * 900)),
        docs=FINISHED,
    ),
    case("one-mb-one-word", upload("word.txt", b"a" * (1024 * 1024)), docs=FINISHED),
    case(
        "html-one-mb-attribute",
        upload("attr.html", article_html(f'<p title="{"x" * 1024 * 1024}">tail</p>').encode()),
        docs=FINISHED,
    ),
    # markup
    case(
        "html-100k-nested-divs",
        upload(
            "deep.html",
            lambda: (
                b"<html><body>" + b"<div>" * 100_000 + TEXT.encode() + b"</div>" * 100_000 + b"</body></html>"
            ),
        ),
        docs=FINISHED,
    ),
    case(
        "html-100k-unclosed-tags",
        upload("open.html", lambda: b"<html><body>" + b"<b><i>" * 50_000 + TEXT.encode()),
        docs=FINISHED,
    ),
    case(
        "html-scripts-only",
        upload(
            "s.html",
            (
                "<html><head><script>var a=1;</script></head><body>"
                + "<script>alert('x')</script>" * 50
                + "</body></html>"
            ).encode(),
        ),
        docs=REJECTED,
    ),
    case(
        "html-iframes-only",
        upload(
            "i.html",
            (
                "<html><body>" + "<iframe src='https://evil.example/'></iframe>" * 50 + "</body></html>"
            ).encode(),
        ),
        docs=REJECTED,
    ),
    case(
        "html-forms-only",
        upload(
            "f.html",
            (
                "<html><body>"
                + "<form action='/x'><input name='a' value='b'><button>Go</button></form>" * 50
                + "</body></html>"
            ).encode(),
        ),
        docs=REJECTED,
    ),
    case(
        "html-article-with-scripts",
        upload(
            "as.html",
            article_html(
                "<script>alert('owned')</script><iframe src='javascript:alert(1)'></iframe>"
                "<form><input value='x'></form><style>p{color:red}</style>"
            ).encode(),
        ),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "html-script-in-attributes",
        upload(
            "attr.html",
            article_html(
                '<p onclick="alert(1)"><a href="javascript:alert(2)">x</a></p><img src=x onerror="alert(3)">'
            ).encode(),
        ),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "html-noscript-and-template",
        upload(
            "n.html",
            article_html(
                "<noscript><script>alert(1)</script></noscript><template><script>alert(2)</script></template>"
            ).encode(),
        ),
        docs=STORED,
    ),
    case(
        "html-escaped-script-text",
        upload("esc.html", article_html("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>").encode()),
        docs=STORED,
        quotes_markup=True,
    ),
    case(
        "svg-with-script",
        upload(
            "x.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><text>'
            + TEXT.encode()
            + b"</text></svg>",
        ),
        docs=REJECTED,
    ),
    case(
        "svg-named-xml",
        upload(
            "x.xml",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><text>'
            + TEXT.encode()
            + b"</text></svg>",
        ),
        docs=REJECTED,
    ),
    case(
        "svg-raw-no-name",
        raw(
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><text>'
            + TEXT.encode()
            + b"</text></svg>",
            "text/plain",
        ),
        docs=FINISHED,
    ),
    case(
        "inline-svg-in-html",
        upload(
            "svg.html", article_html("<svg><script>alert(1)</script><text>svg text</text></svg>").encode()
        ),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "xml-billion-laughs",
        upload(
            "lol.xml",
            f'<?xml version="1.0"?>\n<!DOCTYPE doc [{lol_entities()}]>\n'
            f"<doc><para>&lol9;</para><para>{TEXT}</para></doc>".encode(),
        ),
        docs=FINISHED,
    ),
    case(
        "xml-quadratic-blowup",
        upload(
            "quad.xml",
            f'<?xml version="1.0"?><!DOCTYPE doc [<!ENTITY a "{"x" * 50_000}">]>'
            f"<doc><para>{'&a;' * 50_000}</para><para>{TEXT}</para></doc>".encode(),
        ),
        docs=FINISHED,
    ),
    case("xml-xxe-file", upload("xxe.xml", xml_doc(XXE_FILE)), docs=FINISHED),
    case("xml-xxe-http", upload("xxe-http.xml", xml_doc(XXE_HTTP)), docs=FINISHED),
    case("xml-xxe-port-1", upload("xxe-1.xml", xml_doc(XXE_PORT1)), docs=FINISHED),
    case("xml-external-dtd", upload("dtd.xml", xml_doc(DTD_HTTP, "plain")), docs=FINISHED),
    case("xml-parameter-entity", upload("param.xml", xml_doc(PARAM_XXE, "plain")), docs=FINISHED),
    case(
        "xml-xinclude",
        upload(
            "xi.xml",
            xml_doc(
                "",
                '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                'href="file:///etc/passwd" parse="text"/>',
            ),
        ),
        docs=FINISHED,
    ),
    case(
        "html-billion-laughs",
        upload(
            "lol.html",
            f"<!DOCTYPE html [{lol_entities()}]><html><body><p>&lol9;</p>"
            f"{article_html()}</body></html>".encode(),
        ),
        docs=FINISHED,
    ),
    case(
        "xhtml",
        upload(
            "page.xhtml",
            (
                '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
                "<head><title>Hostile harbour</title></head><body>"
                + "".join(f"<p>{p}</p>" for p in STORY)
                + "</body></html>"
            ).encode(),
            "application/xhtml+xml",
        ),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "xhtml-with-xxe",
        upload(
            "xxe.xhtml",
            (
                f'<?xml version="1.0"?>\n{XXE_FILE}\n<html xmlns="http://www.w3.org/1999/xhtml"><body><p>&xxe;</p>'
                + "".join(f"<p>{p}</p>" for p in STORY)
                + "</body></html>"
            ).encode(),
            "application/xhtml+xml",
        ),
        docs=FINISHED,
    ),
    case(
        "xhtml-billion-laughs",
        upload(
            "lol.xhtml",
            (
                f'<?xml version="1.0"?>\n<!DOCTYPE html [{lol_entities()}]>\n<html xmlns="http://www.w3.org/1999/xhtml"><body><p>&lol9;</p>'
                + "".join(f"<p>{p}</p>" for p in STORY)
                + "</body></html>"
            ).encode(),
            "application/xhtml+xml",
        ),
        docs=FINISHED,
    ),
    case(
        "xml-malformed",
        upload("bad.xml", b'<?xml version="1.0"?><doc><para>' + TEXT.encode() + b"</para><unclosed>"),
        docs=FINISHED,
    ),
    # feeds
    case(
        "rss-billion-laughs",
        upload("lol.rss", lambda: rss_with(f"<!DOCTYPE rss [{lol_entities()}]>", "&lol9;")),
        docs=FINISHED,
    ),
    case(
        "rss-xxe-file",
        upload(
            "xxe.rss", lambda: rss_with('<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;")
        ),
        docs=FINISHED,
    ),
    case(
        "atom-xxe-http",
        upload(
            "xxe.atom",
            lambda: atom_with(f'<!DOCTYPE feed [<!ENTITY xxe SYSTEM "{_TRIPWIRE.url}/atom">]>', "&xxe;"),
        ),
        docs=FINISHED,
    ),
    case(
        "rss-script-in-item",
        upload(
            "script.rss",
            samples.rss(
                [("g1", "Hostile", "https://news.example/1", article_html("<script>alert(1)</script>"))]
            ),
        ),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "rss-no-items",
        upload(
            "empty.rss", b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
        ),
        202,
        400,
        422,
        docs=FINISHED,
    ),
    case(
        "rss-truncated",
        upload(
            "cut.rss",
            lambda: samples.rss([("g1", "Hostile", "https://news.example/1", article_html())])[:300],
        ),
        docs=FINISHED,
    ),
    # archives
    case(
        "zip-10001-members",
        upload("many.zip", lambda: zip_many(10_001)),
        202,
        413,
        docs=REJECTED,
        reason="members",
    ),
    case(
        "zip-highly-compressed-member",
        upload("bomb.zip", lambda: zip_of({"zeros.txt": b"\0" * (16 * 1024 * 1024)})),
        docs=REJECTED,
    ),
    case(
        "zip-member-over-file-limit",
        upload("big.zip", lambda: zip_of({"big.txt": b" " * (21 * 1024 * 1024)})),
        docs=REJECTED,
    ),
    case(
        "zip-path-traversal",
        upload("trav.zip", zip_of({"../../x.txt": TEXT.encode()})),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "zip-absolute-name",
        upload("abs.zip", zip_of({"/etc/passwd": TEXT.encode()})),
        docs=STORED,
        contains=WORD,
    ),
    case("zip-backslash-traversal", upload("win.zip", zip_of({"..\\..\\x.txt": TEXT.encode()})), docs=STORED),
    case("zip-symlink-member", upload("link.zip", zip_symlink()), docs=FINISHED),
    case("zip-in-zip-in-zip", upload("nest.zip", zip_nested(3)), docs=STORED, min_documents=1),
    case(
        "zip-nested-past-the-cap",
        upload("nest.zip", zip_nested(4)),
        docs=REJECTED,
        reason="nested too deeply",
    ),
    case(
        "zip-nested-twenty-deep",
        upload("nest.zip", zip_nested(20)),
        docs=REJECTED,
        reason="nested too deeply",
    ),
    case(
        "eml-attachment-lying-base64",
        upload("badb64.eml", samples.hostile_nested_formats()["badb64.eml"]),
        docs=REJECTED,
        reason="not valid base64",
    ),
    case(
        "eml-attachment-encrypted-zip",
        upload("locked.eml", samples.hostile_nested_formats()["locked.eml"]),
        docs=REJECTED,
        reason="encrypted",
    ),
    case(
        "eml-attachment-nested-past-the-cap",
        upload(
            "deep.eml",
            samples.mail("Deep", [], {"nest.zip": (zip_nested(3), "application/zip")}, message_id="d@e.org"),
        ),
        docs=REJECTED,
        reason="nested too deeply",
    ),
    case(
        "eml-attachment-zip-bomb",
        upload(
            "bomb.eml",
            samples.mail("Bomb", [], {"z.zip": (zip_of({"z.txt": bytes(5_000_000)}), "application/zip")}),
        ),
        docs=REJECTED,
        reason="zip bomb",
    ),
    case(
        "zip-truncated",
        upload("cut.zip", zip_of({"a.txt": TEXT.encode(), "b.txt": LATIN.encode()})[:-40]),
        docs=REJECTED,
    ),
    case(
        "zip-truncated-half",
        upload(
            "half.zip",
            lambda: zip_of({"a.txt": TEXT.encode(), "b.txt": LATIN.encode()})[:300],
        ),
        docs=REJECTED,
    ),
    case("zip-encrypted-member", upload("enc.zip", zip_encrypted()), docs=REJECTED, reason="encrypted"),
    case(
        "zip64",
        upload("z64.zip", zip_of({"story.txt": TEXT.encode()}, zip64=True)),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "zip-bzip2-member",
        upload("bz.zip", zip_of({"story.txt": TEXT.encode()}, method=zipfile.ZIP_BZIP2)),
        docs=REJECTED,
    ),
    case("zip-lying-size", upload("lie.zip", zip_lying_size()), docs=FINISHED),
    case("zip-empty", upload("empty.zip", zip_of({})), 202, 400, 422, docs=FINISHED),
    case(
        "zip-duplicate-names",
        upload("dup.zip", lambda: b"".join([zip_of({"a.txt": TEXT.encode()})])),
        docs=FINISHED,
    ),
    case("zip-named-but-text", upload("text.zip", TEXT.encode()), docs=REJECTED),
    case(
        "zip-of-binaries",
        upload("bin.zip", zip_of({"a.png": png(), "b.bin": random_bytes(4096), "c.txt": b""})),
        docs=REJECTED,
    ),
    case(
        "tar-symlink",
        upload(
            "link.tar",
            tar_of([link("passwd.txt", "/etc/passwd", tarfile.SYMTYPE), ("story.txt", TEXT.encode())]),
        ),
        docs=FINISHED,
    ),
    case(
        "tar-only-symlink",
        upload("onlylink.tar", tar_of([link("passwd.txt", "/etc/passwd", tarfile.SYMTYPE)])),
        202,
        400,
        422,
        docs=FINISHED,
    ),
    case(
        "tar-hardlink",
        upload(
            "hard.tar",
            tar_of([link("passwd.txt", "/etc/passwd", tarfile.LNKTYPE), ("story.txt", TEXT.encode())]),
        ),
        docs=FINISHED,
    ),
    case(
        "tar-path-traversal", upload("trav.tar", tar_of([("../../../tmp/x.txt", TEXT.encode())])), docs=STORED
    ),
    case("tar-truncated", upload("cut.tar", tar_of([("a.txt", TEXT.encode() * 3)])[:700]), docs=REJECTED),
    case(
        "tar-gz-truncated",
        upload(
            "cut.tar.gz", lambda: tar_of([("a.txt", random_bytes(8192).hex().encode())], mode="w:gz")[:2000]
        ),
        docs=REJECTED,
    ),
    case("tar-lying-size", upload("lie.tar", tar_lying_size()), docs=REJECTED),
    case("tar-gz-bomb", upload("bomb.tar.gz", tar_gz_bomb), docs=REJECTED),
    case(
        "tar-device-and-fifo",
        upload(
            "dev.tar",
            tar_of(
                [
                    link("null", "", tarfile.CHRTYPE),
                    link("fifo", "", tarfile.FIFOTYPE),
                    ("story.txt", TEXT.encode()),
                ]
            ),
        ),
        docs=FINISHED,
    ),
    case("tar-named-but-random", upload("noise.tar.gz", random_bytes(seed=13)), docs=REJECTED),
    # JSON Lines and JSON
    case(
        "jsonl-invalid-line",
        upload("bad.jsonl", jsonl(GOOD_LINE, "{not json", '{"id": "x", "text": "unterminated')),
        docs=FINISHED,
        min_documents=3,
    ),
    case(
        "jsonl-non-object-lines",
        upload("scalars.jsonl", jsonl("42", '"a string"', "[1, 2]", "null", "true")),
        docs=REJECTED,
    ),
    case(
        "jsonl-nested-100k",
        upload(
            "deep.jsonl",
            lambda: jsonl(nested_json(100_000), b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ),
        docs=REJECTED,
    ),
    case(
        "jsonl-ten-mb-line",
        upload("long.jsonl", lambda: jsonl({"id": "long", "text": "word " * (2 * 1024 * 1024)})),
        docs=FINISHED,
    ),
    case(
        "jsonl-missing-text", upload("notext.jsonl", jsonl({"id": "n1", "title": "No body"})), docs=REJECTED
    ),
    case(
        "jsonl-text-not-string",
        upload(
            "types.jsonl",
            jsonl(
                {"id": "t1", "text": 42},
                {"id": "t2", "text": ["a", "b"]},
                {"id": "t3", "text": None},
                {"id": "t4", "text": {"a": TEXT}},
                {"id": "t5", "text": True},
            ),
        ),
        docs=REJECTED,
    ),
    case(
        "jsonl-odd-ids",
        upload(
            "ids.jsonl",
            jsonl(
                {"id": 12345, "text": TEXT},
                {"id": 1.5e300, "text": LATIN},
                {"id": ["list"], "text": "x " + TEXT},
                {"id": None, "text": "y " + TEXT},
            ),
        ),
        docs=FINISHED,
    ),
    case(
        "jsonl-nan-and-huge-numbers",
        upload(
            "nan.jsonl",
            jsonl(
                '{"id": NaN, "text": "a"}',
                '{"id": 1e99999, "text": "b"}',
                '{"id": ' + "9" * 5000 + ', "text": "c"}',
            ),
        ),
        docs=FINISHED,
    ),
    case(
        "jsonl-other-fields-wrong-types",
        upload(
            "fields.jsonl",
            jsonl(
                {
                    "id": "f1",
                    "text": TEXT,
                    "title": 5,
                    "url": ["x"],
                    "published_at": {"y": 1},
                    "language": 7,
                    "authors": "nobody",
                }
            ),
        ),
        docs=FINISHED,
    ),
    case("jsonl-blank-lines-only", upload("blank.jsonl", b"\n\n   \n\r\n"), 202, 400, 422, docs=FINISHED),
    case(
        "jsonl-bom-and-crlf",
        upload("bom.jsonl", b"\xef\xbb\xbf" + jsonl(GOOD_LINE).replace(b"\n", b"\r\n")),
        docs=FINISHED,
    ),
    case("jsonl-utf16", upload("u16.jsonl", jsonl(GOOD_LINE).decode().encode("utf-16")), docs=FINISHED),
    case(
        "jsonl-duplicate-keys",
        upload("dupkeys.jsonl", b'{"text": 1, "text": "' + TEXT.replace("\n", " ").encode() + b'"}\n'),
        docs=FINISHED,
    ),
    case(
        "jsonl-html-text-with-script",
        upload(
            "script.jsonl",
            jsonl(
                {"id": "h1", "text": article_html("<script>alert(1)</script>"), "content_type": "text/html"}
            ),
        ),
        docs=FINISHED,
    ),
    case(
        "json-array-mixed",
        upload("mixed.json", json.dumps([GOOD_LINE, 5, "x", None, [], {"text": 3}]).encode()),
        docs=FINISHED,
        min_documents=1,
    ),
    case("json-nested-100k", upload("deep.json", lambda: nested_json(100_000)), docs=REJECTED),
    case(
        "json-object-nested-100k",
        upload("deepobj.json", lambda: b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
        docs=REJECTED,
    ),
    case(
        "json-5000-digit-number",
        upload("digits.json", b'{"id": ' + b"9" * 5000 + b', "text": "x"}'),
        docs=REJECTED,
    ),
    case(
        "jsonl-5000-digit-number",
        upload("digits.jsonl", b'{"id": ' + b"9" * 5000 + b', "text": "x"}\n'),
        docs=REJECTED,
    ),
    case("json-scalar", upload("scalar.json", b"12345"), docs=REJECTED),
    case("json-huge-number", upload("num.json", b"1e999999"), docs=REJECTED),
    case("json-empty-array", upload("empty.json", b"[]"), 202, 400, 422, docs=FINISHED),
    case("json-truncated", upload("cut.json", json.dumps([GOOD_LINE]).encode()[:-30]), docs=REJECTED),
    case("json-raw-invalid", raw(b"{'single': 'quotes'}", "application/json", "a.json"), docs=REJECTED),
    # WARC
    case("warc-length-too-long", upload("lie.warc", lambda: warc_lying_length(100_000)), docs=FINISHED),
    case("warc-length-too-short", upload("short.warc", lambda: warc_lying_length(-200)), docs=FINISHED),
    case(
        "warc-length-not-a-number",
        upload(
            "nan.warc", lambda: warc_lying_length(0).replace(b"Content-Length: ", b"Content-Length: x", 1)
        ),
        docs=FINISHED,
    ),
    case(
        "warc-gz-truncated",
        upload(
            "cut.warc.gz",
            lambda: samples.warc([("https://news.example/a", "text/html", article_html())], gzip=True)[:-100],
        ),
        docs=FINISHED,
    ),
    case("warc-garbage", upload("junk.warc", b"WARC/1.0\r\n" + random_bytes(4096, 17)), docs=FINISHED),
    # PDF, DOCX, EML, Markdown
    case("pdf-claims-100k-pages", upload("pages.pdf", pdf_claiming_pages(100_000)), docs=FINISHED),
    case("pdf-image-only", upload("scan.pdf", pdf_image_only()), docs=REJECTED),
    case(
        "pdf-header-then-garbage", upload("junk.pdf", b"%PDF-1.7\n" + random_bytes(8192, 19)), docs=REJECTED
    ),
    case("pdf-truncated", upload("cut.pdf", samples.pdf([samples.wrapped(STORY)])[:400]), docs=FINISHED),
    case("docx-zip-bomb", upload("bomb.docx", docx_bomb), docs=REJECTED),
    case("docx-xxe", upload("xxe.docx", lambda: docx_with_entity("file:///etc/passwd")), docs=FINISHED),
    case(
        "docx-xxe-http",
        upload("xxe-http.docx", lambda: docx_with_entity(f"{_TRIPWIRE.url}/docx")),
        docs=FINISHED,
    ),
    case(
        "docx-not-a-zip",
        upload(
            "fake.docx",
            TEXT.encode(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        docs=FINISHED,
    ),
    case("docx-zip-without-document", upload("empty.docx", zip_of({"a.txt": b"x"})), docs=REJECTED),
    case("eml-1000-nested-multiparts", upload("deep.eml", eml_nested(1000)), docs=FINISHED),
    case(
        "eml-unknown-charset",
        upload(
            "cs.eml",
            b'From: a@example.org\r\nSubject: s\r\nContent-Type: text/plain; charset="x-nope"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n",
        ),
        docs=FINISHED,
    ),
    case(
        "eml-headers-only", upload("h.eml", b"From: a@example.org\r\nSubject: nothing\r\n\r\n"), docs=REJECTED
    ),
    case(
        "eml-html-with-script",
        upload(
            "s.eml",
            b"From: a@example.org\r\nSubject: s\r\nContent-Type: text/html\r\n\r\n"
            + article_html("<script>alert(1)</script>").encode(),
        ),
        docs=STORED,
        contains=WORD,
    ),
    case(
        "markdown-with-html",
        upload(
            "x.md",
            (
                "# Hostile harbour\n\n<script>alert(1)</script>\n\n<iframe src='x'></iframe>\n\n" + TEXT
            ).encode(),
        ),
        docs=STORED,
        contains=WORD,
    ),
    # HTTP level: uploads
    case("raw-wrong-content-type", raw(TEXT.encode(), "image/png", "a.png"), 415),
    case("raw-urlencoded-form", raw(b"files=abc&collection=x", "application/x-www-form-urlencoded"), 415),
    case(
        "raw-garbage-content-type",
        raw(TEXT.encode(), "\x01;;;===", "a.txt"),
        400,
        415,
        202,
        docs=FINISHED,
        plain_error=True,
    ),
    case(
        "raw-no-content-type",
        call("POST", "/v1/documents", content=TEXT.encode()),
        202,
        400,
        415,
        docs=FINISHED,
    ),
    case(
        "multipart-missing-boundary",
        hand_made(multipart([file_part(b"a.txt", TEXT.encode())]), "multipart/form-data"),
        400,
    ),
    case(
        "multipart-wrong-boundary", hand_made(multipart([file_part(b"a.txt", TEXT.encode())], b"other")), 400
    ),
    case(
        "multipart-boundary-never-closed",
        hand_made(multipart([file_part(b"a.txt", TEXT.encode())], close=False)),
        400,
        202,
        docs=FINISHED,
    ),
    case("multipart-no-parts", hand_made(b"--hostile--\r\n"), 400),
    case("multipart-garbage-body", hand_made(random_bytes(4096, 23)), 400),
    case(
        "multipart-1000-fields",
        hand_made(
            multipart([file_part(b"a.txt", TEXT.encode())] + [field_part(f"f{n}", "v") for n in range(1000)])
        ),
        400,
    ),
    case(
        "multipart-1001-files",
        hand_made(multipart([file_part(f"{n}.txt".encode(), b"x") for n in range(1001)])),
        400,
        413,
    ),
    case(
        "multipart-unknown-fields",
        hand_made(
            multipart(
                [
                    file_part(b"a.txt", TEXT.encode()),
                    field_part("colour", "blue"),
                    field_part("priority", "9999"),
                ]
            )
        ),
        docs=STORED,
    ),
    case(
        "multipart-file-under-other-name",
        hand_made(multipart([file_part(b"a.txt", TEXT.encode(), b"attachment")])),
        400,
    ),
    case("multipart-files-as-field", hand_made(multipart([field_part("files", TEXT)])), 400),
    case(
        "filename-path-separators",
        hand_made(multipart([file_part(b"../../etc/passwd", TEXT.encode())])),
        docs=STORED,
    ),
    case(
        "filename-backslashes",
        hand_made(multipart([file_part(b"..\\..\\windows\\win.ini", TEXT.encode())])),
        docs=STORED,
    ),
    case(
        "filename-nul",
        hand_made(multipart([file_part(b"a\x00b.txt", TEXT.encode())])),
        400,
        202,
        docs=FINISHED,
    ),
    case(
        "filename-10kb",
        hand_made(multipart([file_part(b"n" * 10_240 + b".txt", TEXT.encode())])),
        400,
        202,
        docs=FINISHED,
    ),
    case(
        "filename-non-utf8",
        hand_made(multipart([file_part(b"caf\xe9\xff.txt", TEXT.encode())])),
        400,
        202,
        docs=FINISHED,
    ),
    case("filename-empty", hand_made(multipart([file_part(b"", TEXT.encode())])), 400, 202, docs=FINISHED),
    case(
        "x-filename-non-utf8", raw(TEXT.encode(), "text/plain", b"caf\xe9\xff.txt"), 400, 202, docs=FINISHED
    ),
    case("x-filename-10kb", raw(TEXT.encode(), "text/plain", "n" * 10_240), 400, 202, docs=FINISHED),
    case("x-filename-traversal", raw(TEXT.encode(), "text/plain", "../../../etc/passwd"), docs=STORED),
    case(
        "collection-dot-dot",
        call(
            "POST", "/v1/documents", files=[("files", ("a.txt", TEXT.encode()))], data={"collection": "../x"}
        ),
        400,
    ),
    case(
        "collection-header-traversal",
        call(
            "POST",
            "/v1/documents",
            content=TEXT.encode(),
            headers={"Content-Type": "text/plain", "X-Collection": "../../etc"},
        ),
        400,
    ),
    case(
        "collection-query-traversal",
        call(
            "POST",
            "/v1/documents?collection=..%2F..%2Fetc",
            content=TEXT.encode(),
            headers={"Content-Type": "text/plain"},
        ),
        400,
    ),
    case(
        "collection-non-utf8-header",
        call(
            "POST",
            "/v1/documents",
            content=TEXT.encode(),
            headers={"Content-Type": "text/plain", "X-Collection": b"caf\xe9"},
        ),
        400,
    ),
    case(
        "collection-too-long",
        call(
            "POST",
            "/v1/documents",
            files=[("files", ("a.txt", TEXT.encode()))],
            data={"collection": "c" * 1000},
        ),
        400,
    ),
    case(
        "idempotency-key-too-long",
        raw(TEXT.encode(), "text/plain", "a.txt", **{"Idempotency-Key": "k" * 10_000}),
        400,
    ),
    case(
        "idempotency-key-non-utf8",
        raw(TEXT.encode(), "text/plain", "a.txt", **{"Idempotency-Key": b"k\xff\xfe"}),
        202,
        400,
        docs=FINISHED,
    ),
    case(
        "source-url-javascript",
        call(
            "POST",
            "/v1/documents",
            files=[("files", ("a.txt", TEXT.encode()))],
            data={"source_url": "javascript:alert(1)", "language": "x" * 5000, "source_name": "\x00"},
        ),
        202,
        400,
        422,
        docs=FINISHED,
    ),
    case(
        "x-source-url-non-utf8",
        raw(
            TEXT.encode(), "text/plain", "a.txt", **{"X-Source-Url": b"http://\xff/x", "X-Language": b"\xe9"}
        ),
        202,
        400,
        422,
        docs=FINISHED,
    ),
    # HTTP level: reading
    case("wait-negative", call("GET", f"/v1/jobs/{A_JOB}", params={"wait": "-1"}), 422),
    case("wait-1e308", call("GET", f"/v1/jobs/{A_JOB}", params={"wait": "1e308"}), 404),
    case("wait-inf", call("GET", f"/v1/jobs/{A_JOB}", params={"wait": "inf"}), 404, 422),
    case("wait-nan", call("GET", f"/v1/jobs/{A_JOB}", params={"wait": "nan"}), 422),
    case("wait-not-a-number", call("GET", f"/v1/jobs/{A_JOB}", params={"wait": "soon"}), 422),
    case("job-limit-zero", call("GET", f"/v1/jobs/{A_JOB}", params={"limit": "0"}), 422),
    case("job-cursor-garbage", call("GET", f"/v1/jobs/{A_JOB}", params={"cursor": "'; DROP"}), 400),
    case("job-cursor-huge-number", call("GET", f"/v1/jobs/{A_JOB}", params={"cursor": "9" * 20}), 400, 404),
    case("job-id-garbage", call("GET", "/v1/jobs/..%2F..%2Fetc%2Fpasswd"), 404),
    case("job-id-10kb", call("GET", "/v1/jobs/" + "j" * 10_240), 404, 414),
    case("job-events-unknown", call("GET", f"/v1/jobs/{A_JOB}/events"), 404),
    case("job-delete-unknown", call("DELETE", "/v1/jobs/not-a-job"), 404),
    case("jobs-limit-zero", call("GET", "/v1/jobs", params={"limit": "0"}), 422),
    case("jobs-limit-huge", call("GET", "/v1/jobs", params={"limit": "9" * 400}), 422),
    case("jobs-cursor-garbage", call("GET", "/v1/jobs", params={"cursor": "garbage!"}), 400),
    case("jobs-status-unknown", call("GET", "/v1/jobs", params={"status": "exploded"}), 422),
    case(
        "jobs-created-after-garbage", call("GET", "/v1/jobs", params={"created_after": "yesterday-ish"}), 422
    ),
    case(
        "jobs-created-after-year-99999",
        call("GET", "/v1/jobs", params={"created_after": "99999-01-01T00:00:00"}),
        200,
        422,
    ),
    case(
        "jobs-created-after-epoch-huge",
        call("GET", "/v1/jobs", params={"created_after": "1" + "0" * 30}),
        200,
        422,
    ),
    case(
        "jobs-collection-traversal", call("GET", "/v1/jobs", params={"collection": "../../x"}), 200, 400, 422
    ),
    case("records-limit-zero", call("GET", "/v1/records", params={"limit": "0"}), 422),
    case("records-after-garbage", call("GET", "/v1/records", params={"after": "garbage"}), 400),
    case("records-after-overflow", call("GET", "/v1/records", params={"after": f"{2**64}-0"}), 400),
    case("records-after-10kb", call("GET", "/v1/records", params={"after": "1" * 10_240}), 400),
    case("records-collection-traversal", call("GET", "/v1/records", params={"collection": "../../etc"}), 400),
    case("record-id-garbage", call("GET", "/v1/records/<script>"), 404),
    case(
        "record-id-valid-collection-traversal",
        call("GET", f"/v1/records/{A_JOB}", params={"collection": "../../etc"}),
        404,
    ),
    case(
        "exports-invalid-json",
        call("POST", "/v1/exports", content=b"{not json", headers={"Content-Type": "application/json"}),
        422,
    ),
    case(
        "exports-unknown-format", call("POST", "/v1/exports", json={"collection": "c", "format": "exe"}), 422
    ),
    case(
        "exports-since-garbage",
        call("POST", "/v1/exports", json={"collection": "c", "format": "parquet", "since": "then"}),
        422,
    ),
    case(
        "exports-collection-traversal",
        call("POST", "/v1/exports", json={"collection": "../x", "format": "parquet"}),
        400,
        422,
    ),
    case(
        "exports-nested-100k-json",
        call(
            "POST",
            "/v1/exports",
            content=b"[" * 100_000 + b"]" * 100_000,
            headers={"Content-Type": "application/json"},
        ),
        400,
        422,
    ),
    case("export-id-garbage", call("GET", "/v1/exports/..%2Fx"), 404),
    case("export-file-negative", call("GET", f"/v1/exports/{A_JOB}/files/-1"), 404, 422),
    # HTTP level: routes and methods
    case("unknown-route", call("GET", "/v2/everything"), 404),
    case("unknown-route-deep", call("GET", "/v1/" + "a/" * 500), 404),
    case("unknown-method", call("PATCH", "/v1/documents"), 405),
    case("made-up-method", call("BREW", "/v1/jobs"), 400, 405, 501, plain_error=True),
    case("put-job", call("PUT", f"/v1/jobs/{A_JOB}", content=b"{}"), 405),
    case("get-documents", call("GET", "/v1/documents"), 405),
    case("head-healthz", call("HEAD", "/healthz"), 200),
    case("head-jobs", call("HEAD", "/v1/jobs"), 200, 405),
    case("options-documents", call("OPTIONS", "/v1/documents"), 200, 204, 405),
    case(
        "get-with-body",
        call("GET", "/v1/jobs", content=b'{"limit": 0}', headers={"Content-Type": "application/json"}),
        200,
    ),
    case("get-with-huge-body", call("GET", "/healthz", content=b"x" * (2 * 1024 * 1024)), 200, 400, 413),
    case("delete-with-body", call("DELETE", f"/v1/jobs/{A_JOB}", content=b"x" * 1024), 404),
]


# --- checks ---------------------------------------------------------------------------------

_MARKUP = re.compile(
    r"<\s*/?\s*(script|iframe|form|input|button|div|span|svg|html|body|head|style|noscript|template|"
    r"object|embed|meta|link|!doctype|!entity|\?xml|xi:include)\b|javascript:|onerror\s*=|onclick\s*=|alert\(",
    re.IGNORECASE,
)


def assert_error_shape(response: httpx.Response) -> None:
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def assert_sane_text(text: str, case: Case) -> None:
    assert isinstance(text, str) and text.strip(), "a stored record has empty text"
    if case.quotes_markup:  # the page's own visible text, quoted: kept as written, once
        assert text.count("<script>") == 1
    else:
        assert not _MARKUP.search(text), f"markup or script in stored text: {_MARKUP.search(text)}"
    assert PASSWD_MARK not in text, "an external entity was expanded"
    assert "lollollol" not in text, "an entity was expanded"
    assert "\x00" not in text
    text.encode("utf-8")  # no lone surrogates
    if case.contains:
        assert case.contains in text, f"{case.contains!r} not in {text[:300]!r}"


def send(api: httpx.Client, request: Request) -> httpx.Response:
    request = dict(request)
    method, url = request.pop("method"), request.pop("url")
    return api.request(method, url, **request)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_hostile_input_never_gets_a_5xx(
    case: Case, api: httpx.Client, collection: str, wait_job: WaitJob, tripwire: Tripwire
) -> None:
    response = send(api, case.request(collection))
    assert response.status_code < 500, f"{response.status_code}: {response.text[:1000]}"
    assert response.status_code in case.status, f"{response.status_code}: {response.text[:1000]}"
    if 400 <= response.status_code < 500:
        if response.request.method == "HEAD":  # no body: the type says what a GET would carry
            assert response.headers.get("content-type", "").startswith("application/json")
        elif not case.plain_error:
            assert_error_shape(response)
        return
    if response.request.method != "POST" or response.status_code != 202:
        return
    job = wait_job(api, response.json()["id"], timeout=120)
    documents = job["documents"]
    assert len(documents) >= case.min_documents
    assert (
        sum(job["counts"][key] for key in ("stored", "duplicate", "rejected", "failed"))
        == job["counts"]["total"]
    )
    for doc in documents:
        assert doc["status"] in case.docs, f"{doc['filename']!r}: {doc['status']} ({doc['error']})"
        if doc["status"] == "rejected":
            assert doc["error"], f"{doc['filename']!r} rejected without a reason"
            if case.reason and len(documents) == 1:
                assert case.reason.lower() in doc["error"].lower(), doc["error"]
        if doc["status"] == "stored":
            record = api.get(f"/v1/records/{doc['record_id']}")
            assert record.status_code == 200, record.text
            assert_sane_text(record.json()["text"], case)
            title = record.json().get("title") or ""
            assert not _MARKUP.search(title) and PASSWD_MARK not in title


def test_the_table_holds_at_least_100_hostile_inputs_with_unique_ids() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) >= 100 and len(set(ids)) == len(ids)


def test_after_the_table_the_api_and_worker_are_alive_and_a_normal_article_is_stored(  # noqa: PLR0917 (fixtures)
    api: httpx.Client,
    api_server: ApiServer,
    worker: Worker,
    collection: str,
    wait_job: WaitJob,
    tripwire: Tripwire,
) -> None:
    assert api.get("/healthz").status_code == 200
    assert api.get("/readyz").status_code == 200
    assert worker.running()
    response = api.post(
        "/v1/documents",
        files=[
            (
                "files",
                ("normal.txt", samples.html_page("Quiet harbour", samples.story("Quiet harbour")).encode()),
            )
        ],
        data={"collection": collection},
    )
    assert response.status_code == 202, response.text
    job = wait_job(api, response.json()["id"])
    assert [doc["status"] for doc in job["documents"]] == ["stored"], job
    assert tripwire.hits == 0, "a parser fetched an external entity or DTD"
    log = api_server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and '"unhandled"' not in log
