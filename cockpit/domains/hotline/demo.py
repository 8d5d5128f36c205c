"""The 12345 hotline's demo-data slice: tickets over the last three calendar years, with
seasons, weekdays, holidays, a planted spike, late counties and repeat callers.

The tickets are the one large table: they are generated a block of days at a time
(ticket_blocks), each block from a random stream of its own, and streamed to the file.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd

from cockpit.demo_kit import (
    COUNTY_POPULATION,
    GIVEN,
    SPRING_FESTIVAL,
    SUBDISTRICTS,
    SURNAMES,
    TICKET_BLOCK,
    DemoContext,
    Streamed,
    Table,
)

# 12345 categories: (一级, 二级, weight, seasonal profile, deadline days, content template)
_CATEGORIES: list[tuple[str, str, float, str, int, str]] = [
    (
        "城乡建设",
        "供热",
        4.0,
        "winter",
        3,
        "反映{a}暖气不热，室温只有{n}度，要求供热单位尽快处理。",
    ),
    ("城乡建设", "物业管理", 6.0, "flat", 10, "反映{a}物业服务不到位，楼道垃圾长期无人清理。"),
    ("城乡建设", "房屋质量", 2.0, "summer", 15, "反映{a}住宅楼顶漏水，多次找开发商未解决。"),
    ("城乡建设", "住房保障", 1.5, "flat", 15, "咨询{a}公租房申请条件和办理流程。"),
    ("城市管理", "市容环境", 4.0, "flat", 5, "反映{a}附近垃圾堆放，气味难闻，影响居民生活。"),
    ("城市管理", "占道经营", 2.5, "summer", 5, "反映{a}路边摊贩占道经营，夜间噪音大。"),
    ("城市管理", "违章建筑", 1.5, "flat", 15, "举报{a}有人私搭乱建，占用公共绿地。"),
    ("公共服务", "供水", 4.0, "summer", 3, "反映{a}停水{n}小时，未见通知，要求尽快恢复供水。"),
    ("公共服务", "供电", 3.0, "summer", 3, "反映{a}频繁停电，影响正常生活。"),
    ("公共服务", "燃气", 2.5, "winter", 3, "反映{a}燃气压力不足，做饭困难，担心安全隐患。"),
    ("交通运输", "公交出行", 2.0, "flat", 10, "建议{a}附近增加公交线路，方便居民出行。"),
    ("交通运输", "出租车", 1.2, "flat", 10, "投诉出租车在{a}拒载、不打表。"),
    ("交通运输", "道路维修", 2.0, "summer", 10, "反映{a}路面坑洼积水，存在安全隐患。"),
    ("生态环境", "噪音扰民", 3.0, "summer", 5, "反映{a}附近工地夜间施工，噪音扰民。"),
    ("生态环境", "大气污染", 1.5, "winter", 10, "反映{a}附近企业排放异味，影响空气质量。"),
    (
        "劳动和社会保障",
        "拖欠工资",
        3.0,
        "payday",
        10,
        "反映在{a}务工被拖欠工资{n}千元，要求帮助讨薪。",
    ),
    ("劳动和社会保障", "社会保险", 2.5, "flat", 10, "咨询在{a}办理社保转移接续的手续。"),
    ("市场监管", "消费维权", 3.5, "flat", 7, "投诉{a}商家售卖商品质量问题，拒绝退换。"),
    ("市场监管", "食品安全", 1.5, "summer", 5, "举报{a}餐馆卫生条件差，疑似使用过期食材。"),
    ("教育", "招生入学", 2.0, "school", 10, "咨询{a}适龄儿童入学划片和报名时间。"),
    ("教育", "校外培训", 1.0, "school", 10, "反映{a}校外培训机构收费后停业，要求退费。"),
    ("卫生健康", "医疗服务", 2.0, "flat", 10, "反映{a}医院就诊排队时间长，服务态度差。"),
    ("卫生健康", "医保报销", 2.0, "flat", 10, "咨询异地就医医保报销比例和备案流程。"),
    ("农业农村", "农村饮水", 1.2, "summer", 7, "反映{a}村自来水浑浊，要求检测水质。"),
    ("农业农村", "农业补贴", 1.0, "spring", 15, "咨询{a}耕地地力保护补贴发放时间。"),
    ("公安", "治安秩序", 1.2, "flat", 7, "反映{a}夜间有人聚集喧哗，存在治安隐患。"),
    ("民政", "养老服务", 1.0, "flat", 15, "咨询{a}高龄津贴申领条件。"),
]
_SEASON = {
    "flat": [1.0] * 12,
    "winter": [3.0, 2.6, 1.4, 0.3, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 2.8, 3.2],
    "summer": [0.6, 0.6, 0.8, 0.9, 1.2, 1.7, 2.0, 1.9, 1.2, 0.8, 0.6, 0.6],
    "payday": [2.2, 1.8, 0.8, 0.7, 0.7, 0.8, 0.8, 0.8, 0.9, 1.0, 1.5, 2.6],
    "school": [0.5, 0.6, 0.8, 0.8, 0.9, 1.4, 2.2, 2.6, 2.0, 0.7, 0.5, 0.5],
    "spring": [0.6, 0.8, 1.6, 1.8, 1.4, 1.0, 0.8, 0.8, 0.9, 1.0, 0.8, 0.6],
}
_WEEKDAY = [1.12, 1.08, 1.05, 1.03, 1.0, 0.78, 0.72]  # Monday .. Sunday
_HOURS = np.array(
    [
        0.3,
        0.2,
        0.15,
        0.1,
        0.1,
        0.2,
        0.6,
        1.6,
        4.2,
        6.5,
        6.8,
        5.6,
        3.6,
        3.9,
        5.8,
        6.2,
        5.9,
        5.0,
        3.4,
        2.8,
        2.4,
        1.8,
        1.0,
        0.6,
    ]
)


_CHANNELS = (["电话", "微信", "网站", "APP", "短信", "邮件"], [0.62, 0.16, 0.09, 0.09, 0.03, 0.01])


_UNITS_BY_L1 = {
    "城乡建设": ["市住建局", "市住房保障中心", "{c}住建局"],
    "城市管理": ["市城市管理局", "{c}城管局"],
    "公共服务": ["市供水公司", "国网长治供电公司", "市燃气公司", "{c}水务局"],
    "交通运输": ["市交通运输局", "市公交公司", "{c}交通运输局"],
    "生态环境": ["市生态环境局", "{c}生态环境分局"],
    "劳动和社会保障": ["市人社局", "{c}人社局"],
    "市场监管": ["市市场监管局", "{c}市场监管局"],
    "教育": ["市教育局", "{c}教育局"],
    "卫生健康": ["市卫健委", "市医保局", "{c}卫健局"],
    "农业农村": ["市农业农村局", "{c}农业农村局"],
    "公安": ["市公安局", "{c}公安分局"],
    "民政": ["市民政局", "{c}民政局"],
}


_REPEAT_SHARE = 0.1  # tickets from a caller who rings again about the same problem
_MAX_CALLS = 24  # a caller's calls at most: the busiest caller stays a tiny share of any file
_CALL_GAP_DAYS = 4.0  # a repeat caller rings again every few days (mean), while unresolved


def _ticket_weights(end: pd.Timestamp) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The days of the last three calendar years up to `end`, and the expected calls per
    (category, day): base x season x weekday x holiday x slow growth."""
    start = pd.Timestamp(end.year - 2, 1, 1)
    days = pd.date_range(start, end.normalize(), freq="D")
    n_days = len(days)
    base = np.array([c[2] for c in _CATEGORIES])
    season = np.array([_SEASON[c[3]] for c in _CATEGORIES])[:, days.month - 1]
    day_factor = np.array(_WEEKDAY)[days.day_of_week] * np.linspace(0.85, 1.15, n_days)
    for eve in SPRING_FESTIVAL:
        day_factor[
            (days >= pd.Timestamp(eve)) & (days < pd.Timestamp(eve) + pd.Timedelta(days=7))
        ] *= 0.55
    day_factor[(days.month == 10) & (days.day <= 7)] *= 0.75
    weights = base[:, None] * season * day_factor[None, :]
    # A planted spike, so the demo has "what is new this week": gas complaints triple in the
    # last complete week (as after a supply problem).
    last_monday = end.normalize() - pd.Timedelta(days=end.weekday() + 7)
    spike_days = (days >= last_monday) & (days < last_monday + pd.Timedelta(days=7))
    gas = [i for i, c in enumerate(_CATEGORIES) if c[1] == "燃气"]
    weights[np.ix_(np.array(gas, dtype=np.intp), np.flatnonzero(spike_days))] *= 3.5
    return days, weights


def ticket_blocks(
    seed: int,
    counties: list[str],
    names: dict[str, str],
    n: int,
    end: pd.Timestamp,
    *,
    block_size: int = TICKET_BLOCK,
) -> Iterator[pd.DataFrame]:
    """n tickets over the last three calendar years up to `end`, as frames of about
    `block_size` tickets in day order, so that any number can be written without holding it.

    The count of every (category, day) is drawn once for the whole file; each block then covers
    consecutive days and draws from a generator of its own ([seed, 12, block]): the same seed,
    size and block size give the same tickets.
    """
    days, weights = _ticket_weights(end)
    kinds, n_days = weights.shape
    plan = np.random.default_rng([seed, 12])
    counts = plan.multinomial(n, (weights / weights.sum()).ravel()).reshape(kinds, n_days)
    per_day = np.cumsum(counts.sum(axis=0))
    # Block boundaries on whole days: a block ends on the day its block_size-th ticket falls.
    cuts = np.unique(np.searchsorted(per_day, np.arange(block_size, n, block_size)) + 1)
    bounds = [0, *[int(c) for c in cuts if 0 < c < n_days], n_days]
    first_ticket, next_caller = 0, n  # one-time callers are numbered by ticket, the rest after
    for block, (d0, d1) in enumerate(itertools.pairwise(bounds)):
        cells = counts[:, d0:d1].T.ravel()  # day by day, categories within a day
        cat_idx = np.repeat(np.tile(np.arange(kinds), d1 - d0), cells)
        day_idx = np.repeat(np.repeat(np.arange(d0, d1), kinds), cells)
        if not len(cat_idx):
            continue
        rng = np.random.default_rng([seed, 12, block])
        frame, next_caller = _ticket_frame(
            rng, counties, names, days, cat_idx, day_idx, end, first_ticket, next_caller
        )
        first_ticket += len(frame)
        yield frame


def _callers(
    rng: np.random.Generator,
    cat_idx: np.ndarray,
    day_idx: np.ndarray,
    first_ticket: int,
    next_caller: int,
) -> tuple[np.ndarray, int]:
    """A caller number for each ticket of a block, and the next unused number.

    Most callers ring once (their number is their ticket's). About one ticket in ten comes
    from a caller who rings again about their own kind of problem (the noise next door, the
    same broken pipe: one person ringing about everything made the repeat list one caller eight
    times, #20), every few days while it lasts: 2 to _MAX_CALLS calls, fewer more often (a long
    tail). The calls of these episodes are laid on the block's repeat tickets of their category
    in time order, so a caller's tickets fall within weeks of each other, and numbers never
    repeat across blocks (10M tickets once had one number on 607,676 of them, #22).
    """
    n = len(cat_idx)
    caller = first_ticket + np.arange(n, dtype=np.int64)
    again = rng.random(n) < _REPEAT_SHARE
    sizes = np.arange(2, _MAX_CALLS + 1)
    size_p = sizes**-2.0 / (sizes**-2.0).sum()
    lo, hi = float(day_idx.min()), float(day_idx.max()) + 1
    for kind in np.unique(cat_idx[again]):
        tickets = np.flatnonzero(again & (cat_idx == kind))  # in day order already
        m = len(tickets)
        calls = rng.choice(sizes, size=m // 2 + 1, p=size_p)
        count = int(np.searchsorted(np.cumsum(calls), m)) + 1  # episodes enough for m calls
        calls = calls[:count]
        calls[-1] -= calls.sum() - m  # the last episode is cut to fit (may be a single call)
        episode = np.repeat(np.arange(count), calls)
        starts = rng.uniform(lo - _CALL_GAP_DAYS * 3, hi, count)
        gaps = rng.exponential(_CALL_GAP_DAYS, m)
        gaps[np.r_[0, np.cumsum(calls)[:-1]]] = 0.0  # each episode's first call at its start
        offset = np.cumsum(gaps) - np.repeat(
            np.cumsum(gaps)[np.r_[0, np.cumsum(calls)[:-1]]], calls
        )
        when = starts[episode] + offset
        caller[tickets] = next_caller + episode[np.argsort(when, kind="stable")]
        next_caller += count
    return caller, next_caller


def _ticket_frame(
    rng: np.random.Generator,
    counties: list[str],
    names: dict[str, str],
    days: pd.DatetimeIndex,
    cat_idx: np.ndarray,
    day_idx: np.ndarray,
    end: pd.Timestamp,
    first_ticket: int,
    next_caller: int,
) -> tuple[pd.DataFrame, int]:
    """The tickets of one block: their cells (category, day) given, the rest drawn here."""
    n = len(cat_idx)
    hours = rng.choice(24, size=n, p=_HOURS / _HOURS.sum())
    received = (
        days.values[day_idx]
        + hours * np.timedelta64(1, "h")
        + rng.integers(0, 3600, n) * np.timedelta64(1, "s")
    )
    received = np.minimum(received, end.to_datetime64() - np.timedelta64(1, "m"))
    pop = np.array([COUNTY_POPULATION.get(c, 20) for c in counties], dtype=float)
    county_idx = rng.choice(len(counties), size=n, p=pop / pop.sum())
    county_codes = np.array(counties)[county_idx]
    # Counties differ in how late they close (some run a tight ship, some do not).
    late_rate = np.linspace(0.03, 0.14, len(counties))[rng.permutation(len(counties))]
    late_rate_row = late_rate[county_idx]

    channel = rng.choice(_CHANNELS[0], size=n, p=_CHANNELS[1])
    # The appeal type follows the wording of the complaint: 咨询/举报/建议/投诉 say so themselves;
    # "反映" is a complaint or a request for help; a few callers ring to thank (表扬).
    verbs = np.array([c[5][:2] for c in _CATEGORIES])[cat_idx]
    reflect = rng.choice(["投诉", "求助", "其他"], size=n, p=[0.55, 0.4, 0.05])
    appeal = np.where(verbs == "反映", reflect, verbs)
    praise = rng.random(n) < 0.02
    appeal = np.where(praise, "表扬", appeal)
    direct = rng.random(n) < np.where(appeal == "咨询", 0.55, 0.1)
    deadline_days = np.array([c[4] for c in _CATEGORIES])[cat_idx]

    dispatched = received + rng.integers(5, 180, n) * np.timedelta64(1, "m")
    sign_deadline = dispatched + np.timedelta64(4, "h")
    sign_minutes = rng.lognormal(3.6, 0.9, n)  # ~ 40 minutes typical
    sign_late = rng.random(n) < 0.04
    sign_minutes = np.where(sign_late, 240 + rng.exponential(300, n), np.minimum(sign_minutes, 235))
    signed = dispatched + (sign_minutes * 60).astype("int64") * np.timedelta64(1, "s")
    extended = (~direct) & (rng.random(n) < 0.05)
    deadline = received + (deadline_days + np.where(extended, 7, 0)) * np.timedelta64(1, "D")
    late = (~direct) & (rng.random(n) < late_rate_row)
    fraction = np.where(late, 1 + rng.uniform(0.05, 0.8, n), rng.beta(2.2, 3.0, n) * 0.98)
    allowed = (deadline - received).astype("timedelta64[s]").astype("int64")
    closed = received + (allowed * fraction).astype("int64") * np.timedelta64(1, "s")
    closed = np.where(direct, received + rng.integers(3, 25, n) * np.timedelta64(1, "m"), closed)
    reopened = (~direct) & (rng.random(n) < 0.02)
    closed = np.where(reopened, closed + rng.integers(2, 8, n) * np.timedelta64(1, "D"), closed)
    returned = np.where(direct, 0, rng.choice([0, 1, 2], size=n, p=[0.965, 0.03, 0.005]))

    now = end.to_datetime64()
    is_closed = closed <= now
    is_signed = direct | (signed <= now)
    status = np.where(is_closed, "已办结", np.where(is_signed, "办理中", "待签收"))
    status = np.where((~direct) & (dispatched > now), "待派单", status)
    followed = is_closed & (closed < now - np.timedelta64(1, "D")) & (rng.random(n) < 0.88)
    evaluated = followed & (rng.random(n) < 0.93)
    unhappy_p = np.where(late, 0.25, 0.06)
    u = rng.random(n)
    evaluation = np.where(
        u < unhappy_p, "不满意", np.where(u < unhappy_p + 0.14, "基本满意", "满意")
    )
    # numpy's stubs leave out None as a value; the result is an object array, None where unrated.
    evaluation = np.where(evaluated, evaluation, None)  # type: ignore[call-overload]

    caller, next_caller = _callers(rng, cat_idx, day_idx, first_ticket, next_caller)
    prefixes = np.array(["138", "139", "136", "150", "152", "158", "186", "187", "131", "177"])
    # 8 digits per caller: 7919 is prime to 10^8, so the map is one-to-one; the offset keeps
    # caller 0 off 00000000.
    phone = np.char.add(
        prefixes[caller % 10], np.char.zfill(((caller * 7919 + 3_572_468) % 10**8).astype(str), 8)
    )
    surname = np.array(SURNAMES)[caller % len(SURNAMES)]
    given = np.array(GIVEN)[(caller // 7) % len(GIVEN)]
    given2 = np.where(caller % 3 == 0, np.array(GIVEN)[(caller // 11) % len(GIVEN)], "")
    citizen = np.char.add(np.char.add(surname, given), given2)

    sub = rng.integers(0, len(SUBDISTRICTS), n)
    county_names = np.array([names[c] for c in counties])[county_idx]
    township = np.char.add(np.array(SUBDISTRICTS)[sub], np.where(sub % 2 == 0, "街道", "镇"))
    building = rng.integers(1, 40, n)
    address = np.char.add(
        np.char.add(np.char.add(county_names, township), "某小区"),
        np.char.add(building.astype(str), "号楼"),
    )
    templates = np.array([c[5] for c in _CATEGORIES], dtype=object)[cat_idx]
    templates = np.where(praise, "表扬{a}相关工作人员服务热情、办事高效。", templates)
    numbers = rng.integers(6, 16, n)
    content = [t.format(a=a, n=k) for t, a, k in zip(templates, address, numbers, strict=True)]

    l1 = np.array([c[0] for c in _CATEGORIES])[cat_idx]
    l2 = np.array([c[1] for c in _CATEGORIES])[cat_idx]
    unit = np.empty(n, dtype=object)
    unit_pick = rng.random(n)
    for key, options in _UNITS_BY_L1.items():
        mask = l1 == key
        choice = (unit_pick[mask] * len(options)).astype(int)
        unit[mask] = [
            options[i].format(c=cn) for i, cn in zip(choice, county_names[mask], strict=True)
        ]
    unit = np.where(direct, None, unit)  # type: ignore[call-overload]  # None: as above

    def ts(values: np.ndarray, keep: np.ndarray) -> pd.Series:
        out = pd.Series(values.astype("datetime64[us]"))
        return out.where(keep)

    is_dispatched = (~direct) & (dispatched <= now)
    stamp = np.maximum.reduce(
        [
            received,
            np.where(is_dispatched, dispatched, received),
            np.where(is_signed & ~direct, signed, received),
            np.where(is_closed, closed, received),
        ]
    )
    ids = [
        f"CZ{d:%Y%m%d}{i:07d}"
        for d, i in zip(
            pd.DatetimeIndex(received), range(first_ticket, first_ticket + n), strict=True
        )
    ]
    frame = pd.DataFrame(
        {
            "ticket_id": ids,
            "received_at": pd.Series(received.astype("datetime64[us]")),
            "channel": channel,
            "appeal_type": appeal,
            "category_l1": l1,
            "category_l2": l2,
            "county_code": county_codes,
            "township": township,
            "address": address,
            "content": content,
            "direct_answer": direct,
            "responsible_unit": unit,
            "dispatched_at": ts(dispatched, is_dispatched),
            "sign_deadline": ts(sign_deadline, is_dispatched),
            "signed_at": ts(signed, (~direct) & is_signed),
            "deadline": pd.Series(deadline.astype("datetime64[us]")),
            "extended": extended,
            "returned_count": returned.astype("int32"),
            "reopened": reopened & is_closed,
            "closed_at": ts(closed, is_closed),
            "status": status,
            "followed_up": followed,
            "evaluation": evaluation,
            "citizen_name": citizen,
            "citizen_phone": phone,
            "updated_at": pd.Series(stamp.astype("datetime64[us]")),
        }
    )
    return frame, next_caller


def tables(ctx: DemoContext) -> dict[str, Table]:
    """hotline.tickets, streamed in blocks from streams of their own (not the shared one)."""
    blocks = ticket_blocks(
        ctx.seed, ctx.counties, ctx.names, ctx.tickets, ctx.end, block_size=ctx.block_size
    )
    if ctx.townships:  # opt-in (city.township_file): the other tables and rows stay as they are
        blocks = _with_township_codes(blocks, ctx.townships)
    return {"hotline_tickets": Streamed(blocks, ctx.tickets, "12345 工单")}


def _with_township_codes(
    blocks: Iterator[pd.DataFrame], codes: dict[tuple[str, str], str]
) -> Iterator[pd.DataFrame]:
    """Each block with township_code looked up from its county and township name (no random
    draw, so every other column keeps its value); None where the file has no such township."""
    for block in blocks:
        keys = zip(block["county_code"], block["township"], strict=True)
        yield block.assign(township_code=[codes.get(k) for k in keys])
