"""One recording gives the same conversation wherever and whenever it runs (issue 17): alone, after
another call, or beside one (--jobs 2). Whisper's temperature fallback samples from CTranslate2's
generator per worker thread, which is seeded once and then carries over from call to call."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from callscope.conversation import Conversation
from callscope.files import sha256_file
from callscope.pipeline.ingest import InputFile
from callscope.pipeline.loaded import processor_for
from tests.conftest import sample_audio

pytestmark = pytest.mark.slow


def without_timings(conversation: Conversation) -> dict:
    return conversation.model_dump(exclude={"id": True, "processing": {"seconds", "created_at"}})


@pytest.fixture(scope="module")
def calls() -> list[InputFile]:
    """The espeak French call twice, as two recordings: Whisper base's beam search loops at 23 s and
    gives up at 51 s, so its fallback samples there."""
    path = sample_audio("french_delivery")
    return [InputFile(path, name) for name in ("first", "second")]


def test_a_call_gives_the_same_conversation_after_another_and_beside_another(calls, settings):
    one_job = processor_for(settings)
    first, second = (one_job.process(item, sha256_file(item.path)) for item in calls)
    assert one_job.transcriber.model.model.sampled, "the fallback did not sample: the test proves nothing"
    assert first.segments and without_timings(second) == without_timings(first)

    two_jobs_settings = settings.model_copy(deep=True)
    two_jobs_settings.run.jobs = 2
    two_jobs = processor_for(two_jobs_settings)
    with ThreadPoolExecutor(2) as pool:
        beside = list(pool.map(lambda item: two_jobs.process(item, sha256_file(item.path)), reversed(calls)))
    assert [without_timings(c) for c in beside] == [without_timings(first)] * 2
