"""A group chat robot as a second channel: WeCom (企业微信) and DingTalk (钉钉) group robots
take a POST of JSON to their webhook URL, a Markdown message, and answer {"errcode": 0}.
The text is the mail's plain text: names from data are not Markdown there either (a
bracket or star in a hall name is escaped)."""

from __future__ import annotations

import json
import re
import urllib.request

_MD = re.compile(r"([\\`*_\[\]<>#])")


def _plain(text: str) -> str:
    return _MD.sub(r"\\\1", text)


def payload(channel: str, subject: str, lines: list[str], link: str) -> dict:
    body = "\n\n".join([f"**{_plain(subject)}**", *(_plain(x) for x in lines), link])
    if channel == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": body}}
    if channel == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": subject, "text": body}}
    raise ValueError(f"no webhook channel {channel!r}")


def post(url: str, message: dict, timeout: float = 20) -> None:
    """POST the message; raises on a refused answer (HTTP error or an errcode other than 0)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(message, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        reply = json.loads(answer.read() or b"{}")
    if reply.get("errcode", 0) != 0:
        raise RuntimeError(f"the robot refused the message: {reply}")
