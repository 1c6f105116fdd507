"""One recording gives the same words wherever and whenever it runs (issue 17): alone, after another
transcription, or beside one (--jobs 2). Whisper's temperature fallback samples from CTranslate2's
generator per worker thread, which is seeded once and then carries over from call to call; the analysis
is a function of the words (the cluster test compares whole conversations)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from callscope.pipeline.audio import load_audio
from callscope.pipeline.transcribe import Transcriber
from tests.conftest import sample_audio

pytestmark = pytest.mark.slow


def test_a_track_gives_the_same_words_after_another_and_beside_another(settings):
    """The espeak French call: Whisper base's beam search loops at 23 s and gives up at 51 s, so its
    fallback samples there. First alone, then twice at once on a two-job transcriber whose first model
    has already sampled (the old code reused it, and its generator, for the next track)."""
    track = load_audio(sample_audio("french_delivery"), "sha").tracks[0]
    transcriber = Transcriber(settings.asr, jobs=2)
    alone = transcriber.transcribe(track, 0)
    assert transcriber.model.model.sampled, "the fallback did not sample: the test proves nothing"
    with ThreadPoolExecutor(2) as pool:
        after_and_beside = list(pool.map(lambda _: transcriber.transcribe(track, 0), range(2)))
    assert alone.segments and after_and_beside == [alone, alone]
