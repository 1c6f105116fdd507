"""`<id>.redacted.wav`: the recording with every redacted word replaced by a tone (`--redact-audio`).

Every channel of the recording is kept (at 16 kHz, 16-bit); the tone is placed by the redacted
Conversation's word timings (callscope.pii.audio).
"""

from __future__ import annotations

from pathlib import Path

from callscope.conversation import Conversation
from callscope.errors import InputError
from callscope.files import atomic_write_bytes, sha256_file
from callscope.pii.audio import bleeped, wav_bytes
from callscope.pipeline.audio import SAMPLE_RATE, decode_channels


def write_redacted_audio(conversation: Conversation, out_dir: Path) -> str:
    """Write `<id>.redacted.wav` atomically from the recording the conversation was made from; returns its name.

    Raises InputError when the recording changed since it was analysed (its words would not fit)."""
    source = Path(conversation.source.path)
    if sha256_file(source) != conversation.source.sha256:
        raise InputError(f"{source}: changed while it was being processed; its redacted audio was not written")
    channels, _, _ = decode_channels(source)
    name = f"{conversation.id}.redacted.wav"
    atomic_write_bytes(out_dir / name, wav_bytes(bleeped(list(channels), conversation, SAMPLE_RATE), SAMPLE_RATE))
    return name
