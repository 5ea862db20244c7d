"""Captions are image captions and photo credits only: appeals in caption boxes are not."""

from __future__ import annotations

from ingest_worker.pipeline import build_pipeline
from ingest_worker.pipeline.base import Article, StageContext

BODY = (
    "The city council approved the new budget on Tuesday after a debate that lasted most of the day, "
    "with members from all parties speaking about schools, roads and the cost of housing in the city.\n"
    "The mayor said the plan would be reviewed again in the spring, when the first figures from the "
    "new tax on empty homes are expected to show whether the measure is working as intended.\n"
)


def _run(raw: bytes) -> Article:
    ctx = StageContext(dedup_enabled=False)
    doc = Article(raw=raw, declared_content_type="text/html")
    for stage in build_pipeline().stages:
        if stage.name not in ("fingerprint", "dedup"):
            doc = stage(doc, ctx)
    return doc


def _figure_page(caption_html: str) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY.strip().split("\n"))
    return (
        f"<html lang='en'><head><title>Council passes budget</title></head><body><article>"
        f"<h1>Council passes budget</h1><figure><img src='a.jpg'>{caption_html}</figure>{paragraphs}"
        f"</article></body></html>"
    ).encode()


def test_a_figure_caption_and_its_photo_credit_are_captions() -> None:
    doc = _run(_figure_page("<figcaption>The council chamber. Photo: Jane Doe</figcaption>"))
    assert doc.captions == ["The council chamber. Photo: Jane Doe"]


def test_a_donation_appeal_in_a_caption_box_is_not_a_caption() -> None:
    appeal = "<figcaption>Support our journalism: donate now via PayPal</figcaption>"
    doc = _run(_figure_page(appeal))
    assert doc.captions == []


def test_a_newsletter_box_with_a_caption_class_is_not_a_caption() -> None:
    box = '<div class="wp-caption">Sign up for our newsletter</div>'
    doc = _run(_figure_page(box))
    assert doc.captions == []
