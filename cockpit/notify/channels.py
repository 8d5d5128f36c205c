"""Outbound channels: one adapter per kind, each turning a message into its platform's request.

Every adapter has the same small interface, `send(message, recipient, idem_key)`, raising
ChannelError on anything but the platform's success answer. The request formats follow each
platform's documentation of its custom robot:

- 钉钉: POST the webhook (…/robot/send?access_token=…) with `timestamp` and `sign` added to the
  query when the robot is 加签: sign = urlencode(base64(HMAC-SHA256(key=secret,
  msg="<timestamp ms>\\n<secret>"))); body {"msgtype": "markdown", "markdown": {title, text}};
  success is {"errcode": 0}.
- 企业微信: POST the webhook (…/webhook/send?key=…) with {"msgtype": "markdown", "markdown":
  {"content"}}; no signing (the key is the secret); success is {"errcode": 0}.
- 飞书: POST the webhook (…/bot/v2/hook/…) with {"timestamp": "<s>", "sign": …, "msg_type":
  "text", "content": {"text"}}: sign = base64(HMAC-SHA256(key="<timestamp s>\\n<secret>",
  msg="")); success is {"code": 0} (older bots answer {"StatusCode": 0}).
- webhook (a province's platform): our JSON with X-Cockpit-Timestamp and X-Cockpit-Signature =
  hex HMAC-SHA256(secret, "<timestamp>.<body>"), and X-Idempotency-Key; any 2xx is success.
- sms: the city gateway's JSON {phone_field: phone, text_field: text} (Bearer token if set);
  any 2xx is success.
- email: SMTP (STARTTLS and login if configured), plain-text UTF-8.

Secrets are read from the environment at send time and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, ClassVar

import requests

from cockpit.notify.config import (
    DingTalkRobot,
    FeishuRobot,
    NotifyConfig,
    SignedWebhook,
    SmsGateway,
    SmtpMail,
    WeComRobot,
    secret,
)

LEVEL_NAMES = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}


class ChannelError(Exception):
    """A send that did not succeed (the message says why, without secrets)."""


@dataclass(frozen=True)
class Outgoing:
    """What a channel sends: the message as stored (already masked) and its place's name."""

    message_id: int
    title: str
    body: str
    level: int | None
    domain: str
    county_code: str
    place: str
    link: str  # absolute (public_url + path) or ""

    @property
    def headline(self) -> str:
        """【橙色预警】潞城区12345按时办结率低于预警线"""
        level = LEVEL_NAMES.get(self.level or 0)
        return f"【{level}预警】{self.title}" if level else self.title

    def text(self) -> str:
        """Plain text: headline, body, place and domain, link."""
        lines = [self.headline, self.body, f"{self.place} · {self.domain}".strip(" ·")]
        if self.link:
            lines.append(self.link)
        return "\n".join(line for line in lines if line)

    def markdown(self) -> str:
        """The same as markdown (robots show it as a card)."""
        lines = [f"### {self.headline}", self.body, f"> {self.place} · {self.domain}"]
        if self.link:
            lines.append(f"[在驾驶舱中查看]({self.link})")
        return "\n\n".join(line for line in lines if line)


class Adapter:
    """The interface every channel kind implements."""

    kind: ClassVar[str]
    needs_address: ClassVar[bool] = False  # sms and e-mail go to a person's address

    def __init__(self, name: str, cfg: Any, timeout: float) -> None:
        self.name = name
        self.cfg = cfg
        self.timeout = timeout

    def send(self, out: Outgoing, recipient: str, idem_key: str) -> None:
        """Deliver `out`; raise ChannelError unless the platform says it succeeded."""
        raise NotImplementedError

    def _post(self, url: str, payload: Any, headers: dict[str, str] | None = None) -> Any:
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            response = requests.post(
                url,
                data=body,
                headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise ChannelError(f"{self.name}: {type(exc).__name__}") from exc
        if not 200 <= response.status_code < 300:
            raise ChannelError(f"{self.name}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            return None

    def _env(self, env: str | None, what: str) -> str:
        value = secret(env)
        if not value:
            raise ChannelError(f"{self.name}: 环境变量 {env} 未设置（{what}）")
        return value


def dingtalk_sign(secret_text: str, timestamp_ms: int) -> str:
    """钉钉 加签: url-encoded base64 of HMAC-SHA256(secret, "timestamp\\nsecret")."""
    digest = hmac.new(
        secret_text.encode(), f"{timestamp_ms}\n{secret_text}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret_text: str, timestamp_s: int) -> str:
    """飞书 签名: base64 of HMAC-SHA256 keyed with "timestamp\\nsecret" over an empty message."""
    key = f"{timestamp_s}\n{secret_text}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def webhook_signature(secret_text: str, timestamp: str, body: bytes) -> str:
    """Our webhook's X-Cockpit-Signature: hex HMAC-SHA256 over "timestamp.body"."""
    return hmac.new(
        secret_text.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()


def _errcode_ok(answer: Any, name: str, field: str = "errcode") -> None:
    if not isinstance(answer, dict):
        raise ChannelError(f"{name}: 平台应答不是 JSON")
    code = answer.get(field, answer.get("StatusCode"))
    if code not in (0, "0"):
        raise ChannelError(
            f"{name}: 平台返回 {field}={code} {str(answer.get('errmsg') or answer.get('msg') or '')[:80]}"
        )


class DingTalk(Adapter):
    kind = "dingtalk"
    cfg: DingTalkRobot

    def send(self, out: Outgoing, recipient: str, idem_key: str) -> None:
        url = self._env(self.cfg.webhook_env, "钉钉机器人地址")
        if self.cfg.secret_env:
            stamp = int(time.time() * 1000)
            sign = dingtalk_sign(self._env(self.cfg.secret_env, "钉钉加签密钥"), stamp)
            url += f"{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": out.headline, "text": out.markdown()},
        }
        _errcode_ok(self._post(url, payload), self.name)


class WeCom(Adapter):
    kind = "wecom"
    cfg: WeComRobot

    def send(self, out: Outgoing, recipient: str, idem_key: str) -> None:
        url = self._env(self.cfg.webhook_env, "企业微信机器人地址")
        payload = {"msgtype": "markdown", "markdown": {"content": out.markdown()}}
        _errcode_ok(self._post(url, payload), self.name)


class Feishu(Adapter):
    kind = "feishu"
    cfg: FeishuRobot

    def send(self, out: Outgoing, recipient: str, idem_key: str) -> None:
        url = self._env(self.cfg.webhook_env, "飞书机器人地址")
        payload: dict[str, Any] = {"msg_type": "text", "content": {"text": out.text()}}
        if self.cfg.secret_env:
            stamp = int(time.time())
            payload = {
                "timestamp": str(stamp),
                "sign": feishu_sign(self._env(self.cfg.secret_env, "飞书签名密钥"), stamp),
                **payload,
            }
        _errcode_ok(self._post(url, payload), self.name, "code")


class Webhook(Adapter):
    kind = "webhook"
    cfg: SignedWebhook

    def send(self, out: Outgoing, recipient: str, idem_key: str) -> None:
        key = self._env(self.cfg.secret_env, "签名密钥")
        payload = {
            "id": idem_key,
            "title": out.headline,
            "body": out.body,
            "level": out.level,
            "domain": out.domain,
            "county_code": out.county_code,
            "place": out.place,
            "link": out.link,
        }
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Cockpit-Timestamp": stamp,
            "X-Cockpit-Signature": webhook_signature(key, stamp, body),
            "X-Idempotency-Key": idem_key,
        }
        try:
            response = requests.post(self.cfg.url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ChannelError(f"{self.name}: {type(exc).__name__}") from exc
        if not 200 <= response.status_code < 300:
            raise ChannelError(f"{self.name}: HTTP {response.status_code}")


class Sms(Adapter):
    kind = "sms"
    needs_address = True
    cfg: SmsGateway

    def send(self, out: Outgoing, recipient: str, idem_key: str) -> None:
        if not recipient:
            raise ChannelError(f"{self.name}: 未填写手机号")
        text = (f"【{self.cfg.sign_name}】" if self.cfg.sign_name else "") + out.text()
        headers = {"X-Idempotency-Key": idem_key}
        if self.cfg.token_env:
            headers["Authorization"] = f"Bearer {self._env(self.cfg.token_env, '短信网关令牌')}"
        self._post(
            self.cfg.url, {self.cfg.phone_field: recipient, self.cfg.text_field: text}, headers
        )


class Email(Adapter):
    kind = "email"
    needs_address = True
    cfg: SmtpMail

    def send(self, out: Outgoing, recipient: str, idem_key: str) -> None:
        if not recipient:
            raise ChannelError(f"{self.name}: 未填写邮箱")
        mail = EmailMessage()
        mail["From"] = self.cfg.sender
        mail["To"] = recipient
        mail["Subject"] = out.headline
        # A stable Message-ID: a mail system that keeps them can drop a resend.
        mail["Message-ID"] = make_msgid(idstring=idem_key, domain="cockpit.local")
        mail.set_content(out.text())
        try:
            with smtplib.SMTP(self.cfg.host, self.cfg.port, timeout=self.timeout) as smtp:
                if self.cfg.starttls:
                    smtp.starttls()
                if self.cfg.username:
                    smtp.login(self.cfg.username, self._env(self.cfg.password_env, "邮箱密码"))
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"{self.name}: {type(exc).__name__}") from exc


# The one registration place: kind -> adapter (tests check every config kind has one).
ADAPTERS: dict[str, type[Adapter]] = {
    a.kind: a for a in (DingTalk, WeCom, Feishu, Webhook, Sms, Email)
}


def adapter(name: str, cfg: NotifyConfig) -> Adapter:
    """The adapter of a configured channel; ChannelError if the name is not configured."""
    channel = cfg.channels.get(name)
    if channel is None:
        raise ChannelError(f"未配置的推送渠道 {name}")
    return ADAPTERS[channel.kind](name, channel, cfg.send_timeout)
