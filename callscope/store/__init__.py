"""The store: every analysed call of an output folder in one DuckDB file (docs/store.md)."""

from callscope.store.database import STORE_FILE, TABLES, Store, connect, store_error, store_path

__all__ = ["STORE_FILE", "TABLES", "Store", "connect", "store_error", "store_path"]
