"""Errors that reach the user as one clear line."""


class CallscopeError(Exception):
    """Base class: its message is shown to the user as is, on one line."""


class ConfigError(CallscopeError):
    """A configuration file is missing, malformed or has a bad value."""


class ModelError(CallscopeError):
    """A model cannot be found, is corrupt or cannot be loaded."""


class InputError(CallscopeError):
    """One input file cannot be processed; the batch goes on without it."""
