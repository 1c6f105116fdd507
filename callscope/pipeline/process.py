"""One call through the stages: audio -> transcribe -> diarise -> recover -> align/roles -> enrich -> redact
-> Conversation; the wall seconds of each stage go into `Conversation.processing.seconds`."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from time import perf_counter
from typing import Callable

import numpy as np

from callscope import __version__
from callscope.config import Settings
from callscope.conversation import Conversation, Processing, Segment, Speaker, Track, Turn
from callscope.preflight import preflight
from callscope.manifest import now
from callscope.nlp.role_words import RoleByWords, role_examples
from callscope.nlp.taxonomy import load_taxonomy
from callscope.pipeline import heap
from callscope.pipeline.align import (build_utterances, find_overtalk, label_words, label_words_by_turns,
                                      speech_intervals, talk_seconds, track_speakers)
from callscope.pipeline.audio import DecodedAudio, load_audio
from callscope.pipeline.bleed import drop_bleed
from callscope.pipeline.enrich import Enricher
from callscope.pipeline.idle import Idle
from callscope.pipeline.ingest import InputFile
from callscope.pipeline.one_voice import (EVIDENCE, ROLES_BY_WORDS_EVIDENCE, TWO_VOICES_EVIDENCE,
                                          parties_of_voices, roles_from_sentences, sentence_agent_probability,
                                          split_one_voice, two_parties_allowed)
from callscope.pipeline.recover import merge_stretches, own_voices, recover_skipped_speech, voice_stretches
from callscope.pipeline.roles import assign_roles
from callscope.pipeline.transcribe import Transcriber, TrackTranscript
from callscope.pipeline.word_times import trim_to_own_voice
from callscope.redact import redact_conversation


class CallProcessor:
    """The loaded models and the settings every call is processed with.

    The diarisation models are loaded on the first mono call, once more for
    each call diarised beside another (a pipeline diarises one call at a time;
    calls never wait for it). The role-by-words head is learnt on the first
    call heard as one voice and shared by all worker threads. The text models
    of the enrichment stage load in the background once the first call is
    transcribed, diarised and heard again, beside the rest of the calls' work
    but not beside a long call's ASR or diarisation, whose peak memory they
    would add to (a bad taxonomy stops the run before any call; a bad model
    file at the first call's enrichment).
    """

    def __init__(self, settings: Settings, jobs: int = 1):
        preflight(settings)
        self.settings = settings
        # Read now, so a bad taxonomy stops the run before any call; the text models load later (start_enricher).
        self._taxonomy = load_taxonomy(settings.enrich.taxonomy_path()) if settings.enrich.enabled else None
        self._enricher: Future | None = None
        self._enricher_lock = threading.Lock()
        # Read now, so a bad examples file stops the run before any call; the head is learnt when first needed.
        self._role_examples = role_examples(settings) if settings.roles.by_words else None
        self.transcriber = Transcriber(settings.asr, jobs)
        self._diarisers = Idle(self._load_diariser)
        self._role_head = None
        self._role_head_lock = threading.Lock()

    def start_enricher(self) -> None:
        """Start loading the text models in a background thread, once (nothing when enrichment is off)."""
        with self._enricher_lock:
            if self._enricher is None and self.settings.enrich.enabled:
                loader = ThreadPoolExecutor(1, thread_name_prefix="callscope-load")
                self._enricher = loader.submit(_loaded_enricher, self.settings, self._taxonomy)
                loader.shutdown(wait=False)

    @property
    def enricher(self) -> Enricher | None:
        """The enrichment stage's models (None when it is off), loaded if not yet started; waits for them."""
        self.start_enricher()
        return self._enricher.result() if self._enricher else None

    def _load_diariser(self):
        """pyannote's pipeline with the diarisation models, loaded for a job's first mono call (40 MB)."""
        from callscope.pipeline.diarise import Diariser

        return Diariser(self.settings.diarisation)

    def _diarise(self, audio: DecodedAudio) -> tuple[list[Turn], list[Turn], list[Turn] | None]:
        """Overlapping and exclusive speaker turns of a mono recording, and when one speaker holds
        nearly all the speech, the exclusive turns of the same call clustered in two (else None)."""
        count = self.settings.speakers
        with self._diarisers.lend() as diariser:
            result = diariser.diarise(audio.tracks[0], num_speakers=count.num_speakers,
                                      min_speakers=count.min_speakers, max_speakers=count.max_speakers)
        convert = lambda turns: [Turn(start=t.start, end=t.end, speaker=t.speaker) for t in turns]  # noqa: E731
        two_party = convert(result.two_party.exclusive) if result.two_party else None
        return convert(result.turns), convert(result.exclusive), two_party

    def _speakers_by_channel(self, audio: DecodedAudio, segments: list[Segment], voiced: list[np.ndarray],
                             warnings: list[str]):
        """A speaker per track; `voiced`: where each track carries its own voice (recover.own_voices)."""
        segments, dropped = drop_bleed(segments, audio.tracks, self.settings.audio.bleed_margin_db)
        if dropped:
            warnings.append(f"dropped {dropped} word(s) heard through from the other channel")
        trim_to_own_voice(segments, voiced)
        label_words(segments)
        speakers = track_speakers(len(audio.tracks), audio.source.layout, self.settings.roles.channels)
        turns = [Turn(start=a, end=b, speaker=s) for a, b, s in speech_intervals(w for g in segments for w in g.words)]
        return segments, speakers, turns

    def _recover(self, audio: DecodedAudio, transcripts: list[TrackTranscript], segments: list[Segment],
                 speech_of: Callable[[int], list[tuple[float, float]]]) -> list[Segment]:
        """Segments with the speech each track's VAD skipped heard again (recover.py); `speech_of(track)`
        gives the track's stretches of speech, found only when this is on."""
        if not (self.settings.asr.vad and self.settings.asr.recover_skipped):
            return segments
        for index, samples in enumerate(audio.tracks):
            segments, _ = recover_skipped_speech(self.transcriber, samples, index, transcripts[index].language,
                                                 segments, speech_of(index))
        return segments

    @staticmethod
    def _speakers_by_turns(segments: list[Segment], turns: list[Turn], exclusive: list[Turn]) -> list[Speaker]:
        """The diarised speakers, each word labelled with the one speaking alone at its time."""
        label_words_by_turns(segments, [(t.start, t.end, t.speaker) for t in exclusive])
        if not exclusive:
            label_words(segments)
        ids = sorted({t.speaker for t in turns} | {w.speaker for s in segments for w in s.words})
        return [Speaker(id=i) for i in ids]

    def _agent_probability(self, texts: list[str]):
        """P(agent) of sentences (one_voice.py), with the role-by-words head learnt on first use."""
        with self._role_head_lock:
            if self._role_head is None:
                self._role_head = RoleByWords(*self._role_examples)
            return sentence_agent_probability(texts, self._role_head, self.settings.roles)

    def _two_parties(self, segments: list[Segment], speakers: list[Speaker], turns: list[Turn],
                     two_party: list[Turn] | None, warnings: list[str]) -> tuple[list[Speaker], list[Turn]]:
        """Agent and customer of a mono call in which one voice holds (nearly) all the speech: the
        two-speaker clustering when the words of its two voices read as the two parties, else the
        sentences split by their words (one_voice.py); as diarised when neither reads as two parties."""
        words = [w for s in segments for w in s.words]
        diarised = [w.speaker for w in words]
        dominant = max(speakers, key=lambda s: diarised.count(s.id))
        if two_party:
            label_words_by_turns(segments, [(t.start, t.end, t.speaker) for t in two_party])
            parties = parties_of_voices(words, self._agent_probability)
            if parties:
                roles, confidence = parties
                warnings.append(TWO_VOICES_EVIDENCE)
                return ([Speaker(id=i, role=roles[i], role_evidence=[TWO_VOICES_EVIDENCE],
                                 role_confidence=round(confidence[roles[i]], 2)) for i in sorted(roles)],
                        [t for t in two_party if t.speaker in roles])
            for word, speaker in zip(words, diarised):
                word.speaker = speaker
        split = split_one_voice(words, dominant, self._agent_probability)
        if split is None:
            return speakers, turns
        warnings.append(EVIDENCE)
        return split, [Turn(start=a, end=b, speaker=s) for a, b, s in speech_intervals(words)]

    def process(self, item: InputFile, sha256: str) -> Conversation:
        """Transcribe one recording; raises InputError when it cannot be decoded."""
        settings = self.settings
        lap = Laps()
        audio = load_audio(item.path, sha256, settings.audio.fake_stereo_correlation)
        lap("decode")
        one_party = len(audio.tracks) > 1    # a stereo channel per party
        transcripts = [self.transcriber.transcribe(samples, index, one_party) for index, samples in enumerate(audio.tracks)]
        lap("transcribe")

        warnings = list(audio.warnings)
        segments = sorted((s for t in transcripts for s in t.segments), key=lambda s: (s.start, s.track))
        by_channel = len(audio.tracks) > 1 or not settings.speakers.diarise
        if by_channel:
            voiced = own_voices(audio.tracks, settings.audio.bleed_margin_db)
            segments = self._recover(audio, transcripts, segments, lambda index: voice_stretches(voiced[index]))
            lap("recover")
            segments, speakers, turns = self._speakers_by_channel(audio, segments, voiced, warnings)
        else:
            turns, exclusive, two_party = self._diarise(audio)
            lap("diarise")
            segments = self._recover(audio, transcripts, segments,
                                     lambda _: merge_stretches((t.start, t.end) for t in turns))
            lap("recover")
            speakers = self._speakers_by_turns(segments, turns, exclusive)
            if ((len(speakers) == 1 or two_party) and settings.roles.by_words
                    and two_parties_allowed(settings.speakers)):
                speakers, turns = self._two_parties(segments, speakers, turns, two_party, warnings)
        self.start_enricher()   # beside the rest of the call: not beside a long call's ASR or diarisation (peak RSS)
        words = [w for s in segments for w in s.words]
        utterances = build_utterances(words, speakers)
        if audio.source.layout != "stereo" and all(s.role == "unknown" for s in speakers):
            assign_roles(speakers, utterances, settings.roles)
            if (settings.roles.by_words and all(s.role == "unknown" for s in speakers)
                    and roles_from_sentences(words, speakers, utterances, self._agent_probability)):
                warnings.append(ROLES_BY_WORDS_EVIDENCE)
        talk_seconds(utterances, speakers)
        overtalk = find_overtalk([(t.start, t.end, t.speaker) for t in turns])

        tracks = [
            Track(index=i, label=label, language=t.language, language_probability=t.language_probability,
                  speech_seconds=t.speech_seconds)
            for i, (label, t) in enumerate(zip(audio.labels, transcripts))
        ]
        spoken = [t for t in tracks if t.language]
        if not segments:
            warnings.append("no speech detected")
        lap("align")
        conversation = Conversation(
            id=item.call_id,
            source=audio.source,
            language=max(spoken, key=lambda t: t.speech_seconds).language if spoken else None,
            duration=audio.source.duration,
            tracks=tracks,
            segments=segments,
            speakers=speakers,
            utterances=utterances,
            turns=turns,
            overtalk=overtalk,
            warnings=warnings,
            processing=Processing(
                callscope_version=__version__,
                asr_model=settings.asr.model,
                config_hash=settings.fingerprint(),
                created_at=now(),
            ),
        )
        del audio   # a 2-hour stereo call's tracks are 0.9 GB: gone before the text models run
        if self.enricher:  # before redaction: the models read the real words
            self.enricher.enrich(conversation)
            lap("enrich")
        if settings.output.redact:
            conversation = redact_conversation(conversation, settings.output.keep_agent_first_name)
            conversation.processing.redacted = True
            lap("redact")
        conversation.processing.seconds = lap.seconds
        return conversation


def _loaded_enricher(settings: Settings, taxonomy) -> Enricher:
    """The enrichment stage's models, and the heap they were read through given back (heap.py): loaded
    beside a call, their freed read buffers would stay resident for the rest of the run."""
    enricher = Enricher(settings.enrich, taxonomy)
    heap.trim()
    return enricher


class Laps:
    """Wall seconds per stage of one call: `lap(stage)` ends a stage where the one before ended."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = perf_counter()

    def __call__(self, stage: str) -> None:
        ended = perf_counter()
        self.seconds[stage] = round(ended - self._last, 3)
        self._last = ended
