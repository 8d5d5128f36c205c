"""Masking of citizens' personal information, applied on the server before anything leaves it.

A caller's name and phone number reach the browser only as 张** and 138****1234. Free text
(诉求内容, 诉求地址) is searched for what people really type: phone numbers written with dots,
slashes or spaces, in full-width or Chinese digits (一三八…, 幺 for 1), 15- and 18-character
ID numbers, 16-19 digit bank cards, e-mail addresses, and names introduced as 我叫王小明 / 我是
张三 / 本人李四. The text is read through a normalised view (NFKC character by character, Chinese
digits as digits) that stays aligned with the original, so only the matched spans change and
the rest reads as the citizen wrote it. Pure functions: the callbacks apply `mask_frame` to
every frame of ticket rows before rendering it, and every export masks its personal columns.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable

import pandas as pd

MASK = "*"
# Chinese digits as people write them in phone numbers (幺 is "one" read aloud on the phone).
CHINESE_DIGITS = dict(zip("〇零一二三四五六七八九幺", "001234567891", strict=True))
# What may stand between the digits of one number: 138.1234.5675, 138/1234/5679, 138 1234 5678.
# Commas and colons are not: they write amounts (1,234) and times (12:30).
SEPARATORS = frozenset(" .-/_·—–")
MAX_GAP = 3  # "138 - 1234 - 5678"
_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# The commonest surnames (about nine in ten Chinese people carry one of them) and compound ones.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|令狐|端木|独孤|南宫|西门"
)
# Words that end a name rather than continue it: 本人李四反映… is 李四, not 李四反.
_AFTER_NAME = frozenset("反投举家住在的来咨要称说于因现今是和与向从到对被请想已也就都电手号，。")
_TITLES = ("先生", "女士", "小姐", "师傅", "老师", "阿姨", "大爷", "大妈", "同志", "书记", "主任")
_NAME = re.compile(
    r"(?:我叫|我是|本人是?|联系人[:：]?\s*|姓名[:：]?\s*|叫)"
    rf"(?P<surname>{_COMPOUND_SURNAMES}|[{_SURNAMES}])"
    r"(?P<given>[\u4e00-\u9fff]{1,2})"
)
PERSONAL_COLUMNS = ("citizen_name", "citizen_phone")


def mask_name(name: object) -> str:
    """张三丰 -> 张**; the length of the given name is not revealed. Empty stays empty."""
    text = _text(name).strip()
    if not text:
        return ""
    return text[0] + MASK * 2


def mask_phone(phone: object) -> str:
    """13812341234 -> 138****1234; shorter numbers keep only their last two digits."""
    digits = _phone_digits(phone)
    if not digits:
        return ""
    if len(digits) >= 11:
        return digits[:3] + MASK * 4 + digits[-4:]
    if len(digits) <= 4:
        return MASK * len(digits)
    return MASK * (len(digits) - 2) + digits[-2:]


def mask_address(value: object) -> str:
    """A phone or e-mail address as screens and logs show it: 138****5678, z***@example.cn."""
    text = _text(value).strip()
    if "@" in text:
        name, _, domain = text.partition("@")
        return f"{name[:1]}***@{domain}"
    return mask_phone(text) if text else ""


def caller_labels(names: list[object], phones: list[object], key: str) -> list[str]:
    """How each caller of a list is shown: 王** 138****1234, one label per distinct caller.

    The masked form keeps the first three and last four digits (the usual national norm), so
    two callers can still look alike (王 13812341234 and 王 13899991234). Those twins get a
    short code, the same for the same number every time: a keyed hash (HMAC with the server's
    secret), which tells them apart without revealing the hidden digits (an unkeyed hash of a
    number with 10,000 possible middles would be reversed at once)."""
    plain = [f"{mask_name(n)} {mask_phone(p)}".strip() for n, p in zip(names, phones, strict=True)]
    digits = [_phone_digits(p) for p in phones]
    return _told_apart(
        plain, digits, lambda d: hmac.new(key.encode(), d.encode(), hashlib.sha256).hexdigest()
    )


def masked_caller_labels(
    names_masked: list[object], phones_masked: list[object], caller_keys: list[str]
) -> list[str]:
    """caller_labels for callers read from the repeat-callers rollup, which keeps the masked
    name and number and a keyed hash of the number (cockpit/rollups.py): the twins' short code
    is the start of that hash, keyed like the one above (by the key kept beside the store)."""
    plain = [
        f"{'' if pd.isna(n) else n} {'' if pd.isna(p) else p}".strip()
        for n, p in zip(names_masked, phones_masked, strict=True)
    ]
    return _told_apart(plain, caller_keys, lambda k: k)


def _told_apart(plain: list[str], callers: list[str], code: Callable[[str], str]) -> list[str]:
    """The labels, with a short code (4 characters of `code(caller)`) on those that more than
    one caller shares."""
    owners: dict[str, set[str]] = {}
    for label, caller in zip(plain, callers, strict=True):
        owners.setdefault(label, set()).add(caller)
    out = []
    for label, caller in zip(plain, callers, strict=True):
        if len(owners[label]) > 1:
            label = f"{label} #{code(caller)[:4].upper()}"
        out.append(label)
    return out


def _phone_digits(phone: object) -> str:
    """The digits of a phone number as written (full-width, Chinese digits, +86 dropped)."""
    digits = "".join(c for c in _digit_view(_text(phone)) if c.isascii() and c.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def mask_text(text: object) -> str:
    """Free text with every phone, ID, bank-card number, e-mail address and introduced name
    masked; everything else (dates, sizes, amounts, addresses) as written."""
    value = _text(text)
    if not value:
        return value
    wide = _nfkc_view(value)
    spans = [*_number_spans(_digit_view(wide)), *_email_spans(wide), *_name_spans(wide)]
    out, at = [], 0
    for start, end, masked in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if start < at:  # inside a span already masked (an e-mail's digits, say)
            continue
        out += [value[at:start], masked]
        at = end
    out.append(value[at:])
    return "".join(out)


# -- the normalised views: one character for one character, so spans map back ------------------
def _nfkc_view(text: str) -> str:
    """NFKC per character (full-width １３８ and ＠ become 138 and @) where it stays one char."""
    chars = []
    for c in text:
        n = unicodedata.normalize("NFKC", c)
        chars.append(n if len(n) == 1 else c)
    return "".join(chars)


def _digit_view(text: str) -> str:
    """Chinese digits (一三八, 幺) and any other Unicode digit read as ASCII digits."""
    chars = []
    for c in text:
        if c in CHINESE_DIGITS:
            chars.append(CHINESE_DIGITS[c])
        elif not c.isascii() and c.isdigit():
            chars.append(str(unicodedata.digit(c, 0)))
        else:
            chars.append(c)
    return "".join(chars)


# -- numbers ------------------------------------------------------------------------------------
def _number_spans(view: str) -> list[tuple[int, int, str]]:
    """(start, end, masked) of each personal number in the digit view."""
    spans = []
    for groups in _digit_runs(view):
        spans += _personal_numbers(view, groups)
    return spans


def _digit_runs(view: str) -> list[list[tuple[int, int]]]:
    """Runs of digit groups joined by short separator gaps: [(start, end) of each group]."""
    runs: list[list[tuple[int, int]]] = []
    i, n = 0, len(view)
    while i < n:
        if not view[i].isdigit():
            i += 1
            continue
        groups: list[tuple[int, int]] = []
        while True:
            start = i
            while i < n and view[i].isdigit():
                i += 1
            if i < n and view[i] in "Xx" and _count(view, groups) + i - start == 17:
                i += 1  # the check character of an ID number
            groups.append((start, i))
            gap = i
            while gap < n and view[gap] in SEPARATORS and gap - i < MAX_GAP:
                gap += 1
            if gap == i or gap >= n or not view[gap].isdigit():
                break
            i = gap
        runs.append(groups)
    return runs


def _count(view: str, groups: list[tuple[int, int]]) -> int:
    return sum(end - start for start, end in groups)


def _personal_numbers(view: str, groups: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """The personal numbers among a run's groups, longest first from the left.

    A number spelt with separators joins only groups whose gaps are the same (138 1234 5678,
    138-1234-5678): "2026-11-19 2026-11-20" is two dates, not a 16-digit card.
    """
    found, s = [], 0
    while s < len(groups):
        for e in range(len(groups) - 1, s - 1, -1):
            gaps = {view[groups[k][1] : groups[k + 1][0]] for k in range(s, e)}
            if len(gaps) > 1:
                continue
            start, end = groups[s][0], groups[e][1]
            digits = "".join(view[a:b] for a, b in groups[s : e + 1])
            masked = _mask_number(digits.upper(), separated=e > s)
            if (
                masked is not None
                and start
                and view[start - 1].isascii()
                and view[start - 1].isalpha()
            ):
                # CZ202611190001234 is a ticket number, not an ID; a mobile is masked anyway.
                masked = masked if re.fullmatch(r"1[3-9][0-9]{9}", digits) else None
            if masked is not None:
                found.append((start, end, masked))
                s = e
                break
        s += 1
    return found


def _mask_number(digits: str, separated: bool) -> str | None:
    """The masked form of a personal number, or None when the digits are not one."""
    n = len(digits)
    if n == 11 and re.fullmatch(r"1[3-9][0-9]{9}", digits):
        return digits[:3] + MASK * 4 + digits[-4:]  # a mobile: 138****5678
    if n == 13 and re.fullmatch(r"861[3-9][0-9]{9}", digits):
        return "86 " + digits[2:5] + MASK * 4 + digits[-4:]  # +86 138****5678
    if n == 18 and _looks_like_id(digits) or n == 15 and digits.isdigit():
        return digits[:3] + MASK * (n - 4) + digits[-1]  # an ID number: 140*…*X
    if 16 <= n <= 19 and digits.isdigit():
        return digits[:4] + MASK * (n - 8) + digits[-4:]  # a bank card: 6222****7890
    if 10 <= n <= 12 and digits.startswith("0") and digits.isdigit():
        return mask_phone(digits)  # a landline with its area code
    if not separated and 7 <= n <= 8 and digits.isdigit():
        return mask_phone(digits)  # a local number
    return None


def _looks_like_id(digits: str) -> bool:
    """17 digits and a check character, with a birth date 19xx/20xx in the middle."""
    return bool(re.fullmatch(r"[0-9]{6}(?:19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9X]", digits))


# -- e-mail addresses and names -----------------------------------------------------------------
def _email_spans(wide: str) -> list[tuple[int, int, str]]:
    """wangxiaoming@163.com -> w***@163.com (the domain says little about the person)."""
    return [
        (m.start(), m.end(), m.group(0)[0] + MASK * 3 + "@" + m.group(0).split("@", 1)[1])
        for m in _EMAIL.finditer(wide)
    ]


def _name_spans(wide: str) -> list[tuple[int, int, str]]:
    """我叫王小明 -> 我叫王**: a full name after the words that introduce one."""
    spans = []
    for m in _NAME.finditer(wide):
        given = m.group("given")
        if given.startswith(_TITLES) or given[0] in _AFTER_NAME:
            continue  # 王先生, 王师傅: not a full name
        if len(given) == 2 and given[1] in _AFTER_NAME:
            given = given[:1]
        start = m.start("surname")
        end = m.start("given") + len(given)
        spans.append((start, end, m.group("surname") + MASK * 2))
    return spans


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ticket rows with names, phones and digit runs in text masked."""
    out = frame.copy()
    if "citizen_name" in out.columns:
        out["citizen_name"] = [mask_name(v) for v in out["citizen_name"]]
    if "citizen_phone" in out.columns:
        out["citizen_phone"] = [mask_phone(v) for v in out["citizen_phone"]]
    for column in ("content", "address"):
        if column in out.columns:
            out[column] = [mask_text(v) for v in out[column]]
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)
