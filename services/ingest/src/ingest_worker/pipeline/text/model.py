"""The learned line model: boosted trees (or a regression) per line, and a contiguity smoother.

Stage one scores each line from its own and its neighbourhood's features; by default it is a
forest of boosted trees, exported from scikit-learn at training time and walked here with
numpy for all lines of a page at once. An optional stage two sees those scores averaged over
windows around the line (a body line sits among body lines) and rescores. Last, a two-state
Viterbi pass may pay ``switch_cost`` for every change between body and furniture. Weights
live in ``model.json`` beside this file and are produced by ``bench/quality/train_lines.py``;
inference is numpy only.
"""

from __future__ import annotations

import json
import math
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


#: Lines scored by one call: a longer page goes through in parts of this many lines.
_FOREST_ROWS = 2048
#: Lines walked down the trees together: the (trees × lines) work arrays stay in the CPU's
#: cache (walked 2048 at once, a long page cost ~3x more per line than in parts of 256).
_WALK_ROWS = 256


@dataclass(frozen=True)
class Forest:
    """Boosted regression trees, evaluated for all lines of a page at once (numpy, no sklearn).

    Lines interact with features non-linearly (a short line is body only among prose), which
    a linear stage cannot express. Each tree is stored complete to ``depth`` in heap order
    (children of node ``k`` are ``2k+1`` and ``2k+2``; a leaf above the last level is padded
    with never-taken splits), so ``depth`` rounds of numpy fancy indexing walk every line down
    every tree together: a fraction of a millisecond per page instead of a Python loop per
    line and tree. Trees split raw (unstandardised) features; a line goes right when its
    value is above the threshold, as in scikit-learn.
    """

    feature: npt.NDArray[np.intp]  # (trees, 2**depth - 1)
    threshold: FloatArray  # (trees, 2**depth - 1); +inf on padding
    value: FloatArray  # (trees, 2**depth): leaf values, left to right
    depth: int
    bias: float

    def __call__(self, x: FloatArray) -> FloatArray:
        if x.shape[0] > _FOREST_ROWS:  # bounded (lines × trees) work arrays on a huge page
            parts = [self(x[i : i + _FOREST_ROWS]) for i in range(0, x.shape[0], _FOREST_ROWS)]
            return np.concatenate(parts)
        n = x.shape[0]
        trees = self.feature.shape[0]
        if n == 0 or trees == 0:
            return np.full(n, self.bias)
        if self.depth == 0:
            return np.full(n, self.bias + float(self.value[:, 0].sum()))
        leaves = np.empty((trees, n))
        for i in range(0, n, _WALK_ROWS):
            leaves[:, i : i + _WALK_ROWS] = self._leaf_values(x[i : i + _WALK_ROWS])
        # summed down the trees in order for every line (for a lone line, numpy's pairwise sum):
        # the rounding these scores always had, so no decision at the threshold moves
        out: FloatArray = leaves.sum(axis=0) + self.bias
        return out

    def _leaf_values(self, x: FloatArray) -> FloatArray:
        """(trees, lines): the value of the leaf each line reaches in each tree.

        One array of node positions, trees by lines, numbered across all trees (tree ``t``'s
        node ``k`` is ``t * inner + k``), walks down a level per round; feature values come
        from the transposed rows, where each node's column is contiguous. Per level: two
        gathers from small tables, one from the page, and in-place arithmetic.
        """
        n = x.shape[0]
        trees, inner = self.feature.shape
        columns = np.ascontiguousarray(x.T, dtype=np.float64)  # (features, lines)
        flat = columns.ravel()
        column_start = (self.feature * n).ravel()  # where a node's feature column starts in ``flat``
        thresholds = self.threshold.ravel()
        tree_base = np.arange(trees, dtype=np.intp)[:, None] * inner
        lines = np.arange(n, dtype=np.intp)[None, :]
        # every line starts at the root: the first split is one row gather per tree
        node = tree_base + 1 + (columns[self.feature[:, 0]] > self.threshold[:, [0]])
        step = 1 - tree_base  # the children of node g are 2g + step and 2g + step + 1
        for _ in range(self.depth - 1):
            right = flat.take(column_start.take(node) + lines) > thresholds.take(node)
            node *= 2
            node += step
            node += right
        # a last-level node's place in its tree is node - tree_base; its leaf is that - inner
        leaf = node + (np.arange(trees, dtype=np.intp)[:, None] - inner)
        values: FloatArray = self.value.ravel().take(leaf)
        return values

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Forest:
        depth = int(data["depth"])
        inner = 2**depth - 1
        trees = data["trees"]
        feature = np.zeros((len(trees), inner), dtype=np.intp)
        threshold = np.full((len(trees), inner), np.inf)
        value = np.zeros((len(trees), inner + 1))
        for t, tree in enumerate(trees):
            feature[t] = tree["feature"]
            threshold[t] = [math.inf if v is None else v for v in tree["threshold"]]
            value[t] = tree["value"]
        return cls(feature=feature, threshold=threshold, value=value, depth=depth, bias=float(data["bias"]))

    def to_dict(self) -> dict[str, Any]:
        trees = [
            {
                "feature": [int(v) for v in feature],
                "threshold": [None if math.isinf(v) else float(v) for v in threshold],
                "value": _rounded(value),
            }
            for feature, threshold, value in zip(self.feature, self.threshold, self.value, strict=True)
        ]
        return {"kind": "forest", "depth": self.depth, "bias": round(self.bias, 6), "trees": trees}

    @classmethod
    def from_nodes(cls, trees: list[list[tuple[int, float, int, int, float]]], bias: float) -> Forest:
        """From node lists ``(feature, threshold, left, right, value)``, leaves having ``left < 0``."""
        depth = max((_depth(tree, 0) for tree in trees), default=0)
        inner = 2**depth - 1
        feature = np.zeros((len(trees), inner), dtype=np.intp)
        threshold = np.full((len(trees), inner), np.inf)
        value = np.zeros((len(trees), inner + 1))
        for t, tree in enumerate(trees):
            stack = [(0, 0, 0)]  # (node, heap position, level)
            while stack:
                node, pos, level = stack.pop()
                f, thr, left, right, v = tree[node]
                if level == depth:
                    value[t, pos - inner] = v
                elif left < 0:  # an early leaf: both padded subtrees end in its value
                    stack.extend(((node, 2 * pos + 1, level + 1), (node, 2 * pos + 2, level + 1)))
                else:
                    feature[t, pos], threshold[t, pos] = f, thr
                    stack.extend(((left, 2 * pos + 1, level + 1), (right, 2 * pos + 2, level + 1)))
        return cls(feature=feature, threshold=threshold, value=value, depth=depth, bias=bias)


def _depth(tree: list[tuple[int, float, int, int, float]], node: int) -> int:
    """Edges on the longest path from ``node`` down to a leaf."""
    _, _, left, right, _ = tree[node]
    return 0 if left < 0 else 1 + max(_depth(tree, left), _depth(tree, right))


def scorer_from_dict(data: dict[str, Any]) -> Scorer | Forest:
    """A stage as saved in model.json: trees when it says so, else a (hidden-layer) regression."""
    return Forest.from_dict(data) if data.get("kind") == "forest" else Scorer.from_dict(data)


@dataclass(frozen=True)
class LineModel:
    """Both stages, the input standardisation, and the decision settings."""

    mean: FloatArray
    scale: FloatArray
    stage1: Scorer | Forest
    stage2: Scorer | Forest | None = None
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
            stage1=scorer_from_dict(data["stage1"]),
            stage2=scorer_from_dict(data["stage2"]) if data.get("stage2") else None,
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
        first = self.stage1(features if isinstance(self.stage1, Forest) else standard)
        if self.stage2 is None:
            return first
        second_input = features if isinstance(self.stage2, Forest) else standard
        return self.stage2(np.hstack([second_input, score_context(first)]))

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
