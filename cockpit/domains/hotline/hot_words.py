"""The hot words of a week: what the week's tickets mention markedly more than usual.

One definition for the 12345 page's 关键词 panel and the briefing's hot words, read through
the hub (the user's scope applies): from word counts kept at build time where the source has
them (cockpit/rollups.py), else from two bounded text samples. No Dash.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd

from cockpit.domains.hotline import data
from cockpit.domains.hotline.drill import Context
from cockpit.domains.hotline.keywords import keyword_spikes, spikes_of_counts
from cockpit.hub import DataHub, Result


def word_counts_of(result: Result, stop: set[str]) -> Counter:
    """Tickets per word from a word-count answer, the city's own stop words left out."""
    frame = result.frame
    if frame.empty:
        return Counter()
    return Counter(
        {w: int(n) for w, n in zip(frame["word"], frame["tickets"], strict=True) if w not in stop}
    )


def hot_keywords(
    hub: DataHub,
    c: Context,
    weekly: pd.DataFrame,
    this_week: str,
    chosen: tuple[str, ...],
    county: str | None,
) -> tuple[pd.DataFrame, str, list[Result]]:
    """Keywords of the hot categories (or of the whole week) from two bounded text samples."""
    hot = c.config.hot_topics
    week = c.hot_week
    rows = weekly[weekly["category"].isin(chosen)] if chosen else weekly
    current_total = float(rows.loc[rows["week"] == this_week, "tickets"].sum())
    baseline_weeks = sorted(w for w in rows["week"].unique() if w < this_week)[
        -hot.baseline_weeks :
    ]
    base_total = float(rows.loc[rows["week"].isin(baseline_weeks), "tickets"].sum())
    baseline_weekly = base_total / hot.baseline_weeks
    base_start = week - dt.timedelta(weeks=hot.baseline_weeks)
    scope = "、".join(chosen) if chosen else "全部分类"
    end = week + dt.timedelta(weeks=1)
    now_counts = data.word_counts(hub, chosen, week, end, county)
    base_counts = data.word_counts(hub, chosen, base_start, week, county)
    if now_counts is not None and base_counts is not None:
        # Word counts kept at build time: every ticket's words, no text read.
        stop = set(hot.stopwords)  # the city's own list; the shipped one was left out at build
        now, before = (word_counts_of(r, stop) for r in (now_counts, base_counts))
        words = spikes_of_counts(
            now,
            before,
            round(current_total),
            round(base_total),
            current_total,
            baseline_weekly,
            ratio=hot.ratio,
            min_count=hot.min_count,
            top=hot.keywords,
        )
        note = (
            f"关键词：{scope}本周{round(current_total)}件工单和前{hot.baseline_weeks}周"
            f"{round(base_total)}件工单的诉求内容中，本周比平时明显多提到的词；"
            f"件数为提到该词的工单数；×为本周对前{hot.baseline_weeks}周周均的倍数。"
        )
        return words, note, [now_counts, base_counts]
    now_sample = data.texts(
        hub, chosen, week, week + dt.timedelta(weeks=1), county, hot.sample_rows
    )
    base_sample = data.texts(hub, chosen, base_start, week, county, hot.sample_rows)
    words = keyword_spikes(
        list(now_sample.frame.get("content", [])),
        list(base_sample.frame.get("content", [])),
        current_total,
        baseline_weekly,
        ratio=hot.ratio,
        min_count=hot.min_count,
        top=hot.keywords,
        stopwords=hot.stopwords,
    )
    # How the words are found, in plain words (the segmenter's name means nothing to a reader).
    note = (
        f"关键词：从{scope}本周{len(now_sample.frame)}件工单和前{hot.baseline_weeks}周"
        f"{len(base_sample.frame)}件工单的诉求内容中抽样，找出本周比平时明显多提到的词；"
        f"件数按抽样占比估算；×为本周对前{hot.baseline_weeks}周周均的倍数。"
    )
    return words, note, [now_sample, base_sample]
