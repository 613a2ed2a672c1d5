"""E-mail alerts over SMTP, as the original sends them: one HTML mail per recipient.

With ``email_secure`` the connection is upgraded with STARTTLS (the certificate is checked) and,
when a user name is set, the server is logged in to; otherwise the mail goes over plain SMTP
without authentication.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from semaphore.alerts import http
from semaphore.alerts.http import AlertSendError
from semaphore.interfaces import Alert, Notifier

DEFAULT_PORT = 25


def subject_of(alert: Alert) -> str:
    return f"Task '{alert.template_name}' failed"


def body_of(alert: Alert) -> str:
    """The original's two lines, then project, status, author and version."""
    name, url = html.escape(alert.template_name), html.escape(alert.url)
    details = [("Project", alert.project_name), ("Status", alert.result), ("Author", alert.author)]
    if alert.version:
        details.append(("Version", alert.version))
    rows = "".join(f"<li>{label}: {html.escape(value)}</li>" for label, value in details)
    return (f"<p>Task {alert.task_id} with template '{name}' has failed!</p>\n"
            f"<ul>{rows}</ul>\n"
            f"<p>Task Log: <a href=\"{url}\">Link</a></p>\n")


def smtp_address(config: Any) -> tuple[str, int]:
    """``email_host`` may carry the port (``smtp.example.com:587``); else ``email_port``, else 25."""
    host, colon, port = config.email_host.rpartition(":")
    if colon and port.isdigit():
        return host, int(port)
    return config.email_host, int(config.email_port) if config.email_port else DEFAULT_PORT


def _header(value: str) -> str:
    """Header values lose CR and LF, so no header can be smuggled in."""
    return value.replace("\r", "").replace("\n", "")


def build_message(sender: str, recipient: str, subject: str, html_body: str) -> EmailMessage:
    message = EmailMessage()
    message["Date"] = formatdate(usegmt=True)
    message["From"] = _header(sender)
    message["To"] = _header(recipient)
    message["Subject"] = _header(subject)
    message.set_content(html_body, subtype="html", charset="utf-8")
    return message


def send_mails(config: Any, messages: list[EmailMessage]) -> None:
    """Deliver ``messages`` over one SMTP connection."""
    host, port = smtp_address(config)
    with smtplib.SMTP(host, port, timeout=http.TIMEOUT) as smtp:
        if config.email_secure:
            smtp.starttls(context=ssl.create_default_context())
            if config.email_username:
                smtp.login(config.email_username, config.email_password)
        for message in messages:
            smtp.send_message(message)


class EmailNotifier(Notifier):
    """Channel ``email``: errors only, to the opted-in members and admins (``alert.recipients``)."""

    channel = "email"

    def enabled(self, config: Any) -> bool:
        return bool(config.email_alert and config.email_host)

    def accepts(self, alert: Alert, config: Any) -> bool:
        return alert.status == "error" and bool(alert.recipients)

    def send(self, alert: Alert, config: Any) -> None:
        # A retry must not mail again whoever already got it (``extra`` is kept between attempts).
        delivered: list[str] = alert.extra.setdefault("email_delivered", [])
        pending = [address for address in alert.recipients if address not in delivered]
        subject, body = subject_of(alert), body_of(alert)
        try:
            for address in pending:
                send_mails(config, [build_message(config.email_sender, address, subject, body)])
                delivered.append(address)
        except (smtplib.SMTPException, OSError) as exc:
            raise AlertSendError(f"{len(set(pending) - set(delivered))} of {len(alert.recipients)} "
                                 f"mails not sent: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server answered {exc.smtp_code}"
    if isinstance(exc, (TimeoutError, ssl.SSLError, smtplib.SMTPException)):
        return f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__
