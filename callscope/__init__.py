"""callscope: offline conversation analytics for contact centres."""

__version__ = "0.1.0"
