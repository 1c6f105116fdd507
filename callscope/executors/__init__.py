"""Where calls are processed: worker threads of this process (`run.jobs`) or the worker processes of a
Dask cluster (`run.cluster`, docs/cluster.md).

The batch runner submits units of work (units.py) and takes each result as it finishes; it stays the
only writer of outputs, manifest and store, whichever executor ran the call.
"""

from __future__ import annotations

from typing import Callable

from callscope.config import Settings
from callscope.executors.base import Executor, Outcome
from callscope.executors.units import AudioCall, PathNotShared
from callscope.pipeline.process import CallProcessor

__all__ = ["AudioCall", "Executor", "Outcome", "PathNotShared", "executor_for"]


def executor_for(settings: Settings, processor: Callable[[], CallProcessor]) -> Executor:
    """Threads sharing `processor()` (loaded here), or a Dask cluster when `settings.run.cluster` is set
    (its workers load their own models); raises ClusterError when the cluster cannot be used."""
    if settings.run.cluster:
        from callscope.executors.cluster import DaskExecutor

        return DaskExecutor(settings)
    from callscope.executors.threads import ThreadExecutor

    return ThreadExecutor(processor(), settings.run.jobs)
