"""Dask cluster runs (docs/cluster.md): the same outputs as a local run; a worker killed during a call;
a bad file decoded on a worker. Slow: every cluster starts worker processes that load the models."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from callscope import api
from callscope.errors import InputError
from callscope.files import sha256_file
from callscope.manifest import Manifest
from callscope.pipeline.audio import load_audio
from callscope.store import Store
from tests.conftest import sample_audio, write_wav
from tests.test_bad_inputs import header_only, noise

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

CALLS = ["cancel_threat", "lost_card", "upgrade_purchase"]     # stereo, mono, a short one-voice call
PER_CALL_TABLES = ["conversations", "utterances", "reasons", "aspects", "signals", "metrics"]
NOT_COMPARED = {"run_id", "processed_at", "source_path",       # when and from where the call was processed,
                "topic_id", "repeat_of", "predicted_csat"}     # and figures over the whole corpus


def _per_call(out: Path, call_id: str) -> dict:
    """The call's JSON without `processing` (timings, time) and `source.path`."""
    data = json.loads((out / f"{call_id}.json").read_text())
    data.pop("processing")
    data["source"].pop("path")
    return data


def _stored(out: Path, call_ids: list[str]) -> dict[str, list[tuple]]:
    """Rows of the per-call tables for `call_ids`, sorted, without the columns above."""
    rows = {}
    with Store(out, read_only=True) as store:
        for table in PER_CALL_TABLES:
            columns = [c for (c,) in store.con.execute(f"SELECT column_name FROM information_schema.columns "
                                                       f"WHERE table_name = '{table}' ORDER BY ordinal_position")
                       .fetchall() if c not in NOT_COMPARED]
            rows[table] = sorted(store.con.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE call_id IN ({', '.join('?' * len(call_ids))})",
                call_ids).fetchall(), key=repr)
    return rows


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory, settings) -> Path:
    """The CALLS through `local:2` with the session's settings, reports included."""
    out = tmp_path_factory.mktemp("cluster_run")
    on_cluster = settings.model_copy(deep=True)
    on_cluster.run.cluster = "local:2"
    summary = api.run_batch([sample_audio(c) for c in CALLS], out, on_cluster)
    assert summary.exit_code == 0 and summary.processed == len(CALLS), summary.failures
    return out


def test_a_local_cluster_gives_the_outputs_of_a_local_run(cluster_run, sample_run, tmp_path):
    for call_id in CALLS:
        assert _per_call(cluster_run, call_id) == _per_call(sample_run, call_id), call_id
        for suffix in ("txt", "srt", "vtt", "rttm"):
            assert (cluster_run / f"{call_id}.{suffix}").read_bytes() == (sample_run / f"{call_id}.{suffix}").read_bytes()
    assert _stored(cluster_run, CALLS) == _stored(sample_run, CALLS)
    local_reports = api.build_reports(sample_run, to=tmp_path / "reports")
    for call_id in CALLS:
        page = Path("calls") / f"{call_id}.html"
        assert (cluster_run / "reports" / page).read_text() == (local_reports.out / page).read_text(), call_id


class CrashOn(distributed.WorkerPlugin):
    """Kills the worker process whenever it starts the call `call_id`."""

    def __init__(self, call_id: str):
        self.name = f"crash-{call_id}"
        self.call_id = call_id

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and str(key).startswith(f"{self.call_id}-"):
            os._exit(1)


@pytest.fixture(scope="module")
def crash_run(tmp_path_factory, fast_settings):
    """A batch on a running scheduler (tcp://) whose workers die whenever they start one call (`crash`);
    with a file that fails only when decoded; the bytes are sent to the workers."""
    import dask

    from callscope.executors.cluster import SCHEDULER_CONFIG

    root = tmp_path_factory.mktemp("crash_run")
    inputs = root / "in"
    inputs.mkdir()
    noise(inputs / "crash.wav", seed=1)
    shutil.copy(sample_audio("upgrade_purchase"), inputs / "short_call.ogg")
    header_only(inputs / "header_only.wav")
    noise(inputs / "quiet.wav", seed=2)
    with dask.config.set(SCHEDULER_CONFIG):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, memory_limit=0,
                                           dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        client.register_plugin(CrashOn("crash"))
        on_cluster = fast_settings.model_copy(deep=True)
        on_cluster.enrich.enabled = False        # fewer models to load again in each restarted worker
        on_cluster.run.cluster, on_cluster.run.send_audio = cluster.scheduler_address, "always"
        summary = api.run_batch(inputs, root / "out", on_cluster, reports=False)
    return inputs, root / "out", summary


def test_a_call_that_kills_its_worker_is_tried_again_then_failed_and_the_batch_goes_on(crash_run):
    inputs, out, summary = crash_run
    records = Manifest.load(out).files
    assert {call_id: r.status for call_id, r in records.items()} == {
        "crash": "failed", "short_call": "ok", "quiet": "ok", "header_only": "failed"}
    assert records["crash"].error == (f"{inputs / 'crash.wav'}: a worker died while processing it, 2 times "
                                      f"(out of memory or killed?)")        # tried on two workers
    assert json.loads((out / "short_call.json").read_text())["source"]["path"] == str(inputs / "short_call.ogg")
    assert summary.processed == 2 and summary.exit_code == 1


def test_a_bad_file_on_a_worker_is_reported_like_a_local_one(crash_run):
    inputs, out, _ = crash_run
    bad = inputs / "header_only.wav"
    with pytest.raises(InputError) as local:
        load_audio(bad, sha256_file(bad))
    assert Manifest.load(out).files["header_only"].error == str(local.value)
    assert str(bad) in str(local.value)


def test_local_workers_keep_glibcs_sliding_mmap_threshold():
    """Dask's nanny would start them with MALLOC_TRIM_THRESHOLD_ set (+52% CPU on real calls)."""
    from callscope.executors import cluster

    client, local = cluster._connect("local:1")
    try:
        assert list(client.run(lambda: os.environ.get(cluster.GLIBC_TRIM)).values()) == [None]
        assert list(client.run(lambda: os.environ.get("OMP_NUM_THREADS")).values()) == ["1"]
    finally:
        client.close()
        local.close()
