"""Evaluation harnesses behind `callscope eval`."""
