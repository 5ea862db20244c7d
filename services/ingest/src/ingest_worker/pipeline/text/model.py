"""The learned line model: two stacked logistic regressions and a contiguity smoother.

Stage one scores each line from its own and its neighbourhood's features. Stage two sees
those scores averaged over windows around the line (a body line sits among body lines) and
rescores. Last, a two-state Viterbi pass pays ``switch_cost`` for every change between body
and furniture, so the kept text comes out as a few contiguous runs instead of a scatter: the
"main content is contiguous" prior. Weights live in ``model.json`` beside this file and are
produced by ``bench/quality/train_lines.py``; inference is numpy only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ingest_worker.pipeline.text.features import FEATURE_NAMES, FloatArray

MODEL_PATH = Path(__file__).with_name("model.json")
#: Windows (lines before, lines after) over which stage-one scores are averaged for stage two.
SCORE_WINDOWS: tuple[tuple[int, int], ...] = ((1, 0), (0, 1), (2, 2), (5, 5), (12, 12))
SCORE_NAMES: tuple[str, ...] = (
    *(f"score_{before}_{after}" for before, after in SCORE_WINDOWS),
    "score_page_max",
    "score_page_mean",
    "score_page_q75",
)


@dataclass(frozen=True)
class Scorer:
    """One stage: a logistic regression, or one ReLU hidden layer feeding one (a tiny MLP)."""

    weights: FloatArray
    bias: float
    hidden: FloatArray | None = None
    hidden_bias: FloatArray | None = None

    def __call__(self, x: FloatArray) -> FloatArray:
        if self.hidden is not None and self.hidden_bias is not None:
            x = np.maximum(x @ self.hidden + self.hidden_bias, 0.0)
        return x @ self.weights + self.bias

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scorer:
        hidden = data.get("hidden")
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),
            hidden=None if hidden is None else np.asarray(hidden, dtype=np.float64),
            hidden_bias=None if hidden is None else np.asarray(data["hidden_bias"], dtype=np.float64),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"weights": _rounded(self.weights), "bias": round(self.bias, 6)}
        if self.hidden is not None and self.hidden_bias is not None:
            out["hidden"] = [_rounded(row) for row in self.hidden]
            out["hidden_bias"] = _rounded(self.hidden_bias)
        return out


@dataclass(frozen=True)
class LineModel:
    """Both stages, the input standardisation, and the decision settings."""

    mean: FloatArray
    scale: FloatArray
    stage1: Scorer
    stage2: Scorer | None = None
    threshold: float = 0.0
    switch_cost: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineModel:
        if tuple(data["features"]) != FEATURE_NAMES:
            raise ValueError(
                "model.json was trained on other features; retrain with bench.quality.train_lines"
            )
        return cls(
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            stage1=Scorer.from_dict(data["stage1"]),
            stage2=Scorer.from_dict(data["stage2"]) if data.get("stage2") else None,
            threshold=float(data.get("threshold", 0.0)),
            switch_cost=float(data.get("switch_cost", 0.0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURE_NAMES),
            "mean": _rounded(self.mean),
            "scale": _rounded(self.scale),
            "stage1": self.stage1.to_dict(),
            "stage2": self.stage2.to_dict() if self.stage2 is not None else None,
            "threshold": round(self.threshold, 4),
            "switch_cost": round(self.switch_cost, 4),
        }

    def scores(self, features: FloatArray) -> FloatArray:
        """Final log-odds per line (before smoothing)."""
        standard = (features - self.mean) / self.scale
        first = self.stage1(standard)
        if self.stage2 is None:
            return first
        return self.stage2(np.hstack([standard, score_context(first)]))

    def decide(self, features: FloatArray) -> npt.NDArray[np.bool_]:
        """Which lines are article text, smoothed towards contiguous runs."""
        if features.shape[0] == 0:
            return np.zeros(0, dtype=bool)
        return smooth(self.scores(features) - self.threshold, self.switch_cost)


def score_context(first: FloatArray) -> FloatArray:
    """Stage-one scores averaged over windows around each line (itself left out), plus page summaries."""
    n = first.shape[0]
    pad = max(max(window) for window in SCORE_WINDOWS)
    padded = np.zeros(n + 2 * pad)
    padded[pad : pad + n] = first
    present = np.zeros(n + 2 * pad)
    present[pad : pad + n] = 1.0
    cum = np.concatenate([[0.0], np.cumsum(padded)])
    cnt = np.concatenate([[0.0], np.cumsum(present)])
    idx = np.arange(n) + pad
    out = np.empty((n, len(SCORE_NAMES)))
    for j, (before, after) in enumerate(SCORE_WINDOWS):
        lo, hi = idx - before, idx + after + 1
        count = cnt[hi] - cnt[lo] - 1.0
        out[:, j] = (cum[hi] - cum[lo] - first) / np.maximum(count, 1.0)
    k = len(SCORE_WINDOWS)
    out[:, k] = first.max() if n else 0.0
    out[:, k + 1] = first.mean() if n else 0.0
    out[:, k + 2] = np.quantile(first, 0.75) if n else 0.0
    return out


def smooth(logits: FloatArray, switch_cost: float) -> npt.NDArray[np.bool_]:
    """Best body/furniture labelling: sum of kept log-odds minus ``switch_cost`` per change (Viterbi)."""
    if switch_cost <= 0:
        return logits > 0
    n = logits.shape[0]
    gain = logits.tolist()
    # state 0 = furniture (gain 0), state 1 = body (gain = log-odds); both may start the page
    best0, best1 = 0.0, gain[0]
    back: list[tuple[bool, bool]] = [(False, False)]
    for i in range(1, n):
        from1_to0 = best1 - switch_cost
        from0_to1 = best0 - switch_cost
        prev0_is_1 = from1_to0 > best0
        prev1_is_0 = from0_to1 > best1
        best0, best1 = (from1_to0 if prev0_is_1 else best0), (from0_to1 if prev1_is_0 else best1) + gain[i]
        back.append((prev0_is_1, prev1_is_0))
    state = best1 > best0
    keep = np.zeros(n, dtype=bool)
    for i in range(n - 1, -1, -1):
        keep[i] = state
        switched = back[i][1] if state else back[i][0]
        if switched:
            state = not state
    return keep


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> LineModel:
    """The shipped model, read once per process."""
    return LineModel.from_dict(json.loads(path.read_text("utf-8")))


def _rounded(values: FloatArray) -> list[float]:
    return [round(float(v), 6) for v in values]
