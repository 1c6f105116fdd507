"""PLACEHOLDER (branch textproc), to be replaced by the readers of branch textin: reads conversation
JSONL, one conversation a line: {"id", "customer_id"?, "agent"?, "turns": [{"role", "text", "time"?,
"author"?}]}; a line that is not that shape is a Problem naming the line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from callscope.channels.thread import Message, Problem, Reading, Thread


def read_text_input(path: Path, settings: object = None) -> Reading:
    """The threads of one conversation JSONL file and the problems met (`settings`: unused here)."""
    path, reading = Path(path), Reading()
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            messages = tuple(Message(role=t["role"], text=t["text"], author=t.get("author") or "",
                                     sent_at=datetime.fromisoformat(t["time"]) if t.get("time") else None,
                                     line=number) for t in row["turns"])
            reading.threads.append(Thread(path=path, key=str(row["id"]), channel="chat", messages=messages,
                                          customer_id=row.get("customer_id"), agent=row.get("agent"), line=number))
        except (ValueError, KeyError, TypeError) as exc:
            reading.problems.append(Problem(path, f"not a conversation ({type(exc).__name__}: {exc})", number))
    return reading
