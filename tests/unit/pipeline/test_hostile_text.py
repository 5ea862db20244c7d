"""Hostile plain text never hangs or crashes a stage: it is handled in linear time or rejected."""

from __future__ import annotations

import pytest

from ingest_worker.pipeline.base import Article, Reject, StageContext
from ingest_worker.pipeline.profiles import MemorySourceProfiles
from ingest_worker.pipeline.text import text_stages
from ingest_worker.pipeline.text.segment import MAX_LINE_CHARS, MAX_LINES


def run_text(text: str) -> Article:
    ctx = StageContext(source_profiles=MemorySourceProfiles(), dedup_enabled=False)
    doc = Article(raw=b"", content_type="text/plain", text=text)
    for stage in text_stages():
        doc = stage(doc, ctx)
    return doc


@pytest.mark.timeout(30)
def test_a_ten_megabyte_single_line_is_rejected_with_a_reason() -> None:
    with pytest.raises(Reject, match="line of"):
        run_text("word " * 2_000_000)


@pytest.mark.timeout(30)
def test_a_long_line_below_the_limit_is_handled() -> None:
    sentence = "The minister said the talks would continue next week in the capital. "
    doc = run_text(sentence * (MAX_LINE_CHARS // len(sentence) - 1))
    assert len(doc.paragraphs) == 1


@pytest.mark.timeout(30)
def test_a_hundred_thousand_short_lines_are_handled() -> None:
    text = "\n".join(
        f"item {i}" if i % 7 else "A real sentence of the article, said the author." for i in range(100_000)
    )
    try:
        doc = run_text(text)
    except Reject as exc:
        assert exc.reason
    else:
        assert doc.paragraphs is not None


@pytest.mark.timeout(30)
def test_more_lines_than_the_limit_are_rejected() -> None:
    with pytest.raises(Reject, match="too many lines"):
        run_text("x\n" * (MAX_LINES + 1))


@pytest.mark.timeout(30)
def test_control_characters_are_cleaned_not_fatal() -> None:
    body = "The council approved the budget on Monday after a long debate among its members.\x00\x07\x1b"
    doc = run_text(("\x0b\x0c" + body + "\x85\u2028") * 5)
    assert doc.paragraphs
    assert all("\x00" not in p and "\x07" not in p for p in doc.paragraphs)


@pytest.mark.timeout(30)
def test_mixed_encodings_and_mojibake_do_not_crash() -> None:
    text = (
        "Le ministre a dÃ©clarÃ© que les nÃ©gociations reprendraient la semaine prochaine Ã  Paris.\n"
        "Der Minister erklärte, dass die Gespräche nächste Woche in Berlin fortgesetzt würden.\n"
        "\udcff\ufffd\ufffd 部長は来週東京で協議を再開すると述べた。\n"
        "Министр заявил, что переговоры возобновятся на следующей неделе в Москве.\n"
    )
    doc = run_text(text * 3)
    assert doc.paragraphs


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "line",
    [
        "By " + "Aa " * 50_000,  # byline pattern with endless name words
        "Copyright " + "© 2022 " * 20_000,
        "Moscow [" + "Russia " * 20_000,
        "1. " * 30_000 + "Juli 2021",
        "share " * 30_000 + "facebook",
        ("(" * 5_000) + ("a" * 5_000),
        "Photo: " + "Getty Images / " * 10_000,
    ],
)
def test_regex_traps_finish_quickly(line: str) -> None:
    text = f"Headline\n\n{line}\n\nA sentence of the article that says what happened and where it happened.\n"
    try:
        run_text(text)
    except Reject as exc:
        assert exc.reason


def test_text_of_only_furniture_is_rejected() -> None:
    with pytest.raises(Reject):
        run_text("Home\nMenu\nShare\nFacebook\nTwitter\n© 2022 Example")
