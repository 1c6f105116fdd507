"""Ids that are personal data: call ids made from file names may hold the caller's number or name (hash
them when they do); customer ids always are (reports show them hashed)."""

from __future__ import annotations

import hashlib
import re

from callscope.pii.words import WORDLIKE_FIRST_NAMES, first_names

_PHONE_LENGTH = re.compile(r"\+?\d(?:[\s._()-]?\d){6,}")  # 7 or more digits, separators allowed
_PARTS = re.compile(r"[^\W\d_]+")
_TIMESTAMP = re.compile(r"(?:19|20)\d\d[-._]?[01]\d[-._]?[0-3]\d(?:[-._ T]?[0-2]\d[-._:]?[0-5]\d(?:[-._:]?[0-5]\d)?)?")


def holds_pii(call_id: str) -> bool:
    """Whether `call_id` holds a run of 7 or more digits that is no date or time ("call_07700900123";
    "20240501-143210" is not one), or a known first name that is no ordinary word ("jane-smith-complaint")."""
    runs = [m.group() for m in _PHONE_LENGTH.finditer(call_id)]
    if any(len(re.sub(r"\D", "", run)) >= 7 and not _is_timestamp(run) for run in runs):
        return True
    return any(part.lower() in first_names() and part.lower() not in WORDLIKE_FIRST_NAMES
               for part in _PARTS.findall(call_id))


def _is_timestamp(digits: str) -> bool:
    """A date or date-time written with separators: 2024-05-01, 20240501_143210, 2024.05.01."""
    return bool(_TIMESTAMP.fullmatch(digits))


def _hashed(prefix: str, value: str) -> str:
    return prefix + hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def private_call_id(call_id: str) -> str:
    """`call_id` itself, or `call-` and 12 hex digits of its SHA-256 when it holds personal data."""
    return _hashed("call-", call_id) if holds_pii(call_id) else call_id


def private_customer_id(customer_id: str | None) -> str | None:
    """`customer-` and 12 hex digits of the id's SHA-256: the same customer always gets the same one."""
    return None if customer_id is None else _hashed("customer-", customer_id)
