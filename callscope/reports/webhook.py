"""Deliver actions to a CRM webhook: one JSON POST per action, each outcome in deliveries.jsonl.

Transport and retry policy are urllib3's (a connection per attempt, `Retry` for which answers
are retried, Retry-After and backoff with jitter). Around them: a total deadline per action
(every attempt and wait; a watchdog shuts the socket of an answer still trickling in at the
deadline), redirects never followed, and the record holds the URL without its secrets
(`user:pass@`, query values). After GIVE_UP_AFTER actions in a row without any HTTP answer the
others are recorded as not sent, so a dead endpoint costs minutes, not one deadline per action.
An action recorded as delivered is never POSTed again.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError, InvalidHeader, MaxRetryError, SSLError
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry, make_headers

from callscope import __version__
from callscope.config import WebhookSettings
from callscope.reports.actions import Action

DELIVERIES_FILE = "deliveries.jsonl"
RETRIED_STATUSES = frozenset([429, *range(500, 600)])
REDACTED = "REDACTED"
TRANSPORT_ERRORS = (OSError, http.client.HTTPException, HTTPError)
GIVE_UP_AFTER = 3       # actions in a row without any HTTP answer, after which the rest wait for the next run


@dataclass
class DeliverySummary:
    """What one `deliver` call did."""

    delivered: int = 0
    failed: int = 0
    already_delivered: int = 0
    attempts: int = 0
    last_error: str | None = None

    def warning(self) -> str | None:
        """One line for the console when some actions were not delivered, else None."""
        if not self.failed:
            return None
        return (f"webhook: {self.failed} of {self.failed + self.delivered} actions not delivered "
                f"(last: {self.last_error}); retried on the next run, see {DELIVERIES_FILE}")


@dataclass
class Outcome:
    """One action's delivery: the last HTTP status (None without an answer) and why it failed."""

    status: int | None
    error: str | None
    attempts: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def public_url(url: str) -> str:
    """`url` as it may be written down: no `user:pass@`, query values replaced, no fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    query = urlencode([(key, REDACTED) for key, _ in parse_qsl(parts.query, keep_blank_values=True)])
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def delivered_ids(record: Path) -> set[str]:
    """Ids of the actions the record says were delivered (unreadable lines are ignored)."""
    done = set()
    if record.exists():
        for line in record.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a killed run
            if isinstance(entry, dict) and entry.get("status") == "delivered":
                done.add(entry.get("action_id"))
    return done


def _append(record: Path, entry: dict) -> None:
    with open(record, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


class _Endpoint:
    """Where and how to POST: host, port, request target, TLS, and basic auth from `user:pass@`."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname or "", parts.port
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.auth = make_headers(basic_auth=f"{parts.username or ''}:{parts.password or ''}") \
            if parts.username or parts.password else {}

    def connection(self, timeout: float) -> HTTPConnection:
        kind = HTTPSConnection if self.https else HTTPConnection
        return kind(self.host, self.port, timeout=timeout)


def _shut(connection: HTTPConnection, fired: threading.Event) -> None:
    """Close the socket under a blocked read so the reading thread returns (the deadline watchdog)."""
    fired.set()
    sock = connection.sock
    if sock is not None:
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)   # the plain socket's, also under TLS
        except OSError:
            pass


def _post(endpoint: _Endpoint, body: bytes, headers: dict[str, str], timeout: float,
          remaining: float) -> BaseHTTPResponse:
    """One POST; its status line and headers must arrive within `remaining` seconds (else TimeoutError:
    an answer cut short, whose headers http.client would take as complete, never counts)."""
    connection, fired = endpoint.connection(timeout), threading.Event()
    watchdog = threading.Timer(remaining, _shut, [connection, fired])
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", endpoint.target, body=body, headers=headers, preload_content=False)
        response = connection.getresponse()
    finally:
        watchdog.cancel()
        connection.close()
    if fired.is_set():
        raise TimeoutError("cut at the deadline")
    return response


def _reason(exc: BaseException) -> str:
    """A short description of a transport error (urllib3 names host and port, never the URL)."""
    text = " ".join(str(exc).split())[:200] or type(exc).__name__
    if isinstance(exc, (SSLError, ssl.SSLError)):
        return f"TLS error: {text}"
    if isinstance(exc, http.client.HTTPException) and not isinstance(exc, http.client.RemoteDisconnected):
        return f"not an HTTP answer ({type(exc).__name__}: {text})"
    return text


def _retry(webhook: WebhookSettings) -> Retry:
    return Retry(total=webhook.retries, redirect=0, status_forcelist=RETRIED_STATUSES, allowed_methods=None,
                 backoff_factor=webhook.backoff_seconds, backoff_jitter=webhook.backoff_seconds,
                 respect_retry_after_header=True, raise_on_redirect=False, raise_on_status=False)


def _wait(retry: Retry, response: BaseHTTPResponse | None) -> float:
    """Seconds before the next attempt: the answer's Retry-After when it has a valid one, else backoff."""
    if response is not None:
        try:
            after = retry.get_retry_after(response)
        except InvalidHeader:
            after = None
        if after is not None:
            return after
    return retry.get_backoff_time()


def deliver_one(url: str, body: bytes, headers: dict[str, str], webhook: WebhookSettings,
                sleep: Callable[[float], None] = time.sleep,
                clock: Callable[[], float] = time.monotonic) -> Outcome:
    """POST `body` until a 2xx, an answer not worth retrying, the retries or the deadline run out."""
    endpoint = _Endpoint(url)
    headers = {**headers, **endpoint.auth}
    deadline = clock() + webhook.deadline_seconds
    retry, attempts = _retry(webhook), 0
    late = f"no answer within the {webhook.deadline_seconds:g} s deadline"
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return Outcome(None, late, attempts)
        attempts += 1
        response = None
        try:
            response = _post(endpoint, body, headers, min(webhook.timeout_seconds, remaining), remaining)
        except TRANSPORT_ERRORS as exc:
            status, error = None, _reason(exc)
            if clock() >= deadline:
                return Outcome(None, late, attempts)
            try:
                retry = retry.increment("POST", public_url(url), error=exc)
            except MaxRetryError:
                return Outcome(status, error, attempts)
        else:
            status, error = response.status, f"HTTP {response.status}"
            if 200 <= status < 300:
                return Outcome(status, None, attempts)
            if 300 <= status < 400:
                location = response.headers.get("Location")
                target = f" to {public_url(location)}" if location and "://" in location else ""
                return Outcome(status, f"HTTP {status} redirect{target} not followed", attempts)
            if not retry.is_retry("POST", status, "Retry-After" in response.headers):
                return Outcome(status, error, attempts)
            try:
                retry = retry.increment("POST", public_url(url), response=response)
            except MaxRetryError:
                return Outcome(status, error, attempts)
        wait = _wait(retry, response)
        if clock() + wait >= deadline:
            return Outcome(status, f"{error}; the next attempt (in {wait:g} s) would pass the "
                                   f"{webhook.deadline_seconds:g} s deadline", attempts)
        sleep(wait)


def deliver(actions: list[Action], webhook: WebhookSettings, record: Path,
            sleep: Callable[[float], None] = time.sleep) -> DeliverySummary:
    """POST every action not yet delivered to `webhook.url`, recording each outcome in `record`."""
    summary = DeliverySummary()
    if not webhook.url:
        return summary
    recorded_url = public_url(webhook.url)
    done = delivered_ids(record)
    silent = 0          # actions in a row that got no HTTP answer at all
    for item in actions:
        if item.action_id in done:
            summary.already_delivered += 1
            continue
        body = json.dumps(asdict(item), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": f"callscope/{__version__}",
                   "Idempotency-Key": item.action_id, **webhook.headers}
        if silent >= GIVE_UP_AFTER:
            outcome = Outcome(None, f"not sent: no answer to the {GIVE_UP_AFTER} actions before", 0)
        else:
            outcome = deliver_one(webhook.url, body, headers, webhook, sleep)
            silent = silent + 1 if outcome.status is None else 0
        summary.attempts += outcome.attempts
        summary.delivered += outcome.ok
        summary.failed += not outcome.ok
        if outcome.attempts and outcome.error:
            summary.last_error = outcome.error
        _append(record, {"action_id": item.action_id, "action": item.action, "call_id": item.call_id,
                         "status": "delivered" if outcome.ok else "failed", "http_status": outcome.status,
                         "attempts": outcome.attempts, "error": outcome.error, "url": recorded_url,
                         "at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        if outcome.ok:
            done.add(item.action_id)
    return summary
