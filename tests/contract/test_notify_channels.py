"""Each channel kind against a real local receiver: the request each platform documents, its
signature checked as the platform checks it, and the platform's error answer raised; e-mail
to a real SMTP server (aiosmtpd). Config: every kind registered once, typos refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import typing

import pytest
from pydantic import ValidationError

from cockpit.notify import channels as ch
from cockpit.notify.config import Channel, NotifyConfig
from tests.notify_support import start_receiver

OUT = ch.Outgoing(
    message_id=7,
    title="潞城区12345按时办结率低于预警线",
    body="潞城区（2026年11月）12345按时办结率 80.6%，低于橙色预警线 85%",
    level=2,
    domain="社会稳定",
    county_code="140406",
    place="潞城区",
    link="https://cockpit.example/risk?warning=x",
)


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    r.close()


def adapter_for(name: str, channel: dict, monkeypatch, **env: str) -> ch.Adapter:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return ch.adapter(name, NotifyConfig(channels={name: channel}))


def test_every_configurable_kind_has_one_adapter() -> None:
    kinds = {
        typing.get_args(model.model_fields["kind"].annotation)[0]
        for model in typing.get_args(typing.get_args(Channel)[0])
    }
    assert kinds == set(ch.ADAPTERS) == {"dingtalk", "wecom", "feishu", "webhook", "sms", "email"}


def test_a_typo_in_a_channel_is_refused() -> None:
    with pytest.raises(ValidationError, match="secert_env"):
        NotifyConfig(channels={"x": {"kind": "dingtalk", "webhook_env": "A", "secert_env": "B"}})
    with pytest.raises(ValidationError):
        NotifyConfig(channels={"x": {"kind": "pager", "url": "http://x"}})
    with pytest.raises(ValidationError, match="inbox"):
        NotifyConfig(channels={"inbox": {"kind": "wecom", "webhook_env": "A"}})


def test_wecom_robot_markdown_and_its_error(receiver, monkeypatch) -> None:
    a = adapter_for(
        "wx",
        {"kind": "wecom", "webhook_env": "T_WX"},
        monkeypatch,
        T_WX=f"{receiver.url}/cgi-bin/webhook/send?key=k1",
    )
    a.send(OUT, "", "key1")
    (got,) = receiver.on("/cgi-bin/webhook/send")
    assert got.query == {"key": "k1"}
    assert got.json()["msgtype"] == "markdown"
    assert got.json()["markdown"]["content"].startswith("### 【橙色预警】潞城区12345")
    receiver.answers["/cgi-bin/webhook/send"] = (
        200,
        {"errcode": 93000, "errmsg": "invalid webhook url"},
    )
    with pytest.raises(ch.ChannelError, match="93000"):
        a.send(OUT, "", "key1")


def test_feishu_bot_signed_as_feishu_checks(receiver, monkeypatch) -> None:
    secret = "feishu-secret-1"
    a = adapter_for(
        "fs",
        {"kind": "feishu", "webhook_env": "T_FS", "secret_env": "T_FS_SECRET"},
        monkeypatch,
        T_FS=f"{receiver.url}/open-apis/bot/v2/hook/abc",
        T_FS_SECRET=secret,
    )
    receiver.answers["/open-apis/bot/v2/hook/abc"] = (200, {"code": 0, "msg": "success"})
    a.send(OUT, "", "key1")
    body = receiver.on("/open-apis/bot/v2/hook/abc")[0].json()
    assert abs(int(body["timestamp"]) - time.time()) < 60
    key = f"{body['timestamp']}\n{secret}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and "潞城区 · 社会稳定" in body["content"]["text"]
    receiver.answers["/open-apis/bot/v2/hook/abc"] = (
        200,
        {"code": 19021, "msg": "sign match fail"},
    )
    with pytest.raises(ch.ChannelError, match="19021"):
        a.send(OUT, "", "key1")


def test_dingtalk_unsigned_robot_and_missing_secret(receiver, monkeypatch) -> None:
    a = adapter_for(
        "dd",
        {"kind": "dingtalk", "webhook_env": "T_DD"},
        monkeypatch,
        T_DD=f"{receiver.url}/robot/send?access_token=t",
    )
    a.send(OUT, "", "k")
    assert receiver.on("/robot/send")[0].query == {"access_token": "t"}
    monkeypatch.delenv("T_DD")
    with pytest.raises(ch.ChannelError, match="T_DD"):
        a.send(OUT, "", "k")


def test_signed_webhook_carries_hmac_and_idempotency_key(receiver, monkeypatch) -> None:
    a = adapter_for(
        "jzt",
        {"kind": "webhook", "url": f"{receiver.url}/hook", "secret_env": "T_JZT"},
        monkeypatch,
        T_JZT="jzt-secret",
    )
    a.send(OUT, "", "idem-123")
    (got,) = receiver.on("/hook")
    stamp = got.headers["x-cockpit-timestamp"]
    expected = hmac.new(b"jzt-secret", stamp.encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-cockpit-signature"] == expected
    assert got.headers["x-idempotency-key"] == "idem-123" == got.json()["id"]
    assert got.json()["level"] == 2 and got.json()["county_code"] == "140406"
    receiver.answers["/hook"] = (503, {})
    with pytest.raises(ch.ChannelError, match="503"):
        a.send(OUT, "", "idem-123")


def test_sms_gateway_gets_phone_text_and_token(receiver, monkeypatch) -> None:
    a = adapter_for(
        "sms",
        {
            "kind": "sms",
            "url": f"{receiver.url}/sms/send",
            "token_env": "T_SMS",
            "phone_field": "mobile",
            "text_field": "msg",
            "sign_name": "长治市政府",
        },
        monkeypatch,
        T_SMS="tok",
    )
    a.send(OUT, "13800001111", "k9")
    (got,) = receiver.on("/sms/send")
    assert got.headers["authorization"] == "Bearer tok"
    assert got.json()["mobile"] == "13800001111"
    assert got.json()["msg"].startswith("【长治市政府】【橙色预警】潞城区")
    with pytest.raises(ch.ChannelError, match="手机号"):
        a.send(OUT, "", "k9")


def test_email_reaches_a_real_smtp_server(monkeypatch) -> None:
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self) -> None:
            self.mails: list = []

        async def handle_DATA(self, server, session, envelope):
            self.mails.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd's start-up check needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        a = adapter_for(
            "mail",
            {"kind": "email", "host": "127.0.0.1", "port": port, "sender": "cockpit@example.cn"},
            monkeypatch,
        )
        a.send(OUT, "leader@example.cn", "abc123")
    finally:
        controller.stop()
    (mail,) = handler.mails
    assert mail.rcpt_tos == ["leader@example.cn"]
    import email
    from email.policy import default

    parsed = email.message_from_bytes(mail.content, policy=default)
    assert parsed["Subject"] == "【橙色预警】潞城区12345按时办结率低于预警线"
    assert "abc123" in parsed["Message-ID"]
    assert "80.6%" in parsed.get_content()
