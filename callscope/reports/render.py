"""Jinja environment of the reports: autoescaping everywhere, number formats, call links.

Pages carry a Content-Security-Policy that forbids every request and allows only the
report's own inline script (by hash), so even a mistake elsewhere cannot load or run
anything.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

SCRIPT_TEMPLATE = "table_filter.js"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def call_file(call_id: str) -> str:
    """File name of a call's (or a customer's) page: the id when it is filename-safe, else a safe form plus a hash."""
    safe = _UNSAFE.sub("_", call_id)[:80]
    if safe != call_id or safe.startswith("."):
        safe = f"{safe.lstrip('.')}-{hashlib.sha256(call_id.encode()).hexdigest()[:8]}"
    return f"{safe}.html"


def call_href(call_id: str, utterance: int | None = None, root: str = "") -> str:
    """Relative link to a call page (from the report folder; `root` '../' from calls/)."""
    anchor = f"#u{utterance}" if utterance is not None else ""
    return f"{root}calls/{quote(call_file(call_id))}{anchor}"


def journey_href(customer_id: str, root: str = "") -> str:
    """Relative link to a customer's journey page (journeys/<id>.html; the id is hashed unless --keep-pii)."""
    return f"{root}journeys/{quote(call_file(customer_id))}"


def num(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def signed_pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.0f}%"


def signed(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:+.{digits}f}"


def clock(seconds: float | None) -> str:
    """12:34 or 1:02:03."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


CONVERSATION_WORDS = {"voice": "Call", "chat": "Chat", "email": "E-mail", "survey": "Survey response"}


def conversation_word(channel: str | None) -> str:
    """What a conversation of a channel is called on a page: Call, Chat, E-mail, Survey response."""
    return CONVERSATION_WORDS.get(channel or "voice", "Conversation")


def label(identifier: str | None) -> str:
    """parcel_late -> Parcel late."""
    if not identifier:
        return "–"
    text = identifier.replace("_", " ")
    return text[:1].upper() + text[1:]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("callscope.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, pct=pct, signed_pct=signed_pct, signed=signed, clock=clock, label=label,
                       conversation_word=conversation_word)
    env.globals.update(call_href=call_href, journey_href=journey_href)
    script = env.loader.get_source(env, SCRIPT_TEMPLATE)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    env.globals.update(table_filter=Markup(script), script_hash=f"sha256-{digest}")
    return env


def render(template: str, **context) -> str:
    """One page from templates/<template> with the given context."""
    return environment().get_template(template).render(**context)
