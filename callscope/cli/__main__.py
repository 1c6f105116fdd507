"""`python -m callscope.cli`: the same as the `callscope` command."""

from callscope.cli import app

app()
