"""callscope: offline conversation analytics for contact centres.

The library API (docs/api.md): `load_settings`, `analyse`, `run_batch`, `build_reports`, `open_store`,
with their types `Settings`, `Conversation`, `RunSummary`, `ReportSummary`, `CorpusSummary`, `Filters`,
`Store`, the progress `Hook` and the errors. Names are imported on first use, so `import callscope`
loads no model library.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "load_settings": "callscope.config", "Settings": "callscope.config",
    "analyse": "callscope.api", "run_batch": "callscope.api", "build_reports": "callscope.api",
    "open_store": "callscope.api",
    "Conversation": "callscope.conversation",
    "RunSummary": "callscope.batch", "CorpusSummary": "callscope.corpus",
    "ReportSummary": "callscope.reports", "Filters": "callscope.reports", "Store": "callscope.store",
    "Hook": "callscope.hooks", "BatchProgress": "callscope.hooks",
    "CallscopeError": "callscope.errors", "ConfigError": "callscope.errors", "InputError": "callscope.errors",
    "ModelError": "callscope.errors",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from callscope.api import analyse, build_reports, open_store, run_batch
    from callscope.batch import RunSummary
    from callscope.config import Settings, load_settings
    from callscope.conversation import Conversation
    from callscope.corpus import CorpusSummary
    from callscope.errors import CallscopeError, ConfigError, InputError, ModelError
    from callscope.hooks import BatchProgress, Hook
    from callscope.reports import Filters, ReportSummary
    from callscope.store import Store


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'callscope' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
