"""The executor seam without models: `--cluster` values, an unreachable scheduler or no Dask installed give
one line and the documented exit code; a unit refuses an input that is not the one the driver planned.
(Cluster runs that process calls are in test_cluster.py, slow.)"""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from callscope.cli import app
from callscope.config import Settings
from callscope.errors import ClusterError, InputError
from callscope.executors import AudioCall, PathNotShared, executor_for
from callscope.files import sha256_file
from callscope.pipeline.ingest import InputFile
from tests.test_bad_inputs import noise

runner = CliRunner()


def test_a_cluster_that_is_not_local_n_or_an_address_is_refused():
    result = runner.invoke(app, ["run", ".", "--cluster", "local:0"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: load_settings() arguments: run.cluster: Value error, 'local:0' is not local:N "
                                     "(N worker processes here) or tcp://HOST:PORT (a running Dask scheduler)")


def test_an_unreachable_scheduler_is_one_line_and_exit_3(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from callscope.executors import cluster

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    (tmp_path / "in").mkdir()
    noise(tmp_path / "in" / "a.wav", seed=1)
    result = runner.invoke(app, ["run", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                                 "--cluster", "tcp://127.0.0.1:9", "--no-report"])
    assert result.exit_code == 3, result.output
    line = result.stderr.strip().splitlines()[-1]            # after the progress bar
    assert line.startswith("error: cluster tcp://127.0.0.1:9: cannot reach the scheduler (")
    assert result.stderr.count("error") == 1 and not (tmp_path / "out" / "a.json").exists()


def test_without_dask_a_cluster_run_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)      # import distributed -> ImportError
    monkeypatch.delitem(sys.modules, "callscope.executors.cluster", raising=False)
    with pytest.raises(ClusterError, match=r"^--cluster needs Dask: pip install 'callscope\[cluster\]'"):
        executor_for(Settings(run={"cluster": "local:2"}), processor=lambda: None)


def test_a_unit_refuses_a_changed_or_unreadable_input(tmp_path):
    path = noise(tmp_path / "a.wav", seed=1)
    planned = AudioCall(InputFile(path, "a"), sha256_file(path))
    noise(path, seed=2)                                        # changed after the driver hashed it
    for unit in (planned, planned.with_bytes()):
        with pytest.raises(InputError, match=r"a\.wav: changed since the batch checked it \(sha256 differs\)"):
            unit(processor=None)
    path.unlink()
    with pytest.raises(PathNotShared, match=r"a\.wav: not readable on .+ \(No such file or directory\)"):
        planned(processor=None)
