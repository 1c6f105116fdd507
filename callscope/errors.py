"""Errors that reach the user as one clear line, and the exit codes (docs: README).

Each error class carries the exit code the command line ends with (`exc.exit_code`).
"""

EXIT_OK = 0
EXIT_SOME_FAILED = 1     # some input files failed; the others were processed
EXIT_USAGE = 2           # bad arguments or configuration
EXIT_SETUP = 3           # a model or the output folder cannot be used
EXIT_INTERRUPTED = 130   # Ctrl-C


class CallscopeError(Exception):
    """Base class: its message is shown to the user as is, on one line."""

    exit_code = EXIT_USAGE


class ConfigError(CallscopeError):
    """A configuration file is missing, malformed or has a bad value."""


class ModelError(CallscopeError):
    """A model cannot be found, is corrupt or cannot be loaded."""

    exit_code = EXIT_SETUP


class OutputError(CallscopeError):
    """The output folder (or a file in it) cannot be created, written or locked."""

    exit_code = EXIT_SETUP


class ClusterError(CallscopeError):
    """The Dask cluster cannot be used: dask missing, scheduler unreachable, workers set up differently."""

    exit_code = EXIT_SETUP


class InputError(CallscopeError):
    """One input file cannot be processed; the batch goes on without it."""


class StoreDamaged(CallscopeError):
    """The store file cannot be read as a DuckDB database; it can be rebuilt from the calls' JSON."""

    exit_code = EXIT_SETUP
