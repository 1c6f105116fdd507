"""Calls processed on a Dask cluster: `local:N` (a LocalCluster of N single-threaded worker processes
on this machine) or `tcp://HOST:PORT` (a running scheduler; docs/cluster.md).

Each worker loads the models once, for the settings the driver ships (ModelsPlugin); a unit checks
the sha256 of its input there and returns the Conversation. A worker that dies during a call has the
call tried once more on another worker (the scheduler's allowed-failures), then it is a failed call.
With `run.send_audio: auto` a unit whose path a worker cannot read is sent again with its bytes,
and so are the units submitted after it.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections import Counter, deque
from typing import Callable, Iterator
from urllib.parse import urlsplit

from callscope import __version__
from callscope.config import Settings
from callscope.errors import ClusterError, InputError
from callscope.executors.base import Executor, Outcome
from callscope.executors.units import PathNotShared
from callscope.pipeline.process import CallProcessor

try:
    import dask
    from distributed import Client, KilledWorker, LocalCluster, as_completed, get_worker
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:              # the executor_for caller gets a one-line ClusterError
    raise ClusterError("--cluster needs Dask: pip install 'callscope[cluster]' "
                       "(dask[distributed]==2026.8.0)") from None

PLUGIN = "callscope-models"
ALLOWED_FAILURES = 1         # a call whose worker died is tried once more on another worker
SCHEDULER_CONFIG = {"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}   # docs/cluster.md: `dask scheduler`
CONNECT_SECONDS = 10
# Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_ set, which turns glibc's sliding mmap threshold off:
# every large buffer is then mapped and faulted in anew (+52% CPU on real calls, docs/cluster.md). callscope
# gives the heap back itself (pipeline/heap.py), so local workers start without it.
GLIBC_TRIM = "MALLOC_TRIM_THRESHOLD_"


def _host(address: str) -> str:
    return urlsplit(address).hostname or address


class ModelsPlugin(WorkerPlugin):
    """On each worker: the driver's settings, checked against the worker's callscope, and the models
    loaded on the first call. `jobs_by_host`: worker processes per machine, which share its cores."""

    name = PLUGIN

    def __init__(self, settings: dict, fingerprint: str, version: str, jobs_by_host: dict[str, int]):
        self.settings, self.fingerprint, self.version = settings, fingerprint, version
        self.jobs_by_host = jobs_by_host

    def setup(self, worker) -> None:
        self.jobs = self.jobs_by_host.get(_host(worker.address), 1)
        self.processor: CallProcessor | None = None
        self.lock = threading.Lock()
        self.problem = None
        if self.version != __version__:
            self.problem = f"worker {worker.address} runs callscope {__version__}, the driver {self.version}"
        elif Settings.model_validate(self.settings).fingerprint() != self.fingerprint:
            self.problem = (f"worker {worker.address}: the settings give other outputs there "
                            f"(a taxonomy or examples file differs or is missing)")

    def models(self) -> CallProcessor:
        if self.problem:
            raise ClusterError(self.problem)
        with self.lock:
            if self.processor is None:
                self.processor = CallProcessor(Settings.model_validate(self.settings), self.jobs)
            return self.processor


def _run_on_worker(unit: Callable):
    return unit(get_worker().plugins[PLUGIN].models())


def _connect(cluster: str) -> tuple[Client, LocalCluster | None]:
    """A client of the cluster the setting names (a LocalCluster started here for `local:N`)."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL)   # a call's failure is said once, by the batch
    environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items() if k != GLIBC_TRIM}
    with dask.config.set({**SCHEDULER_CONFIG, "distributed.nanny.pre-spawn-environ": environ}):
        if cluster.startswith("local:"):
            os.environ.pop(GLIBC_TRIM, None)   # a nanny started earlier in this process left it there for workers to inherit
            local = LocalCluster(n_workers=int(cluster.split(":")[1]), threads_per_worker=1, processes=True,
                                 memory_limit=0, dashboard_address=None, silence_logs=logging.CRITICAL)
            return Client(local), local
        try:
            return Client(cluster, timeout=CONNECT_SECONDS), None
        except (OSError, TimeoutError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ClusterError(f"cluster {cluster}: cannot reach the scheduler ({reason})") from None


class DaskExecutor(Executor):
    """Units run on the cluster's workers; results come back to this process (the driver)."""

    def __init__(self, settings: Settings):
        self.send_audio = settings.run.send_audio
        self.client, self.local = _connect(settings.run.cluster)
        self.futures = as_completed()
        self.pending: dict[str, tuple[Callable, object]] = {}     # sent to the cluster, by task key
        self.backlog: deque[tuple[Callable, object]] = deque()    # not sent yet
        try:
            self._set_up(settings)
        except BaseException:
            self.close()
            raise

    def _set_up(self, settings: Settings) -> None:
        """Check the workers can take calls; give each the settings (ModelsPlugin)."""
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"cluster {settings.run.cluster}: no worker ready ({exc})") from None
        hosts = Counter(_host(address) for address in self.client.scheduler_info()["workers"])
        self.client.register_plugin(ModelsPlugin(settings.model_dump(mode="json"), settings.fingerprint(),
                                                 __version__, dict(hosts)))

    def submit(self, unit: Callable, tag: object) -> None:
        self.backlog.append((unit, tag))
        self._send()

    def _send(self) -> None:
        """Send units from the backlog while some worker has none: each worker holds one call at a time,
        so a call is never blamed (allowed-failures) for the death of a worker that was running another."""
        room = max(1, len(self.client.scheduler_info()["workers"])) - len(self.pending)
        while room > 0 and self.backlog:
            unit, tag = self.backlog.popleft()
            if self.send_audio == "always" and unit.data is None:
                unit = unit.with_bytes()
            call_id = getattr(getattr(unit, "item", None), "call_id", "unit")
            future = self.client.submit(_run_on_worker, unit, key=f"{call_id}-{uuid.uuid4().hex[:8]}", pure=False)
            self.pending[future.key] = (unit, tag)
            self.futures.add(future)
            room -= 1

    def results(self) -> Iterator[tuple[object, Outcome]]:
        for future in self.futures:
            unit, tag = self.pending.pop(future.key)
            outcome = self._outcome(future, unit)
            again = isinstance(outcome, PathNotShared) and self.send_audio == "auto" and unit.data is None
            if again:                             # workers do not see this machine's files: send the bytes
                self.send_audio = "always"
                self.backlog.appendleft((unit, tag))
            self._send()
            if not again:
                yield tag, outcome

    def _outcome(self, future, unit: Callable) -> Outcome:
        try:
            return future.result()
        except KilledWorker:
            return InputError(f"{unit.item.path}: a worker died while processing it, {ALLOWED_FAILURES + 1} "
                              f"times (out of memory or killed?)")
        except Exception as exc:  # the unit's own exception, raised again here
            return exc

    def close(self, cancel: bool = False) -> None:
        """Pending calls are released with the client (a `local:N` cluster's workers are stopped)."""
        if cancel:      # messages to workers cut short (Ctrl-C) are not errors worth a traceback
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        self.client.close()
        if self.local is not None:
            self.local.close()
