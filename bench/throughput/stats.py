"""Pure helpers of the throughput benchmark: percentiles, Prometheus text, polling pace."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between ranks (numpy's default)."""
    if not values:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0-100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def parse_prometheus(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Samples of a Prometheus text exposition: (metric name, labels, value)."""
    samples: list[tuple[str, dict[str, str], float]] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        labels = dict(_LABEL.findall(match.group(2) or ""))
        samples.append((match.group(1), labels, value))
    return samples


def sum_by_labels(
    samples: list[tuple[str, dict[str, str], float]], metric: str, group: tuple[str, ...]
) -> dict[str, float]:
    """Totals of one metric grouped by some labels' values joined by a space (others summed over)."""
    out: dict[str, float] = {}
    for name, labels, value in samples:
        if name == metric:
            key = " ".join(labels.get(label, "") for label in group)
            out[key] = out.get(key, 0.0) + value
    return out


def counter_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """after - before per key, keys with no change dropped."""
    keys = set(before) | set(after)
    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in keys}
    return {k: v for k, v in sorted(delta.items()) if v}


def poll_pause(elapsed: float, *, low: float = 0.25, high: float = 2.0, share: float = 0.02) -> float:
    """Seconds to wait before the next job poll: 2% of the time so far, within [low, high].

    A job answer carries its counts and a page of documents; polling in a tight loop would
    load the API and Redis with the benchmark's own reads. 2% keeps the end-time error about 2%.
    """
    return min(high, max(low, elapsed * share))
