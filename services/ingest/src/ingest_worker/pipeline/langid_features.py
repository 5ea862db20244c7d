"""py3langid's feature counts, computed with numpy instead of its per-byte automaton walk.

py3langid's ``visit_counts`` steps a DFA (``tk_nextmove``) once per UTF-8 byte in Python and
counts ``tk_output[state]`` for every state it visits: about 1 ms for a 1500-character sample.
The DFA is an Aho–Corasick automaton over a prefix-closed set of byte strings (the trie of
the model's n-grams, at most 6 bytes): after any input its state is the trie node whose
string is the longest suffix of the input that is in the trie. That suffix lies within the
last 6 bytes, so the state after byte ``p`` is also the state reached from the root over
bytes ``p-5 .. p`` alone: every position of a text steps from the root together, in six
vectorised table lookups (the first two as one), instead of one Python step per byte.

The trie's depth comes from a breadth-first walk of the DFA at model load (a state is first
reached along its trie edge). ``verify_automaton`` proves that the DFA is exactly the
Aho–Corasick automaton of its states' strings (a unit test runs it on the installed model),
so the counts here equal ``visit_counts``' for every input, not only for the inputs tested.
"""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt

#: Deepest trie indexed (``verify_automaton`` packs a state's string into a uint64).
MAX_DEPTH = 8

IntArray = npt.NDArray[np.intp]


class FeatureCounter:
    """Per-text feature counts of one py3langid model, equal to ``visit_counts``'."""

    def __init__(self, nextmove: array[int], rows: array[int], outputs: list[int]) -> None:
        # py3langid's arrays, shared (not copied): distinct 256-entry transition rows, and
        # the row of each state
        self._flat = np.asarray(nextmove)
        self._table = self._flat.reshape(-1, 256)
        self._row = np.asarray(rows)
        self._rowbase = self._row.astype(np.intp) << 8
        self._output = np.asarray(outputs, dtype=np.int32)
        self.parent, self.byte, self.levels = _trie(self._table, self._row)
        self.depth = len(self.levels)
        if self.depth < 2:
            raise ValueError("a trie this shallow needs no counter")
        # a byte that sends every state to the root (0xff: never in UTF-8) pads the text's
        # start, so every position can be walked from the root over the same number of bytes
        resets = np.flatnonzero((self._table == 0).all(axis=0))
        if not len(resets):
            raise ValueError("no byte resets the automaton")
        self._pad = np.full(self.depth - 1, resets[-1], dtype=np.uint8)
        # the state after any two bytes from the root: the first two steps in one lookup
        pairs = np.arange(1 << 16)
        after_one = self._flat[self._rowbase[0] + (pairs >> 8)]
        self._pairs = self._flat[self._rowbase[after_one] + (pairs & 0xFF)]

    def visits(self, data: bytes) -> Counter[int] | None:
        """``visit_counts(...)`` of ``data``: the same Counter, keys in the same order (the
        order of first visit, which the score's float32 sum follows); None if no features.

        The state after byte ``p`` depends only on the ``depth`` bytes ending at ``p`` (no
        trie string is longer), so all positions step together, ``depth`` times, from the root.
        """
        size = len(data)
        text = np.concatenate([self._pad, np.frombuffer(data, dtype=np.uint8)])
        wide = text.astype(np.intp)
        state = self._pairs[(wide[:size] << 8) | wide[1 : size + 1]]
        table, rowbase = self._flat, self._rowbase
        for step in range(2, self.depth):
            state = table[rowbase[state] + text[step : step + size]]
        found = self._output[state]
        visited = found[found >= 0].tolist()
        return Counter(visited) if visited else None

    def verify_automaton(self) -> None:
        """Raise ValueError unless the DFA is the Aho–Corasick automaton of its trie strings.

        Checked for every state and byte: the next state is the child along that byte when
        there is one, else the fail state's next state (the fail state's string is the longest
        proper suffix in the trie), and the root's fallback is the root. By induction the state
        after any input is then the longest suffix of the input in the trie, which is what
        ``visits`` relies on. Takes about 0.3 s: the unit tests run it, model loads do not.
        """
        states = len(self._row)
        depth = np.zeros(states, dtype=np.int64)
        key = np.zeros(states, dtype=np.uint64)  # a state's string, packed big-endian
        keys, members = [], []  # per length: sorted strings, and their states
        for length, level in enumerate(self.levels, 1):
            depth[level] = length
            key[level] = (key[self.parent[level]] << np.uint64(8)) | self.byte[level]
            order = np.argsort(key[level])
            keys.append(key[level][order])
            members.append(level[order])
            if len(np.unique(keys[-1])) != len(level):
                raise ValueError("two states share a string")
        fail = np.zeros(states, dtype=np.int64)
        for length in range(1, self.depth):  # proper suffixes, shortest first
            longer = np.flatnonzero(depth > length)
            suffix = key[longer] & np.uint64((1 << (8 * length)) - 1)
            at = np.searchsorted(keys[length - 1], suffix) % len(keys[length - 1])
            hit = keys[length - 1][at] == suffix
            fail[longer[hit]] = members[length - 1][at[hit]]
        child = np.zeros((states, 256), dtype=bool)
        child[self.parent[1:], self.byte[1:]] = True
        for low in range(0, states, 4096):
            chunk = np.arange(low, min(low + 4096, states))
            actual = self._table[self._row[chunk]].astype(np.int64)
            expected = self._table[self._row[fail[chunk]]].astype(np.int64)
            if low == 0:
                expected[0] = 0
            actual[child[chunk]] = expected[child[chunk]] = -1
            if not np.array_equal(actual, expected):
                raise ValueError("a transition is not the Aho–Corasick one")
        others = np.arange(1, states)
        if not np.array_equal(self._table[self._row[self.parent[others]], self.byte[others]], others):
            raise ValueError("a trie edge is not a transition")


def _trie(
    table: npt.NDArray[np.integer[Any]], row: npt.NDArray[np.integer[Any]]
) -> tuple[IntArray, npt.NDArray[np.uint8], list[IntArray]]:
    """Parent and last byte of every state, and the states by depth, by breadth-first search.

    A state is first reached, at the depth of its string, along its trie edge: every other
    transition into it starts from a state at least as deep (``verify_automaton`` checks the
    result). States with the same transition row have the same successors, so each distinct
    row is expanded once a level.
    """
    states = len(row)
    seen = np.zeros(states, dtype=bool)
    seen[0] = True
    parent = np.zeros(states, dtype=np.int64)
    byte = np.zeros(states, dtype=np.uint8)
    levels: list[IntArray] = []
    frontier = np.zeros(1, dtype=np.int64)
    while True:
        rows, first = np.unique(row[frontier], return_index=True)
        successors = table[rows]
        source, letter = np.nonzero(~seen[successors])
        reached = successors[source, letter].astype(np.int64)
        if not len(reached):
            break
        if len(np.unique(reached)) != len(reached) or len(levels) == MAX_DEPTH:
            raise ValueError("not a trie automaton this counter can index")
        seen[reached] = True
        parent[reached] = frontier[first[source]]
        byte[reached] = letter
        levels.append(reached)
        frontier = reached
    if not seen.all():
        raise ValueError("unreachable states")
    return parent, byte, levels
