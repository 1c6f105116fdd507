"""Text channels: chat exports, conversation JSON/JSONL and imported transcripts, e-mail, survey verbatims.

Each reader turns one input file into `Thread`s (thread.py), one per conversation, and one-line
`Problem`s for what it could not read; the pipeline analyses a thread like a transcribed call.
"""
