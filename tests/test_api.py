"""The library API: docs/api.md's examples run as written, and the cheap contracts around them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import callscope
from callscope.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
API_DOC = ROOT / "docs" / "api.md"


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", markdown, flags=re.S | re.M)


@pytest.mark.slow
def test_the_documented_examples_run(tmp_path, monkeypatch, capsys):
    blocks = python_blocks(API_DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 6
    for folder in ("sample_audio", "sample_text"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"docs/api.md, python block {number}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "lost_card" in printed and "emails.mbox: holds 2 conversations" in printed


def test_every_exported_name_resolves():
    for name in callscope.__all__:
        assert getattr(callscope, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'analyze'"):
        callscope.analyze   # noqa: B018


def test_importing_callscope_loads_no_model_library():
    heavy = ["torch", "faster_whisper", "ctranslate2", "pyannote.audio", "sentence_transformers", "rich"]
    code = f"import sys, callscope; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_analyse_names_a_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"^.*absent\[1\]\.wav: no such file \(analyse takes"):
        callscope.analyse(tmp_path / "absent[1].wav")


def test_core_modules_do_not_use_rich():
    users = [str(p.relative_to(ROOT)) for p in (ROOT / "callscope").rglob("*.py")
             if "cli" not in p.relative_to(ROOT / "callscope").parts
             and re.search(r"^\s*(from|import) rich\b", p.read_text(encoding="utf-8"), flags=re.M)]
    assert users == []
