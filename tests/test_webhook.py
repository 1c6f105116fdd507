"""Webhook faults against local servers on 127.0.0.1: a non-HTTP answer, a trickling answer, a redirect
to another origin, 429 with Retry-After, TLS, and secrets kept out of deliveries.jsonl."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from callscope.config import Settings, WebhookSettings, load_settings
from callscope.errors import ConfigError
from callscope.reports import build_reports
from callscope.reports.webhook import deliver, delivered_ids, deliver_one, public_url
from tests.test_actions import Receiver, actions, serving, store  # noqa: F401 (fixtures)

SERVER_LIFETIME = 20.0      # every raw server stops by itself after this many seconds


@contextmanager
def raw_server(answer):
    """A TCP server on 127.0.0.1 calling `answer(connection)` per client; stops on exit or after SERVER_LIFETIME."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    started = time.monotonic()

    def serve():
        while not stop.is_set() and time.monotonic() - started < SERVER_LIFETIME:
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            with connection:
                try:
                    answer(connection, stop)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def read_request(connection: socket.socket) -> bytes:
    connection.settimeout(2)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_a_non_http_answer_fails_the_delivery_and_the_reports_are_still_written(tmp_path: Path, store):
    def ssh_banner(connection, stop):
        read_request(connection)
        connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n")

    settings, warnings = Settings(), []
    with raw_server(ssh_banner) as url:
        settings.actions.webhook = WebhookSettings(url=url, retries=1, backoff_seconds=0, deadline_seconds=10)
        written = build_reports(store, tmp_path, settings, on_warning=warnings.append)
    assert (tmp_path / "engage.html") in written.pages and (tmp_path / "index.html").is_file()
    entries = [json.loads(line) for line in (tmp_path / "deliveries.jsonl").read_text().splitlines()]
    assert len(entries) > 3 and all(e["status"] == "failed" and e["http_status"] is None for e in entries)
    assert all("not an HTTP answer" in e["error"] and e["attempts"] == 2 for e in entries[:3])
    assert all(e["error"].startswith("not sent") and e["attempts"] == 0 for e in entries[3:])   # gave up
    assert len(warnings) == 1 and "\n" not in warnings[0] and f"{len(entries)} of {len(entries)}" in warnings[0]


@pytest.mark.parametrize("at_once", [b"", b"HTTP/1.1 200 OK\r\n"], ids=["whole answer", "headers"])
def test_a_trickling_answer_is_cut_at_the_deadline(actions, at_once: bytes):
    def one_byte_a_second(connection, stop):
        read_request(connection)
        connection.sendall(at_once)
        for byte in b"HTTP/1.1 200 OK\r\nX-Padding: 0123456789\r\nContent-Length: 0\r\n\r\n"[len(at_once):]:
            if stop.wait(1.0):
                return
            connection.sendall(bytes([byte]))

    with raw_server(one_byte_a_second) as url:
        hook = WebhookSettings(url=url, timeout_seconds=2, deadline_seconds=2.5, retries=3, backoff_seconds=0)
        started = time.monotonic()
        outcome = deliver_one(url, b"{}", {}, hook)
        elapsed = time.monotonic() - started
    assert not outcome.ok and outcome.status is None
    assert "deadline" in outcome.error
    assert 2.0 <= elapsed < 4.0                     # per-read timeouts alone would wait about 40 s


class Redirecting(Receiver):
    """Answers every POST with a redirect to `location`, recording the headers it was sent."""

    def __init__(self, location: str, status: int = 302):
        super().__init__()
        self.location, self.redirect_status, self.headers = location, status, []

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.headers.append(dict(self.headers))
                self.send_response(receiver.redirect_status)
                self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                pass

        return Handler


def test_a_redirect_to_another_origin_is_not_followed_nor_recorded_as_delivered(tmp_path: Path, actions):
    elsewhere = Receiver()
    record = tmp_path / "deliveries.jsonl"
    with serving(elsewhere) as other:
        redirecting = Redirecting(f"{other}?token=stolen")
        with serving(redirecting) as url:
            summary = deliver(actions[:2], WebhookSettings(url=url, headers={"X-Team": "north"}), record)
    assert summary.failed == 2 and summary.attempts == 2 and not delivered_ids(record)
    assert not elsewhere.attempts and len(redirecting.headers) == 2
    text = record.read_text()
    assert "stolen" not in text
    entry = json.loads(text.splitlines()[0])
    assert entry["http_status"] == 302 and "not followed" in entry["error"]


def test_429_waits_as_retry_after_says_within_the_deadline(actions):
    answers = iter([(429, "1"), (200, None)])

    def answer(connection, stop):
        read_request(connection)
        status, after = next(answers)
        extra = f"Retry-After: {after}\r\n" if after else ""
        connection.sendall(f"HTTP/1.1 {status} X\r\n{extra}Content-Length: 0\r\n\r\n".encode())

    waits = []
    with raw_server(answer) as url:
        outcome = deliver_one(url, b"{}", {}, WebhookSettings(url=url, backoff_seconds=5), sleep=waits.append)
    assert outcome.ok and outcome.attempts == 2 and waits == [1.0]


def test_a_retry_after_beyond_the_deadline_gives_up_at_once(actions):
    calls = []

    def answer(connection, stop):
        calls.append(read_request(connection))
        connection.sendall(b"HTTP/1.1 503 Busy\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n")

    waits = []
    with raw_server(answer) as url:
        outcome = deliver_one(url, b"{}", {}, WebhookSettings(url=url, deadline_seconds=30), sleep=waits.append)
    assert not outcome.ok and outcome.status == 503 and outcome.attempts == 1 and not waits
    assert "120 s" in outcome.error and "deadline" in outcome.error and len(calls) == 1


def test_5xx_then_success_is_retried_with_jittered_backoff(actions):
    receiver, waits = Receiver(fail_first=3), []
    with serving(receiver) as url:
        outcome = deliver_one(url, b"{}", {"Idempotency-Key": "k"}, WebhookSettings(url=url, backoff_seconds=0.5),
                              sleep=waits.append)
    assert outcome.ok and outcome.attempts == 4 and len(receiver.delivered) == 1
    assert waits[0] == 0                                           # urllib3: the first retry at once
    assert 1.0 <= waits[1] < 1.5 and 2.0 <= waits[2] < 2.5         # then 0.5 x 2^n plus up to 0.5 of jitter


@pytest.mark.parametrize("webhook", [
    "url: http://crm.example.com/hook\n    headers: {Authorization: Bearer abc}",
    "url: http://crm.example.com/hook\n    headers: {X-Api-Key: abc}",
    "url: http://me:secret@crm.example.com/hook",
    "url: http://crm.example.com/hook?token=abc",
])
def test_credentials_over_plain_http_are_a_one_line_config_error(tmp_path: Path, webhook: str):
    path = tmp_path / "my.yaml"
    path.write_text(f"actions:\n  webhook:\n    {webhook}\n")
    with pytest.raises(ConfigError, match=r"my.yaml: actions.webhook: .*https is required") as error:
        load_settings(path)
    assert "\n" not in str(error.value) and "abc" not in str(error.value) and "secret" not in str(error.value)


def test_plain_http_without_credentials_is_accepted():
    assert WebhookSettings(url="http://127.0.0.1:9/hook", headers={"X-Team": "north"}).url


def test_recorded_urls_carry_no_secrets():
    assert public_url("https://me:pw@crm.example.com:8443/hooks/cs?token=abc&team=n#x") == \
        "https://crm.example.com:8443/hooks/cs?token=REDACTED&team=REDACTED"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a test certificate (and no cryptography package)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class Seeing(Receiver):
    """A Receiver that also keeps the Authorization header of each POST."""

    def __init__(self):
        super().__init__()
        self.authorizations = []

    def handler(self):
        base, receiver = super().handler(), self

        class Handler(base):
            def do_POST(self):
                receiver.authorizations.append(self.headers.get("Authorization"))
                super().do_POST()

        return Handler


def test_tls_delivers_with_a_trusted_certificate_and_keeps_secrets_off_disk(tmp_path: Path, actions, certificate,
                                                                             monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    receiver = Seeing()
    record = tmp_path / "deliveries.jsonl"
    with serving(receiver, certificate) as url:
        secret_url = url.replace("https://", "https://me:pw123@") + "?token=tok456"
        hook = WebhookSettings(url=secret_url, headers={"X-Api-Key": "key789"}, deadline_seconds=10)
        summary = deliver(actions[:3], hook, record)
    assert summary.delivered == 3 and len(receiver.delivered) == 3
    assert all(a and a.startswith("Basic ") for a in receiver.authorizations)     # user:pass@ sent as basic auth
    text = record.read_text()
    assert not any(secret in text for secret in ("pw123", "tok456", "key789", "me:"))
    assert json.loads(text.splitlines()[0])["url"] == url + "?token=REDACTED"


def test_tls_with_an_untrusted_certificate_fails_without_sending(tmp_path: Path, actions, certificate, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    receiver = Seeing()
    with serving(receiver, certificate) as url:
        hook = WebhookSettings(url=url, headers={"Authorization": "Bearer t0k"}, retries=1, backoff_seconds=0)
        summary = deliver(actions[:1], hook, tmp_path / "deliveries.jsonl")
    assert summary.failed == 1 and not receiver.authorizations
    assert "TLS error" in summary.last_error and "t0k" not in (tmp_path / "deliveries.jsonl").read_text()


def test_a_redirect_over_tls_never_carries_the_token_elsewhere(tmp_path: Path, actions, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    elsewhere = Seeing()
    with serving(elsewhere) as other:
        redirecting = Redirecting(other, status=307)
        with serving(redirecting, certificate) as url:
            hook = WebhookSettings(url=url, headers={"Authorization": "Bearer t0k"})
            summary = deliver(actions[:1], hook, tmp_path / "deliveries.jsonl")
    assert summary.failed == 1 and not elsewhere.attempts and not elsewhere.authorizations
    assert redirecting.headers[0]["Authorization"] == "Bearer t0k"


@pytest.mark.parametrize("headers", [{"X-Team": "north\r\nX-Evil: 1"}, {"Bad Name": "x"}, {"X-Team": "nörth€"}])
def test_headers_that_cannot_be_sent_are_a_config_error(headers):
    with pytest.raises(ValueError, match="header"):
        WebhookSettings(url="https://crm.example.com/hook", headers=headers)
