"""The datasets of 一键直联 / 市局直通: the columns the module expects, whatever source serves them
(bound to a source in config/datasets.yaml; docs/datasets.md is generated from them)."""

from __future__ import annotations

from cockpit.contracts import Contract
from data_sources.query import ColumnSpec as C

CONTRACTS = (
    Contract(
        "contacts.duty_roster",
        "值班表",
        (
            C("duty_date", "date", "值班日期", False),
            C("role", "string", "值班领导、带班领导、值班员", False),
            C("name", "string", "姓名", False),
            C("post", "string", "职务", False),
            C("phone", "string", "电话", False),
        ),
        county_column=None,
        freshness_column=None,
        key=("duty_date", "role"),
    ),
    Contract(
        "contacts.directory",
        "通讯录",
        (
            C("contact_id", "string", "编号", False),
            C("name", "string", "姓名", False),
            C("post", "string", "职务", False),
            C("org", "string", "单位", False),
            C("county_code", "string", "所属县区；市级单位为市代码", False),
            C("office_phone", "string", "办公电话"),
            C("mobile", "string", "手机"),
        ),
        county_column=None,
        freshness_column=None,
        key=("contact_id",),
    ),
)
