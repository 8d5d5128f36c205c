"""Masking of personal information in free text (#21 item 7): the spellings people really type.

Every case is a sentence as a citizen would write it into a 12345 complaint; the masked text
must hide the number (or name, or address) and still read sensibly for the staff member.
"""

from __future__ import annotations

import pytest

from cockpit.domains.hotline.masking import mask_text


@pytest.mark.parametrize(
    ("text", "raw", "shown"),
    [
        ("请回电138.1234.5675谢谢", "138.1234.5675", "请回电138****5675谢谢"),
        ("电话138/1234/5679", "138/1234/5679", "电话138****5679"),
        ("电话１３８１２３４５６７８", "１３８１２３４５６７８", "电话138****5678"),
        ("手机 138 1234 5678 随时联系", "138 1234 5678", "手机 138****5678 随时联系"),
        ("号码1 3 8 1 2 3 4 5 6 7 8", "1 3 8 1 2 3 4 5 6 7 8", "号码138****5678"),
        ("电话138-1234-5678。", "138-1234-5678", "电话138****5678。"),
        ("+86 138 1234 5670", "138 1234 5670", "+86 138****5670"),
        ("我的电话一三八一二三四六七八九", "一三八一二三四六七八九", "我的电话138****6789"),
        ("电话幺三八一二三四六七八九", "幺三八一二三四六七八九", "电话138****6789"),
    ],
)
def test_phone_numbers_in_every_spelling_are_masked(text: str, raw: str, shown: str) -> None:
    """Dots, slashes, spaces, full-width and Chinese digits: the middle four are hidden."""
    masked = mask_text(text)
    assert raw not in masked
    assert "12345678" not in masked and "1234" not in masked.replace("138****", "")
    assert masked == shown


@pytest.mark.parametrize(
    ("text", "raw", "shown"),
    [
        ("身份证号140402900101123", "140402900101123", "身份证号140" + "*" * 11 + "3"),
        ("身份证14040219900101123X", "14040219900101123X", "身份证140**************X"),
        ("身份证１４０４０２１９９００１０１１２３Ｘ", "１４０４０２", "身份证140**************X"),
        ("卡号6222021234567890123", "6222021234567890123", "卡号6222" + "*" * 11 + "0123"),
        ("退款到6222 0212 3456 7890", "6222 0212 3456 7890", "退款到6222" + "*" * 8 + "7890"),
        ("卡号6217-0012-3456-7890-12", "6217-0012-3456-7890-12", "卡号6217" + "*" * 10 + "9012"),
    ],
)
def test_id_and_bank_card_numbers_are_masked(text: str, raw: str, shown: str) -> None:
    """15- and 18-character ID numbers, 16-19 digit bank cards, however they are spaced."""
    masked = mask_text(text)
    assert raw not in masked
    assert masked == shown


def test_email_addresses_are_masked_to_their_first_letter_and_domain() -> None:
    masked = mask_text("邮箱wangxiaoming@163.com，或者ｚｈａｎｇ．ｓａｎ＠ｑｑ．ｃｏｍ")
    assert "wangxiaoming" not in masked and "w***@163.com" in masked
    assert "ｚｈａｎｇ" not in masked and "zhang" not in masked and "z***@qq.com" in masked


@pytest.mark.parametrize(
    ("text", "name", "shown"),
    [
        ("我叫王小明，住在长治路", "王小明", "我叫王**，住在长治路"),
        ("我是张三，家里停水", "张三", "我是张**，家里停水"),
        ("本人李四反映噪音问题", "李四", "本人李**反映噪音问题"),
        ("联系人：欧阳娜娜 电话见上", "欧阳娜娜", "联系人：欧阳** 电话见上"),
        ("我姓赵，叫赵大海", "赵大海", "我姓赵，叫赵**"),
    ],
)
def test_names_introduced_in_free_text_are_masked(text: str, name: str, shown: str) -> None:
    """我叫/我是/本人/联系人 followed by a full name: only the surname stays."""
    masked = mask_text(text)
    assert name not in masked
    assert masked == shown


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-19在23号楼，室温12度",
        "2026-11-19 2026-11-20两天停水",
        "2026.11.19下午3点",
        "我是本小区居民，我是一名退休教师",
        "本人已多次反映，面积120.5平方米，欠费1,234.56元",
        "二〇二六年十一月",
        "第1 2 3号楼",
    ],
)
def test_dates_amounts_and_ordinary_words_stay_as_written(text: str) -> None:
    """What is not personal keeps its meaning: dates, sizes, money, 我是本小区居民."""
    assert mask_text(text) == text


def test_ticket_numbers_in_text_stay_but_a_mobile_after_letters_is_masked() -> None:
    assert mask_text("见工单CZ202611190001234") == "见工单CZ202611190001234"
    assert mask_text("tel13812345678") == "tel138****5678"
