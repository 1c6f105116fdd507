"""E-mail: .eml files and .mbox archives, threaded by Message-ID / In-Reply-To / References.

Each message's own words are kept (mailtext.py: quotes, signature, disclaimer removed; HTML-only mail
turned into text); attachments are not read, their file names are listed on the thread. The sender's
side comes from the From address: a domain in channels.company_domains (or a subdomain of one) is the
agent, any other the customer. A message that cannot be read is a Problem naming the file (and, in
an mbox, the message number and its line); the others are read.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from callscope.channels.mailtext import html_to_text, own_words
from callscope.channels.source import in_time_order, instant
from callscope.channels.thread import Message, Problem, Reading, Thread
from callscope.config import ChannelSettings
from callscope.files import decode_text

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|tr|aw|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class Mail:
    """One e-mail as read from its file, before threading."""

    path: Path
    message_id: str
    refers_to: tuple[str, ...]       # In-Reply-To and References ids
    sender: str                      # the From address, lower case
    sender_name: str
    subject: str
    text: str
    sent_at: datetime | None
    attachments: tuple[str, ...]
    line: int | None                 # the mbox "From " line
    warnings: tuple[str, ...] = ()


def read_emails(paths: list[Path], settings: ChannelSettings) -> Reading:
    """The threads of all messages in `paths` (.eml files and mbox archives), threaded across files."""
    mails, problems = [], []
    for path in paths:
        found, failed = read_mail_file(path)
        mails += found
        problems += failed
    return Reading(thread_emails(mails, settings), problems)


def read_mail_file(path: Path) -> tuple[list[Mail], list[Problem]]:
    """The messages of one .eml file or mbox archive (an mbox starts with a "From " line)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Problem(path, f"cannot read ({exc.strerror or exc})")]
    mails, problems = [], []
    chunks = mbox_messages(data) if data.startswith(b"From ") else [(None, data)]
    for number, (line, raw) in enumerate(chunks, 1):
        where = f"message {number}: " if line is not None else ""
        try:
            mail = parse_mail(path, raw, line)
        except Exception as exc:    # the stdlib email package raises many kinds on malformed input
            mail = f"cannot be parsed ({type(exc).__name__}: {exc})"
        if isinstance(mail, str):
            problems.append(Problem(path, where + mail, line))
        else:
            mails.append(mail)
    return mails, problems


def mbox_messages(data: bytes) -> list[tuple[int, bytes]]:
    """(line of its "From " separator, message bytes) for each message of an mbox: a separator is a line
    starting with "From " at the start of the file or after a blank line; ">From " lines are unquoted."""
    messages, start, current = [], None, []
    previous_blank = True
    for number, line in enumerate(data.splitlines(keepends=True), 1):
        if line.startswith(b"From ") and previous_blank:
            if start is not None:
                messages.append((start, b"".join(current)))
            start, current = number, []
        else:
            current.append(line[1:] if re.match(rb">+From ", line) else line)
        previous_blank = not line.strip()
    if start is not None:
        messages.append((start, b"".join(current)))
    return messages


def parse_mail(path: Path, raw: bytes, line: int | None) -> Mail | str:
    """One message, or why it is not one. A message without Message-ID gets `<sha256 of its bytes>@callscope>`."""
    message = email.message_from_bytes(raw, policy=policy.default)
    if message.get("From") is None:
        return "not an e-mail message (no From header)"
    addresses = getaddresses([str(message.get("From"))])
    name, address = addresses[0] if addresses else ("", "")
    if "@" not in address:
        return f"From: {message.get('From')} holds no e-mail address"
    ids = _MESSAGE_ID.findall(str(message.get("Message-ID") or ""))
    refers = _MESSAGE_ID.findall(f"{message.get('References') or ''} {message.get('In-Reply-To') or ''}")
    warnings = []
    sent_at = None
    if message.get("Date") is not None:
        sent_at = getattr(message.get("Date"), "datetime", None)
        if sent_at is None:
            warnings.append(f"{path}: Date {str(message.get('Date'))!r} is not a date")
    text, problem = _body_text(message)
    if problem:
        warnings.append(f"{path}: {problem}")
    attachments = tuple(part.get_filename() for part in message.walk()
                        if part.get_filename() and part.get_content_maintype() != "multipart")
    message_id = ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()[:24]}@callscope>"
    return Mail(path, message_id, tuple(dict.fromkeys(refers)), address.lower(), name,
                str(message.get("Subject") or "").strip(), text, sent_at, attachments, line, tuple(warnings))


def _body_text(message: EmailMessage) -> tuple[str, str | None]:
    """(the sender's own words, a problem met decoding them)."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "", None
    payload = body.get_payload(decode=True) or b""
    charset, problem = body.get_content_charset(), None
    try:
        text = payload.decode(charset) if charset else decode_text(payload)
    except (LookupError, UnicodeError):
        try:
            text = decode_text(payload)
        except UnicodeError:
            text = payload.decode("utf-8", errors="replace")
        problem = f"body not in its declared charset {charset!r}" if charset else "body neither UTF-8 nor Windows-1252"
    if body.get_content_subtype() == "html":
        text = html_to_text(text)
    return own_words(text), problem


def thread_emails(mails: list[Mail], settings: ChannelSettings) -> list[Thread]:
    """Threads of messages linked by Message-ID, In-Reply-To and References (a missing root still links
    its replies), ordered by first message; key: the Message-ID of the thread's earliest message. A copy
    of a message already seen (same Message-ID) is dropped with a warning."""
    unique, copies = {}, {}
    for mail in mails:
        if mail.message_id in unique:
            copies[mail.message_id] = copies.get(mail.message_id, 0) + 1
        else:
            unique[mail.message_id] = mail
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent.get(item, item) != item:
            parent[item] = parent.get(parent[item], parent[item])
            item = parent[item]
        return item

    for mail in unique.values():
        for other in mail.refers_to:
            parent[root(other)] = root(mail.message_id)
    groups: dict[str, list[Mail]] = {}
    for mail in unique.values():
        groups.setdefault(root(mail.message_id), []).append(mail)
    threads = [_thread(group, copies, settings) for group in groups.values()]
    return sorted(threads, key=lambda t: (t.started_at is None, t.started_at and instant(t.started_at)))


def _thread(mails: list[Mail], copies: dict[str, int], settings: ChannelSettings) -> Thread:
    ordered = sorted(mails, key=lambda m: (m.sent_at is None, m.sent_at and instant(m.sent_at)))
    first = ordered[0]
    subject = _REPLY_PREFIX.sub("", first.subject)
    warnings = [w for mail in ordered for w in mail.warnings]
    warnings += [f"{mail.path}: {mail.message_id}: {copies[mail.message_id]} more copy(ies) ignored"
                 for mail in ordered if mail.message_id in copies]
    messages = []
    for index, mail in enumerate(ordered):
        text = "\n\n".join(part for part in (subject if index == 0 else "", mail.text) if part)
        if not text:
            warnings.append(f"{mail.path}: {mail.message_id}: no text")
            continue
        messages.append(Message(_side(mail.sender, settings), text, mail.sender_name or mail.sender, mail.sent_at,
                                line=mail.line))
    started_at, messages = in_time_order(messages)
    customer = next((m.sender for m in ordered if _side(m.sender, settings) == "customer"), None)
    agent = next((m.sender_name or m.sender for m in ordered if _side(m.sender, settings) == "agent"), None)
    if not messages:
        warnings.append(f"{first.path}: thread {first.message_id} has no messages")
    return Thread(first.path, first.message_id, "email", messages, customer, agent, started_at or first.sent_at,
                  tuple(dict.fromkeys(name for mail in ordered for name in mail.attachments)),
                  warnings=tuple(warnings), line=first.line)


def _side(address: str, settings: ChannelSettings) -> str:
    domain = address.rpartition("@")[2]
    return "agent" if any(domain == d or domain.endswith("." + d) for d in settings.company_domains) else "customer"
