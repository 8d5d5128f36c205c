"""Keywords of the week: words of ticket text whose volume stands out from their own baseline.

Text is segmented with jieba (its Rust port, rjieba), and only for bounded samples (at most a
few thousand rows of the hot categories, fetched with a LIMIT): the share of sampled tickets that use a word, times the
number of tickets the engine counted, estimates the word's volume this week and in an average
baseline week. Pure functions; the segmenter is loaded on first use, not at start-up.

Words that are not topics (不足, 做饭, 压力, 困难: they occur in complaints about anything) are
listed in stopwords.txt beside this file and always left out; a city's own list
(config/hotline.yaml) comes on top.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,}$")  # Chinese or Latin words, no digits
# Place words that only say where (every ticket has an address); the place itself stays.
_GENERIC_SUFFIXES = ("号楼", "小区")
STOP_WORDS_FILE = Path(__file__).with_name("stopwords.txt")
COLUMNS = ["word", "tickets", "baseline", "ratio", "hot"]


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The shipped list of words that are not topics (stopwords.txt), read once."""
    lines = STOP_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.lstrip().startswith("#"))


@lru_cache(maxsize=1)
def _cut():
    # jieba-rs (rjieba): jieba's own dictionary and algorithm, the same words, but its
    # dictionary takes about 30 MB of a worker's memory where Python jieba's takes 85 MB,
    # and it segments some 20 times faster. Imported on first use, not at start-up.
    import rjieba

    return rjieba.cut


def words(text: object, stopwords: Iterable[str] = ()) -> set[str]:
    """The distinct words of one ticket's text worth counting (no digits, no stop words)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return set()
    stop = stop_words().union(stopwords) if stopwords else stop_words()
    return {
        w
        for w in _cut()(str(text))
        if _WORD.match(w) and w not in stop and not w.endswith(_GENERIC_SUFFIXES)
    }


def document_frequency(texts: Iterable[object], stopwords: Iterable[str] = ()) -> Counter:
    """How many texts use each word."""
    stop = tuple(stopwords)
    counts: Counter = Counter()
    for text in texts:
        counts.update(words(text, stop))
    return counts


def keyword_spikes(
    current: list[object],
    baseline: list[object],
    current_total: float,
    baseline_weekly: float,
    *,
    ratio: float,
    min_count: int,
    top: int,
    stopwords: Iterable[str] = (),
) -> pd.DataFrame:
    """Words with their estimated tickets this week, in a baseline week, and the ratio.

    `current` and `baseline` are samples of ticket texts; `current_total` is the number of
    tickets this week the sample was drawn from, `baseline_weekly` the mean weekly number in
    the baseline weeks. `hot` marks words with at least `min_count` tickets at `ratio` times
    their baseline (a word absent from the baseline sample counts as one ticket there, so a new
    word is not infinitely hot). Hot words first, then the most used.
    """
    if not current or not current_total:
        return pd.DataFrame(columns=COLUMNS)
    now = document_frequency(current, stopwords)
    before = document_frequency(baseline, stopwords)
    return spikes_of_counts(
        now,
        before,
        len(current),
        len(baseline),
        current_total,
        baseline_weekly,
        ratio=ratio,
        min_count=min_count,
        top=top,
    )


def spikes_of_counts(
    now: Counter,
    before: Counter,
    current_n: int,
    baseline_n: int,
    current_total: float,
    baseline_weekly: float,
    *,
    ratio: float,
    min_count: int,
    top: int,
) -> pd.DataFrame:
    """keyword_spikes from word counts: `now` and `before` count the tickets using each word
    among `current_n` and `baseline_n` tickets (a sample, or every ticket when they come from
    the word-count rollup: then `current_n` is `current_total` and the counts are exact)."""
    columns = COLUMNS
    if not current_n or not current_total:
        return pd.DataFrame(columns=columns)
    rows = []
    for word, n in now.items():
        tickets = n / current_n * current_total
        base = before.get(word, 0) / baseline_n * baseline_weekly if baseline_n else 0.0
        lift = tickets / max(base, 1.0)
        rows.append(
            {
                "word": word,
                "tickets": round(tickets),
                "baseline": round(base, 1),
                "ratio": round(lift, 1),
                "hot": bool(tickets >= min_count and lift >= ratio),
            }
        )
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(rows, columns=columns)
    out = out.sort_values(
        ["hot", "tickets", "ratio", "word"], ascending=[False, False, False, True]
    )
    return out.head(top).reset_index(drop=True)
