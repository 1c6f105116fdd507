"""Settings: defaults in callscope/configs/default.yaml (package data), overridden by a user's YAML file.

The YAML is the one source of the long defaults (phrase lists, example sentences, action rules): the
models below read them from it (`_packaged`); short scalar defaults are also written here, and a test
checks that both agree.

Every key is validated; an unknown key or a bad value is reported with the
file and the dotted key, e.g. ``my.yaml: asr.beam_size: Input should be greater than 0``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from callscope.conversation import SCHEMA_VERSION, Family, Polarity, Role, SignalKind
from callscope.errors import ConfigError
from callscope.files import decode_text

CONFIGS = resources.files("callscope") / "configs"   # package data: a folder on disk (callscope is not zip-safe)
DEFAULT_CONFIG = CONFIGS / "default.yaml"
DEFAULT_TAXONOMY = CONFIGS / "taxonomy.yaml"
DEFAULT_ROLE_EXAMPLES = CONFIGS / "role_examples.yaml"

OutputFormat = Literal["json", "txt", "srt", "vtt", "rttm"]


@cache
def _default_yaml() -> dict:
    return yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))


def _packaged(*keys: str):
    """A default_factory giving the value at `keys` in the packaged default.yaml (a fresh copy each time)."""
    def value():
        found = _default_yaml()
        for key in keys:
            found = found[key]
        return copy.deepcopy(found)
    return Field(default_factory=value, validate_default=True)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AsrSettings(_Strict):
    """Speech recognition with faster-whisper."""

    model: str = "base"
    compute_type: str = "int8"
    beam_size: int = Field(5, ge=1, le=20)
    language: str | None = None
    vad: bool = True
    # Silero's speech probability; "auto": per track, vad_threshold_clear when Silero hears the track's
    # voice clearly (median probability >= vad_clear_probability over its loud frames), else vad_threshold_faint
    vad_threshold: float | Literal["auto"] = "auto"
    vad_threshold_clear: float = Field(0.5, gt=0, lt=1)
    vad_threshold_faint: float = Field(0.25, gt=0, lt=1)
    vad_clear_probability: float = Field(0.6, gt=0, lt=1)
    vad_min_silence_ms: int = Field(2000, ge=0)
    recover_skipped: bool = True    # hear again, without VAD, speech the VAD skipped (pipeline/recover.py)
    condition_on_previous_text: bool = False
    cpu_threads: int = Field(0, ge=0)
    # stereo channels (one party each): the VAD's speech chunks (up to 30 s) decoded this many at once,
    # temperature 0 only (faster-whisper's BatchedInferencePipeline; with vad); 0: Whisper's sequential
    # windows, as mono tracks always are (two parties on one track lose words batched: docs/benchmarks.md)
    batch_size: int = Field(4, ge=0)
    hotwords: list[str] = []   # names Whisper should expect (off by default: see docs/benchmarks.md)

    @field_validator("vad_threshold")
    @classmethod
    def _threshold_in_range(cls, value: float | str) -> float | str:
        if value != "auto" and not 0 < value < 1:
            raise ValueError("must be 'auto' or a probability between 0 and 1")
        return value


class AudioSettings(_Strict):
    """Decoding and channel handling."""

    fake_stereo_correlation: float = Field(0.98, gt=0, le=1)
    bleed_margin_db: float = Field(15.0, ge=0)
    extensions: list[str] = [".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".aac", ".wma", ".mp4"]


class SpeakerSettings(_Strict):
    """Who spoke when in mono calls (`--num-speakers`, `--min-speakers`, `--max-speakers`)."""

    diarise: bool = True
    num_speakers: int | None = Field(None, ge=1)
    min_speakers: int | None = Field(None, ge=1)
    max_speakers: int | None = Field(None, ge=1)


class DiarisationSettings(_Strict):
    """Diarisation of mono calls (pipeline/diarise.py); defaults tuned in benchmarks/tune_diarization.py."""

    segmentation_step: float = Field(0.1, gt=0, le=1)   # window step, as a fraction of 10 s
    min_duration_off: float = Field(0.2, ge=0)          # a speaker's gaps shorter than this are filled
    threshold: float = Field(0.8, gt=0, le=2)           # cosine distance that stops merging clusters
    min_cluster_size: int = Field(12, ge=1)             # smaller clusters join the nearest large one
    method: str = "centroid"                            # scipy linkage method
    exclude_overlap: bool = False                       # embed only single-speaker frames
    segmentation_batch_size: int = Field(8, ge=1)       # ONNX Runtime keeps the largest batch's buffers: 32 held 0.9 GB
    embedding_batch_size: int = Field(30, ge=1)         # a multiple of 3 speakers per chunk
    embedding_max_seconds: float = Field(5.0, ge=0)     # embed at most this much of a speaker per chunk (0: all)
    threads: int = Field(0, ge=0)                       # embedding worker threads; 0: one per core
    second_voice: bool = True                           # look for a second voice when one speaker has all
    second_voice_min_ratio: float = Field(1.4, gt=1)    # between/within distance of a clear split
    second_voice_min_share: float = Field(0.3, gt=0, le=0.5)  # speech share of the smaller voice
    two_party: bool = True                              # one speaker with all: offer a two-speaker clustering


class RoleSettings(_Strict):
    """How speakers become agent or customer: channel map (stereo), phrase evidence (mono).

    Phrases are matched on normalised words (lower case, no punctuation).
    """

    channels: dict[int, Role] = {0: "agent", 1: "customer"}
    min_confidence: float = Field(0.25, ge=0, le=1)
    by_words: bool = True               # mono call heard as one voice: split it by what each sentence says
    examples: str | None = None         # agent/customer example sentences; None: the packaged role_examples.yaml
    company_names: list[str] = ["Northwind"]
    greetings: list[str] = _packaged("roles", "greetings")
    identification: list[str] = _packaged("roles", "identification")
    service: list[str] = _packaged("roles", "service")
    customer: list[str] = _packaged("roles", "customer")

    def examples_path(self) -> Path:
        """The role examples file: `examples`, or the packaged role_examples.yaml."""
        return Path(self.examples) if self.examples else DEFAULT_ROLE_EXAMPLES


class SignalSettings(_Strict):
    """Signals (callscope/nlp/signals.py): phrases matched on lower-case words without punctuation, not
    negated; a phrase ending in " $" must end its clause. Plus semantic similarity of a sentence or clause
    to the example sentences, at least `semantic_threshold` (cosine, -1..1)."""

    phrases: dict[SignalKind, list[str]] = _packaged("enrich", "signals", "phrases")
    examples: dict[SignalKind, list[str]] = _packaged("enrich", "signals", "examples")
    semantic_threshold: float = Field(0.75, ge=-1, le=1)


class EnrichSettings(_Strict):
    """Per-call analysis after transcription (docs/metrics.md): sentiment and emotion per utterance,
    overall customer sentiment and its trajectory, contact reason, aspects, signals, call metrics."""

    enabled: bool = True
    taxonomy: str | None = None
    silence_seconds: float = Field(3.0, gt=0)
    negative_weight: float = Field(1.0, ge=1)
    end_weight: float = Field(0.2, ge=0, le=1)
    sentiment_threshold: float = Field(0.1, gt=0, lt=1)
    trajectory_threshold: float = Field(0.3, gt=0, le=2)
    sentiment_model: str = "heads"
    opinion_weight: float = Field(0.5, ge=0, le=1)
    emotion_model: str = "heads"
    sentiment_labels: dict[str, str] = {}
    emotion_labels: dict[str, str] = {}
    signals: SignalSettings = SignalSettings()

    def taxonomy_path(self) -> Path:
        """The taxonomy file: `taxonomy`, or the packaged taxonomy.yaml."""
        return Path(self.taxonomy) if self.taxonomy else DEFAULT_TAXONOMY


class OutputSettings(_Strict):
    """Per-call output files."""

    redact: bool = True
    keep_agent_first_name: bool = False
    formats: list[OutputFormat] = ["json", "txt", "srt", "vtt", "rttm"]
    max_cue_seconds: float = Field(6.0, gt=0)
    max_cue_chars: int = Field(84, ge=10)
    group_readable: bool = False     # outputs 0640 and folders 0750 for a team group, not 0600/0700
    redact_audio: bool = False       # also <id>.redacted.wav: the recording with redacted words as a tone

    @model_validator(mode="after")
    def _audio_redaction_needs_redaction(self) -> "OutputSettings":
        if self.redact_audio and not self.redact:
            raise ValueError("redact_audio needs redact: the words to hide are the redacted ones")
        return self


CLUSTER_FORMS = "local:N (N worker processes here) or tcp://HOST:PORT (a running Dask scheduler)"


class RunSettings(_Strict):
    """Batch execution: threads in this process (`jobs`), or a Dask cluster (`cluster`, docs/cluster.md)."""

    jobs: int = Field(0, ge=0, le=64)     # 0: one per core, no more than the batch's recordings
    cluster: str | None = None
    send_audio: Literal["auto", "always", "never"] = "auto"

    @field_validator("cluster")
    @classmethod
    def _cluster_form(cls, cluster: str | None) -> str | None:
        if cluster is None or re.fullmatch(r"local:[1-9]\d*|(tcp|tls)://[^\s/]+:\d+", cluster):
            return cluster
        raise ValueError(f"{cluster!r} is not {CLUSTER_FORMS}")

    def jobs_for(self, recordings: int) -> int:
        """Calls processed at once in a batch of `recordings`: `jobs`, or with 0 one per core (one call alone
        keeps every core for its own Whisper threads)."""
        return self.jobs or max(1, min(os.cpu_count() or 1, recordings))


MetadataGroup = Literal["call_time", "datetime", "date", "time", "queue", "agent", "team", "customer_id", "channel"]


class MetadataSettings(_Strict):
    """Call metadata for the store: sidecar CSV, then filename patterns, then the file time (docs/store.md)."""

    sidecar: str | None = None
    filename_patterns: list[str] = []
    channel: Literal["voice", "chat", "email", "survey"] = "voice"

    @field_validator("filename_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        known = set(MetadataGroup.__args__)
        for pattern in patterns:
            try:
                groups = set(re.compile(pattern).groupindex)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regex ({exc})") from None
            if not groups or groups - known:
                raise ValueError(f"{pattern!r}: named groups must be among {', '.join(sorted(known))}")
        return patterns


class CorpusSettings(_Strict):
    """Corpus-wide figures computed over the store at the end of each run."""

    repeat_days: int = Field(7, ge=1, le=365)
    surveys: str | None = None
    events: str | None = None


class TopicSettings(_Strict):
    """Topics over customer speech (BERTopic), stable across nightly runs (docs/topics.md)."""

    embedder: Literal["auto", "minilm", "use"] = "auto"
    english_share: float = Field(0.8, gt=0, le=1)
    min_topic_size: int = Field(10, ge=2)
    cluster_selection: Literal["eom", "leaf"] = "eom"
    umap_neighbors: int = Field(15, ge=2)
    umap_components: int = Field(5, ge=2)
    seed: int = 42
    outlier_threshold: float = Field(0.5, ge=-1, le=1)
    new_topic_similarity: float = Field(0.8, ge=-1, le=1)
    min_documents: int = Field(50, ge=10)
    max_outlier_pool: int = Field(5000, ge=0)
    keywords: int = Field(10, ge=3, le=30)


class ReportSettings(_Strict):
    """HTML reports (`callscope report`): costs and what counts as worth showing."""

    cost_per_contact: float = Field(5.0, ge=0)
    currency: str = "EUR"
    negative_start: float = Field(-0.2, ge=-1, le=1)
    long_silence_seconds: float = Field(10.0, ge=0)
    top: int = Field(8, ge=1, le=100)


TrajectoryLabel = Literal["improved", "worsened", "stable", "unknown"]


class ActionRule(_Strict):
    """A close-the-loop rule: every condition given must hold; a list matches any of its items."""

    action: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    priority: Literal["high", "medium", "low"] = "medium"
    description: str = ""
    signals: list[SignalKind] = []
    reasons: list[str] = []
    families: list[Family] = []
    sentiment: list[Polarity] = []
    trajectory: list[TrajectoryLabel] = []
    predicted_csat_below: float | None = Field(None, ge=1, le=5)
    predicted_csat_at_least: float | None = Field(None, ge=1, le=5)
    repeat_contact: bool | None = None
    sales_opportunity: bool | None = None

    @model_validator(mode="after")
    def _has_condition(self) -> "ActionRule":
        conditions = self.model_dump(exclude={"action", "priority", "description"})
        if not any(value not in (None, []) for value in conditions.values()):
            raise ValueError(f"rule {self.action!r} has no condition (it would fire on every call)")
        return self


class WebhookSettings(_Strict):
    """One JSON POST per action (callscope/reports/webhook.py): 5xx, 429 and connection errors are
    retried with backoff and jitter within a total deadline per action; redirects are not followed."""

    url: str | None = Field(None, pattern=r"^https?://")
    headers: dict[str, str] = {}
    timeout_seconds: float = Field(10.0, gt=0)      # connect, and each wait for data, within one attempt
    deadline_seconds: float = Field(30.0, gt=0)     # everything for one action: attempts and waits
    retries: int = Field(4, ge=0, le=10)
    backoff_seconds: float = Field(1.0, ge=0)

    @field_validator("headers")
    @classmethod
    def _headers_are_sendable(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
                raise ValueError(f"header name {name!r} is not a valid HTTP header name")
            if not re.fullmatch(r"[\t\x20-\x7e\xa0-\xff]*", value):
                raise ValueError(f"header {name}: its value holds a line break, a control or a non-Latin-1 character")
        return headers

    @model_validator(mode="after")
    def _secrets_need_https(self) -> "WebhookSettings":
        secrets = webhook_secrets(self.url, self.headers) if self.url and self.url.lower().startswith("http:") else []
        if secrets:
            raise ValueError(f"https is required when the webhook carries credentials ({', '.join(secrets)})")
        return self


SECRET_PARTS = ("auth", "token", "secret", "passw", "apikey", "api-key", "api_key", "cookie", "session", "signature")
SECRET_WORDS = frozenset({"key", "sig", "pwd", "pass"})
NOT_SECRET_HEADERS = frozenset({"idempotency-key"})


def _secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered not in NOT_SECRET_HEADERS and (
        any(part in lowered for part in SECRET_PARTS) or bool(SECRET_WORDS & set(re.split(r"[^a-z]+", lowered))))


def webhook_secrets(url: str, headers: dict[str, str]) -> list[str]:
    """The credentials a webhook's URL or headers carry: `user:pass@`, and headers or query
    parameters named like Authorization, X-Api-Key, token, sig."""
    parts = urlsplit(url)
    return ((["user:password in the URL"] if parts.username or parts.password else [])
            + [f"header {name}" for name in headers if _secret_name(name)]
            + [f"query parameter {name}" for name, _ in parse_qsl(parts.query, keep_blank_values=True)
               if _secret_name(name)])


class ActionSettings(_Strict):
    """Close the loop: rules turn analysed calls into OUT/actions.csv rows and webhook deliveries."""

    rules: list[ActionRule] = _packaged("actions", "rules")
    webhook: WebhookSettings = WebhookSettings()


ChatColumn = Literal["conversation_id", "timestamp", "sender", "message", "customer_id", "agent"]
SurveyColumn = Literal["csat", "nps", "score", "comment", "date", "customer_id", "conversation_id", "response_id"]
SenderRole = Literal["agent", "customer", "bot", "system"]


class ChannelSettings(_Strict):
    """Text inputs (docs/inputs.md): the column names of chat and survey CSVs, sender values, e-mail sides.

    Header names and sender values are matched lower-cased and stripped; a `*_mapping` entry (your header ->
    column) wins over the aliases."""

    chat_columns: dict[ChatColumn, list[str]] = _packaged("channels", "chat_columns")
    chat_mapping: dict[str, ChatColumn] = {}
    senders: dict[SenderRole, list[str]] = _packaged("channels", "senders")
    company_domains: list[str] = []
    survey_columns: dict[SurveyColumn, list[str]] = _packaged("channels", "survey_columns")
    survey_mapping: dict[str, SurveyColumn] = {}
    survey_scale: Literal["auto", "csat", "nps"] = "auto"
    day_first: bool = False     # slash dates of a CSV column that read both ways (03/04/2026): 3 April when true

    @field_validator("chat_mapping", "survey_mapping", "chat_columns", "survey_columns", "senders")
    @classmethod
    def _lower_case(cls, names: dict) -> dict:
        if all(isinstance(value, str) for value in names.values()):
            return {key.strip().lower(): value for key, value in names.items()}
        return {key: [value.strip().lower() for value in values] for key, values in names.items()}

    @field_validator("company_domains")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        return [domain.strip().lower().lstrip("@") for domain in domains]


class Settings(_Strict):
    """All callscope settings."""

    asr: AsrSettings = AsrSettings()
    audio: AudioSettings = AudioSettings()
    speakers: SpeakerSettings = SpeakerSettings()
    diarisation: DiarisationSettings = DiarisationSettings()
    roles: RoleSettings = RoleSettings()
    enrich: EnrichSettings = EnrichSettings()
    output: OutputSettings = OutputSettings()
    run: RunSettings = RunSettings()
    metadata: MetadataSettings = MetadataSettings()
    corpus: CorpusSettings = CorpusSettings()
    topics: TopicSettings = TopicSettings()
    reports: ReportSettings = ReportSettings()
    actions: ActionSettings = ActionSettings()
    channels: ChannelSettings = ChannelSettings()

    def fingerprint(self) -> str:
        """Hash of everything that changes a call's outputs (jobs excluded)."""
        # channels: how text inputs are read shows in each thread's content hash, not in a call's outputs
        unused = {"run", "reports", "actions", "metadata", "corpus", "topics", "channels"}
        payload = self.model_dump(mode="json", exclude={**dict.fromkeys(unused, True), "output": {"group_readable"}})
        payload["schema_version"] = SCHEMA_VERSION
        taxonomy = self.enrich.taxonomy_path()
        payload["taxonomy_sha256"] = hashlib.sha256(taxonomy.read_bytes()).hexdigest() if taxonomy.is_file() else None
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def read_yaml(path: Path, kind: str = "config file") -> object:
    """Parsed YAML; a missing file or bad syntax is a one-line ConfigError naming the file."""
    try:
        return yaml.safe_load(decode_text(path.read_bytes(), windows=False))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {kind} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: {kind} expected, found a folder") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {kind} ({exc.strerror or exc})") from None
    except UnicodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None


def _read_yaml(path: Path) -> dict:
    data = read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return data


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _validate(data: dict, source: Path | str) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{source}: {key}: {message}{more}") from None


def load_settings(path: str | Path | None = None, **overrides: dict) -> Settings:
    """The packaged defaults, overridden by the YAML file at `path` when given, then by `overrides`:
    sections as keyword arguments, e.g. ``load_settings(asr={"model": "tiny.en"})``."""
    settings = _validate(_read_yaml(DEFAULT_CONFIG), DEFAULT_CONFIG)
    if path is not None:
        settings = _validate(_merge(settings.model_dump(), _read_yaml(Path(path))), Path(path))
    if overrides:
        settings = _validate(_merge(settings.model_dump(), overrides), "load_settings() arguments")
    return settings
