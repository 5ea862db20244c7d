"""Real article texts for the dedup corpus: trafilatura's main text of the eval pages, cached.

The eval set is real web pages in several languages; extracting once and caching under
``bench/.cache/`` (git-ignored) keeps the corpus build reproducible and fast.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

EVAL_DIR = Path("/work/shared/eval/trafilatura-eval")
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "dedup" / "texts.jsonl"


def extract_all(eval_dir: Path = EVAL_DIR, cache: Path = CACHE) -> list[dict[str, str]]:
    """Every page's main text (url, file, text), extracted once and cached in input order."""
    if cache.exists():
        return [json.loads(line) for line in cache.read_text("utf-8").splitlines() if line.strip()]
    import trafilatura

    meta = json.loads((eval_dir / "evaldata.json").read_text("utf-8"))
    rows: list[dict[str, str]] = []
    for url in sorted(meta):
        name = meta[url]["file"]
        path = eval_dir / "html" / f"{name}.gz"
        if not path.exists():
            continue
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        text = trafilatura.extract(html, include_comments=False, include_tables=False) or ""
        rows.append({"url": url, "file": name, "text": text})
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    tmp.replace(cache)
    return rows


if __name__ == "__main__":
    print(len(extract_all()))
