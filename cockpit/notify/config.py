"""The `notify:` section (config/notify.yaml): the queue, the tick, and the outbound channels.

Channels are configured like data sources: a name, a `kind`, and the kind's own pydantic model
(extra="forbid", so a typo is an error at start-up). Secrets (robot webhook URLs carry their
token; signing secrets, gateway tokens, SMTP passwords) are never written in the file: the
file names the environment variable that holds each (`*_env`), read at send time.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def secret(env: str | None) -> str | None:
    """The value of a secret's environment variable (None when unnamed or unset)."""
    return os.environ.get(env) or None if env else None


class DingTalkRobot(_Strict):
    """钉钉 custom group robot: the webhook URL (with access_token) and, if the robot is set
    to 加签, its secret (SEC...)."""

    kind: Literal["dingtalk"]
    webhook_env: str
    secret_env: str | None = None


class WeComRobot(_Strict):
    """企业微信 group robot: the webhook URL carries the key; the platform has no signing."""

    kind: Literal["wecom"]
    webhook_env: str


class FeishuRobot(_Strict):
    """飞书 custom bot: the webhook URL and, if 签名校验 is on, its secret."""

    kind: Literal["feishu"]
    webhook_env: str
    secret_env: str | None = None


class SignedWebhook(_Strict):
    """A province's own platform (晋政通 and the like): our JSON, HMAC-SHA256 signed."""

    kind: Literal["webhook"]
    url: str
    secret_env: str


class SmsGateway(_Strict):
    """SMS through the city's HTTP gateway: a JSON POST naming the phone and the text."""

    kind: Literal["sms"]
    url: str
    token_env: str | None = None  # sent as Authorization: Bearer <token>
    phone_field: str = "phone"
    text_field: str = "content"
    sign_name: str = ""  # 短信签名, put in front of the text as 【…】


class SmtpMail(_Strict):
    """E-mail over SMTP (the government mail system's relay)."""

    kind: Literal["email"]
    host: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    sender: str


Channel = Annotated[
    DingTalkRobot | WeComRobot | FeishuRobot | SignedWebhook | SmsGateway | SmtpMail,
    Field(discriminator="kind"),
]


class NotifyConfig(_Strict):
    """How notifications are made and delivered."""

    # eager: jobs run in the calling process (the README's `python -m cockpit run`, no server);
    # rq: jobs go to RQ queues on Redis, run by `python -m cockpit.jobs worker`.
    queue: Literal["eager", "rq"] = "eager"
    redis_url_env: str = "COCKPIT_REDIS_URL"
    queue_name: str = "cockpit"
    tick_seconds: int = Field(60, ge=5)  # the warning check and delivery sweep
    briefing_at: str | None = "07:30"  # 北京时间; None = no morning briefing job
    max_attempts: int = Field(5, ge=1)
    backoff_seconds: tuple[int, ...] = (10, 60, 300, 1800)  # before attempt 2, 3, 4, 5...
    lease_seconds: int = Field(120, ge=1)  # a claim older than this is a dead worker's
    send_timeout: float = Field(10.0, gt=0)  # must stay well under lease_seconds
    public_url: str = ""  # the cockpit's address, to put a link in pushes; "" = no link
    channels: dict[str, Channel] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> NotifyConfig:
        # A claim must outlive the longest send, or a sweep could hand a live send to a second
        # worker and the row would go out twice.
        if self.lease_seconds <= self.send_timeout + 1:
            raise ValueError("lease_seconds must exceed send_timeout by more than a second")
        return self

    @field_validator("channels")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "inbox" in value:
            raise ValueError("'inbox' is the in-app inbox and cannot name a channel")
        return value

    def backoff(self, attempts: int) -> int:
        """Seconds to wait after `attempts` failed sends (the last step repeats)."""
        steps = self.backoff_seconds or (60,)
        return steps[min(attempts, len(steps)) - 1]


def notify_config(settings: Any) -> NotifyConfig:
    """The validated section; a ConfigError naming the field when it is wrong."""
    from cockpit.settings import ConfigError

    try:
        return NotifyConfig.model_validate(getattr(settings, "notify", None) or {})
    except ValidationError as exc:
        raise ConfigError(
            [
                f"config/notify.yaml: notify.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in exc.errors()
            ]
        ) from None
