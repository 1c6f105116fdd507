"""The wheel: built from the sources, installed into a fresh virtualenv, and run from outside the repository.

The fresh virtualenv gets the locked dependencies of this one through a .pth line naming its site-packages
(a full install of torch and the models would take many minutes); that line does not run this venv's own
.pth files, so its editable callscope stays out and the wheel's copy is the one that runs (checked).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run(command: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{command}: {done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """A fresh venv with the wheel installed; returns its bin folder and the environment to run it in."""
    base = tmp_path_factory.mktemp("wheel")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HF_HUB_OFFLINE="1", PYTHONNOUSERSITE="1")
    source = base / "source"          # a copy: building in the repository would leave build/ and egg-info there
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    shutil.copytree(ROOT / "callscope", source / "callscope", ignore=shutil.ignore_patterns("__pycache__"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", base / "dist",
         source], base, env)
    (wheel,) = (base / "dist").glob("callscope-*.whl")

    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], base, env)
    run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "--no-index",
         "--quiet", wheel], base, env)
    site = next((venv / "lib").glob("python3.*/site-packages"))
    (site / "locked_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin", env


def test_the_wheel_holds_the_package_data_and_is_what_runs(installed, tmp_path):
    bin_dir, env = installed
    code = ("import callscope, importlib.util, sys; from callscope.config import DEFAULT_CONFIG, DEFAULT_TAXONOMY; "
            "print(callscope.__file__); print(DEFAULT_CONFIG.is_file() and DEFAULT_TAXONOMY.is_file()); "
            "print(any('editable' in type(f).__module__ for f in sys.meta_path))")
    where, data, editable = run([bin_dir / "python", "-c", code], tmp_path, env).stdout.split()
    assert Path(where).is_relative_to(bin_dir.parent) and data == "True" and editable == "False"


def test_the_installed_command_runs_a_call_and_reports_outside_the_repository(installed, tmp_path):
    bin_dir, env = installed
    calls = tmp_path / "calls"
    calls.mkdir()
    shutil.copy(SAMPLES / "lost_card.wav", calls)
    run([bin_dir / "callscope", "run", calls, "--out", "out", "--model", "tiny.en", "--no-report"], tmp_path, env)
    conversation = json.loads((tmp_path / "out" / "lost_card.json").read_text())
    assert [s["role"] for s in conversation["speakers"]] == ["agent", "customer"]
    assert "enrich" in conversation["processing"]["seconds"] and conversation["processing"]["redacted"]
    report = run([bin_dir / "callscope", "report", "--out", "out", "--to", "pages", "--json"], tmp_path, env)
    assert json.loads(report.stdout)["call_pages"] == 1
    assert (tmp_path / "pages" / "index.html").is_file() and (tmp_path / "pages" / "calls").is_dir()
