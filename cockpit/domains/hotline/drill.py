"""From a number to the tickets behind it: drill keys, and the filters each one stands for.

Every clickable number carries a drill key `kind|argument` (e.g. `kpi|on_time`,
`county|140403`, `unit|市住建局`). The browser sends only that key; the server validates it
and turns it into filters here, so no filter, scope or personal value ever comes from the
browser. A caller's tickets are named by one of their ticket ids, never by the phone number.
Pure functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cockpit.domains.hotline import kpis
from cockpit.domains.hotline.config import HotlineConfig
from cockpit.domains.hotline.kpis import Window
from cockpit.domains.hotline.transform import GRANULARITIES, bucket_range
from data_sources.query import Col, Filter

NEWEST_FIRST: tuple[tuple[str, bool], ...] = (("received_at", True), ("ticket_id", True))
DEFAULT_KEY = "kpi|received"
MAX_ARG = 200


@dataclass(frozen=True)
class Variant:
    """One list a drill offers: a label, its filters and its order."""

    key: str
    label: str
    filters: tuple[Filter, ...]
    order_by: tuple[tuple[str, bool], ...] = NEWEST_FIRST


@dataclass(frozen=True)
class Drill:
    """What a drill key stands for: a title, the lists it offers, and its county rule."""

    title: str
    variants: tuple[Variant, ...]
    county: str | None = None  # a county the drill itself names: replaces the screen's county
    caller_ticket: str | None = None  # a caller drill: the phone is looked up from this ticket
    period_bound: bool = True  # False where the list does not follow the period (now, a week)
    notes: tuple[str, ...] = field(default=())

    def variant(self, key: str | None) -> Variant:
        """The variant with this key, or the first."""
        return next((v for v in self.variants if v.key == key), self.variants[0])


@dataclass(frozen=True)
class Context:
    """What a drill key is resolved against: the period, the data's now, the configuration."""

    config: HotlineConfig
    window: Window
    now: dt.datetime
    counties: dict[str, str]  # code -> name
    hot_week: dt.datetime  # Monday of the hot-topics week


def parse_key(key: object) -> tuple[str, str] | None:
    """('kind', 'argument') from 'kind|argument'; None for anything malformed."""
    if not isinstance(key, str) or "|" not in key or len(key) > MAX_ARG + 20:
        return None
    kind, _, arg = key.partition("|")
    return (kind, arg) if kind and arg else None


def _open() -> tuple[Filter, ...]:
    """Tickets still open that were dispatched (即办 tickets close at once)."""
    return (Filter("closed_at", "is_null"), Filter("direct_answer", "eq", False))


def _kpi(key: str, ctx: Context) -> Drill | None:
    defs, w, now = ctx.config.definitions, ctx.window, ctx.now
    kpi = kpis.KPI_BY_KEY.get(key)
    if kpi is None:
        return None
    rec, disp = kpis.received_filters(w), kpis.dispatched_filters(w)
    due, closed = kpis.due_filters(w, defs, now), kpis.closed_filters(w, defs)
    due_all = "全部应办结" if defs.on_time_cohort == "due" else "本期受理"
    late_close = (Filter("closed_at", "gt", Col("deadline")),)
    open_overdue = (Filter("closed_at", "is_null"), Filter("deadline", "lt", now))
    V = Variant
    variants: dict[str, tuple[Variant, ...]] = {
        "received": (V("all", "全部受理", rec),),
        "direct_rate": (
            V("direct", "即办工单", (*rec, Filter("direct_answer", "eq", True))),
            V("all", "全部受理", rec),
        ),
        "dispatched": (V("all", "全部派单", disp),),
        "sign_on_time": (
            V("late", "超时签收", (*disp, Filter("signed_at", "gt", Col("sign_deadline")))),
            V(
                "missing",
                "超时未签收",
                (*disp, Filter("signed_at", "is_null"), Filter("sign_deadline", "lt", now)),
            ),
            V("all", "全部派单", disp),
        ),
        "on_time": (
            V("late", "逾期办结", (*due, *late_close)),
            V("open", "超期未办结", (*due, *open_overdue)),
            V("all", due_all, due),
        ),
        "closure": (V("open", "超期未办结", (*due, *open_overdue)), V("all", due_all, due)),
        "followup": (
            V("missing", "未回访", (*closed, Filter("followed_up", "eq", False))),
            V("all", "全部办结", closed),
        ),
        "satisfaction": (
            V("unsatisfied", "不满意", (*closed, *kpis.unsatisfied_filters(defs))),
            V("all", "全部已评价", (*closed, Filter("evaluation", "not_null"))),
        ),
        "return_rate": (V("returned", "退单工单", (*disp, Filter("returned_count", "gt", 0))),),
        "reopen_rate": (V("reopened", "重办工单", (*closed, Filter("reopened", "eq", True))),),
        "extension_rate": (V("extended", "延期工单", (*disp, Filter("extended", "eq", True))),),
        "repeat_rate": (
            V(
                "grouped",
                "同一来电人相邻" if defs.repeat_key == "citizen_phone" else "同一地址相邻",
                (*rec, Filter(defs.repeat_key, "not_null")),
                ((defs.repeat_key, False), ("category_l2", False), ("received_at", False)),
            ),
        ),
    }
    handled = (
        *kpis.within("closed_at", w.start, w.end),
        *(() if defs.handling_includes_direct else (Filter("direct_answer", "eq", False),)),
    )
    oldest = (("received_at", False), ("ticket_id", False))
    variants["handling_avg"] = variants["handling_p90"] = (
        V("all", "已办结（受理早的在前）", handled, oldest),
    )
    return Drill(kpi.label, variants[key])


def _with_scope_variants(
    base: tuple[Filter, ...], ctx: Context, *, title: str, county: str | None = None
) -> Drill:
    defs = ctx.config.definitions
    return Drill(
        title,
        (
            Variant("all", "本期受理", (*kpis.received_filters(ctx.window), *base)),
            Variant(
                "open",
                "超期未办结",
                (
                    *kpis.received_filters(ctx.window),
                    *base,
                    Filter("closed_at", "is_null"),
                    Filter("deadline", "lt", ctx.now),
                ),
            ),
            Variant(
                "unsatisfied",
                "不满意",
                (*kpis.received_filters(ctx.window), *base, *kpis.unsatisfied_filters(defs)),
            ),
        ),
        county=county,
    )


def resolve_or_default(key: object, ctx: Context) -> Drill:
    """The drill a key stands for, or the default one (tickets received) for any other key."""
    drill = resolve(key, ctx) or resolve(DEFAULT_KEY, ctx)
    assert drill is not None  # DEFAULT_KEY always resolves
    return drill


def resolve(key: object, ctx: Context) -> Drill | None:
    """The drill a key stands for, or None when the key is not one we issue."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    kind, arg = parsed
    if len(arg) > MAX_ARG:
        return None
    defs, now = ctx.config.definitions, ctx.now
    if kind == "kpi":
        return _kpi(arg, ctx)
    if kind == "county":
        if arg not in ctx.counties:
            return None
        return _with_scope_variants((), ctx, title=ctx.counties[arg], county=arg)
    if kind == "category":
        l1, _, l2 = arg.partition("/")
        filters: tuple[Filter, ...] = (Filter("category_l1", "eq", l1),)
        if l2:
            filters += (Filter("category_l2", "eq", l2),)
        return _with_scope_variants(filters, ctx, title=f"{l1}·{l2}" if l2 else l1)
    if kind == "appeal":
        return _with_scope_variants((Filter("appeal_type", "eq", arg),), ctx, title=f"{arg}类诉求")
    if kind == "channel":
        return _with_scope_variants((Filter("channel", "eq", arg),), ctx, title=f"{arg}渠道")
    if kind == "unit":
        unit = (Filter("responsible_unit", "eq", arg),)
        due = (*kpis.due_filters(ctx.window, defs, now), *unit)
        closed = (*kpis.closed_filters(ctx.window, defs), *unit)
        return Drill(
            arg,
            (
                Variant("late", "逾期办结", (*due, Filter("closed_at", "gt", Col("deadline")))),
                Variant(
                    "open",
                    "超期未办结",
                    (*due, Filter("closed_at", "is_null"), Filter("deadline", "lt", now)),
                ),
                Variant("all", "全部应办结", due),
                Variant("unsatisfied", "不满意", (*closed, *kpis.unsatisfied_filters(defs))),
            ),
        )
    if kind == "sla":
        return _sla(arg, ctx)
    if kind == "hot":
        start = ctx.hot_week
        week = kpis.within("received_at", start, start + dt.timedelta(weeks=1))
        return Drill(
            f"{arg}（{start:%m月%d日}起一周）",
            (Variant("all", "该周受理", (*week, Filter("category_l2", "eq", arg))),),
            period_bound=False,
        )
    if kind == "caller":
        return Drill(
            "同一来电人同类诉求",
            (Variant("all", "本期受理", kpis.received_filters(ctx.window)),),
            caller_ticket=arg,
        )
    if kind == "address":
        address, _, category = arg.rpartition("|")
        if not address or not category:
            return None
        filters = (Filter("address", "eq", address), Filter("category_l2", "eq", category))
        return Drill(
            f"同一地址同类诉求（{category}）",
            (Variant("all", "本期受理", (*kpis.received_filters(ctx.window), *filters)),),
        )
    if kind == "bucket":
        granularity, _, label = arg.partition(":")
        span = bucket_range(granularity, label) if granularity in GRANULARITIES else None
        if span is None:
            return None
        title = f"{label}{'当周' if granularity == 'week' else ''}受理"
        return Drill(
            title,
            (Variant("all", "全部受理", kpis.within("received_at", *span)),),
            period_bound=False,
        )
    return None


SLA_BUCKETS = {
    "overdue": "超期未办结",
    "soon": "即将到期",
    "warn": "临近到期",
    "sign": "超时未签收",
}


def sla_filters(bucket: str, ctx: Context) -> tuple[Filter, ...] | None:
    """Open dispatched tickets in one deadline-clock bucket (relative to the data's now)."""
    now, sla = ctx.now, ctx.config.sla
    open_ = _open()
    if bucket == "overdue":
        return (*open_, Filter("deadline", "lt", now))
    if bucket == "soon":
        limit = now + dt.timedelta(hours=sla.soon_hours)
        return (*open_, Filter("deadline", "ge", now), Filter("deadline", "lt", limit))
    if bucket == "warn":
        limit = now + dt.timedelta(hours=sla.warn_hours)
        return (*open_, Filter("deadline", "ge", now), Filter("deadline", "lt", limit))
    if bucket == "sign":
        return (
            *open_,
            Filter("dispatched_at", "not_null"),
            Filter("signed_at", "is_null"),
            Filter("sign_deadline", "lt", now),
        )
    return None


def sla_label(bucket: str, ctx: Context) -> str:
    """The bucket's label with its hours."""
    sla = ctx.config.sla
    hours = {"soon": sla.soon_hours, "warn": sla.warn_hours}.get(bucket)
    return f"{hours}小时内到期" if hours else SLA_BUCKETS[bucket]


def _sla(bucket: str, ctx: Context) -> Drill | None:
    filters = sla_filters(bucket, ctx)
    if filters is None:
        return None
    return Drill(
        f"当前{sla_label(bucket, ctx)}",
        (Variant("all", "按时限先后", filters, (("deadline", False), ("ticket_id", False))),),
        period_bound=False,
    )


def caller_variant(phone: str, category: str, window: Window) -> Variant:
    """A caller's tickets of one category in the window (the phone stays on the server)."""
    return Variant(
        "all",
        "本期受理",
        (
            *kpis.received_filters(window),
            Filter("citizen_phone", "eq", phone),
            Filter("category_l2", "eq", category),
        ),
    )
