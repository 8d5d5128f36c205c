"""Demo accounts: one per role, made on the first start of a development cockpit.

So that `python -m cockpit run` can be tried at once. Passwords are random, shown in the log
and kept in instance/demo-accounts.txt (readable by its owner only); a production cockpit
never makes them and refuses to start while any exists (factory.harden).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyotp

from cockpit.security import accounts
from cockpit.store.store import Store

if TYPE_CHECKING:
    from cockpit.settings import Settings

log = logging.getLogger(__name__)

# username, role, display name, counties (None: the role's default)
DEMO_USERS = (
    ("leader", "city_leader", "演示·市领导", None),
    ("staff", "city_staff", "演示·市直工作人员", None),
    ("county", "county_staff", "演示·县区工作人员", "first"),
    ("wall", "wall_display", "演示·指挥大屏", None),
    ("admin", "admin", "演示·系统管理员", None),
    ("secadmin", "security_admin", "演示·安全管理员", None),
    ("auditor", "auditor", "演示·审计管理员", None),
)


def ensure_demo_accounts(store: Store, settings: Settings, file: Path) -> Path | None:
    """Make the demo accounts if the database has no users yet; return the password file."""
    if accounts.count_users(store) > 0:
        return file if file.exists() else None
    counties = [c.code for c in settings.city.counties]
    lines = [
        "# 演示账号（仅开发/演示环境；生产环境不会创建）",
        "# 用户名\t口令\t角色\t范围\t动态口令密钥（须动态口令的角色：在验证器App中添加）",
    ]
    for username, role, name, scope in DEMO_USERS:
        password = accounts.temporary_password(16)
        chosen = [counties[0]] if scope == "first" else None
        accounts.create_user(
            store,
            username=username,
            role=role,
            password=password,
            policy=settings.security.password,
            known_counties=counties,
            counties=chosen,
            display_name=name,
            must_change=False,
            demo=True,
        )
        secret = ""
        if role in settings.security.totp_roles:
            secret = pyotp.random_base32()
            accounts.set_totp(store, username, secret)
        where = settings.city.county_names[chosen[0]] if chosen else "全市"
        lines.append(f"{username}\t{password}\t{role}\t{where}\t{secret}".rstrip("\t"))
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(file, 0o600)
    log.warning("demo accounts created; their passwords are in %s", file)
    return file
