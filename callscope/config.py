"""Settings: defaults in configs/default.yaml, overridden by a user's YAML file.

Every key is validated; an unknown key or a bad value is reported with the
file and the dotted key, e.g. ``my.yaml: asr.beam_size: Input should be greater than 0``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from callscope.conversation import SCHEMA_VERSION, Family, Polarity, Role, SignalKind
from callscope.errors import ConfigError
from callscope.pipeline.diarise import DiarisationSettings

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.yaml"

OutputFormat = Literal["json", "txt", "srt", "vtt", "rttm"]


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


class RoleSettings(_Strict):
    """How speakers become agent or customer: channel map (stereo), phrase evidence (mono).

    Phrases are matched on normalised words (lower case, no punctuation).
    """

    channels: dict[int, Role] = {0: "agent", 1: "customer"}
    min_confidence: float = Field(0.25, ge=0, le=1)
    by_words: bool = True               # mono call heard as one voice: split it by what each sentence says
    examples: str | None = None         # agent/customer example sentences; None: configs/role_examples.yaml
    company_names: list[str] = ["Northwind"]
    greetings: list[str] = [
        "thank you for calling", "thanks for calling", "how can i help", "how may i help",
        "what can i do for you", "welcome to", "merci d'avoir appelé", "merci de votre appel",
        "comment puis-je vous aider", "que puis-je faire pour vous", "je vous écoute"]
    identification: list[str] = [
        "can i take your", "could i take your", "can i have your", "could you confirm", "can you confirm",
        "date of birth", "postcode", "account number", "order number", "security question",
        "verify your identity", "first line of your address", "puis-je avoir votre",
        "pouvez-vous me confirmer", "date de naissance", "code postal", "numéro de commande", "numéro client"]
    service: list[str] = [
        "let me check", "let me look", "bear with me", "is there anything else", "i apologise",
        "i apologize", "sorry to hear", "i can see", "i can offer", "je vais vérifier",
        "je comprends", "autre chose", "je suis désolé", "je suis désolée"]
    customer: list[str] = [
        "i want to", "i'd like to", "i would like", "my parcel", "my order", "my card", "my account",
        "my bill", "i already called", "i need", "je voudrais", "j'ai commandé", "mon colis",
        "ma commande", "ma facture", "mon compte", "je n'ai pas reçu"]

    def examples_path(self) -> Path:
        """The role examples file: `examples`, or configs/role_examples.yaml beside the default config."""
        return Path(self.examples) if self.examples else DEFAULT_CONFIG.parent / "role_examples.yaml"


class SignalSettings(_Strict):
    """Signals (callscope/nlp/signals.py): phrases matched on lower-case words without punctuation, not
    negated; a phrase ending in " $" must end its clause. Plus semantic similarity of a sentence or clause
    to the example sentences, at least `semantic_threshold` (cosine, -1..1)."""

    phrases: dict[SignalKind, list[str]] = {
        "churn_intent": [
            "cancel my contract", "cancelling my contract", "canceling my contract", "cancel my account",
            "close my account", "closing my account", "cancel my subscription", "end my contract",
            "terminate my contract", "switch to another provider", "switching to another provider",
            "switch provider", "switching provider", "move to another provider", "moving to another provider",
            "go to a competitor", "going to a competitor", "go elsewhere", "going elsewhere",
            "take my business elsewhere", "i'm leaving $", "i am leaving $", "i'm going to leave $",
            "i want to leave $", "my pac code", "résilier", "je résilie", "résiliation", "fermer mon compte",
            "changer d'opérateur", "changer de fournisseur", "chez un concurrent", "partir chez un autre",
            "aller voir ailleurs", "je m'en vais $"],
        "purchase_intent": [
            "i'd like to buy", "i would like to buy", "i want to buy", "i'd like to order", "i would like to order",
            "i want to order", "let's go for it", "sign me up", "i'd like to upgrade", "i would like to upgrade",
            "i want to upgrade", "i'd like to sign up", "i want to sign up", "can i buy", "interested in buying",
            "je voudrais acheter", "je veux acheter", "je le prends $", "je la prends $", "je prends l'offre",
            "je voudrais souscrire", "je souhaite souscrire", "je voudrais commander", "je veux commander"],
        "escalation_request": [
            "speak to a manager", "speak to the manager", "speak to your manager", "talk to a manager",
            "talk to the manager", "talk to your manager", "speak to a supervisor", "speak to your supervisor",
            "talk to a supervisor", "speak to someone senior", "speak to someone more senior", "escalate this",
            "escalate it", "want this escalated", "make a complaint", "formal complaint", "file a complaint",
            "lodge a complaint", "raise a complaint", "parler à un responsable", "parler au responsable",
            "parler à votre responsable", "parler à un supérieur", "parler à votre supérieur",
            "faire une réclamation", "déposer une réclamation"],
        "repeat_contact": [
            "already called", "already phoned", "already rang", "called before", "called twice",
            "called three times", "called several times", "called so many times", "second time i've called",
            "second time i'm calling", "third time i've called", "third time i'm calling", "keep calling",
            "keep having to call", "last time i called", "they said last time", "told me last time",
            "i was told last time", "j'ai déjà appelé", "déjà téléphoné", "deuxième fois que j'appelle",
            "troisième fois que j'appelle", "la dernière fois que j'ai appelé", "on m'avait dit"],
        "legal_threat": [
            "my lawyer", "my solicitor", "my attorney", "legal action", "take you to court", "see you in court",
            "sue you", "i'll sue", "going to sue", "small claims", "ombudsman", "trading standards",
            "mon avocat", "un avocat", "action en justice", "porter plainte", "au tribunal",
            "poursuivre en justice", "mise en demeure", "médiateur"],
    }
    examples: dict[SignalKind, list[str]] = {
        "churn_intent": [
            "I want to cancel my contract", "I'm going to switch to a different provider",
            "I've had enough, I'm taking my business elsewhere",
            "please close my account, I don't want to be a customer anymore",
            "another company has offered me a better deal so I'm leaving",
            "if this isn't sorted I'm going to leave you", "I want to end my subscription",
            "je veux résilier mon abonnement", "je vais partir chez la concurrence",
            "si ça continue je change d'opérateur"],
        "purchase_intent": [
            "I'd like to buy it", "I want to order the new phone", "let's do it, sign me up",
            "I'll take the upgrade", "I'm interested in buying the premium package",
            "can I add that to my account today", "how do I go about purchasing it", "je voudrais l'acheter",
            "je vais prendre cette offre", "je souhaite souscrire à l'abonnement"],
        "escalation_request": [
            "I want to speak to a manager", "put me through to your supervisor",
            "I want to make a formal complaint", "I'd like this escalated", "get me someone more senior",
            "I want to complain about the way I've been treated", "who is your boss, I want to talk to them",
            "je veux parler à votre responsable", "je voudrais déposer une réclamation",
            "passez-moi votre supérieur"],
        "repeat_contact": [
            "I've already called about this", "this is the third time I'm calling",
            "I rang last week and nothing happened", "I keep calling and nobody sorts it out",
            "I spoke to one of your colleagues yesterday about the same problem",
            "you told me last time it would be fixed", "I've phoned several times already",
            "j'ai déjà appelé plusieurs fois", "c'est la troisième fois que j'appelle",
            "on m'avait dit la dernière fois que ce serait réglé"],
        "legal_threat": [
            "I'm going to take legal action", "you'll be hearing from my solicitor", "I'll take you to court",
            "I'm reporting you to the ombudsman", "I'm going to sue your company",
            "I'll take this to small claims court", "my lawyer will be in touch", "je vais porter plainte",
            "je vais contacter mon avocat", "je vais saisir le médiateur"],
    }
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
        """The taxonomy file: `taxonomy`, or configs/taxonomy.yaml beside the default config."""
        return Path(self.taxonomy) if self.taxonomy else DEFAULT_CONFIG.parent / "taxonomy.yaml"


class OutputSettings(_Strict):
    """Per-call output files."""

    redact: bool = True
    formats: list[OutputFormat] = ["json", "txt", "srt", "vtt", "rttm"]
    max_cue_seconds: float = Field(6.0, gt=0)
    max_cue_chars: int = Field(84, ge=10)


class RunSettings(_Strict):
    """Batch execution."""

    jobs: int = Field(1, ge=1, le=64)


MetadataGroup = Literal["call_time", "datetime", "date", "time", "queue", "agent", "team", "customer_id", "channel"]


class MetadataSettings(_Strict):
    """Call metadata for the store: sidecar CSV, then filename patterns, then the file time (docs/store.md)."""

    sidecar: str | None = None
    filename_patterns: list[str] = []
    channel: Literal["voice", "chat", "email"] = "voice"

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
    """One JSON POST per action; 5xx and connection errors are retried with exponential backoff."""

    url: str | None = Field(None, pattern=r"^https?://")
    headers: dict[str, str] = {}
    timeout_seconds: float = Field(10.0, gt=0)
    retries: int = Field(4, ge=0, le=20)
    backoff_seconds: float = Field(1.0, ge=0)


class ActionSettings(_Strict):
    """Close the loop: rules turn analysed calls into OUT/actions.csv rows and webhook deliveries."""

    rules: list[ActionRule] = [
        ActionRule(action="retention_call", priority="high", signals=["churn_intent"],
                   description="Call the customer back with a retention offer"),
        ActionRule(action="legal_review", priority="high", signals=["legal_threat"],
                   description="Pass the call to the legal/complaints team"),
        ActionRule(action="complaint_follow_up", priority="high", signals=["escalation_request"],
                   description="A team lead calls the customer back"),
        ActionRule(action="service_recovery", priority="medium", trajectory=["worsened"],
                   predicted_csat_below=2.5, description="Apologise and check the issue is solved"),
        ActionRule(action="fix_root_cause", priority="medium", families=["avoidable"], repeat_contact=True,
                   description="Repeat contact for an avoidable reason: fix it before the customer calls again"),
        ActionRule(action="sales_follow_up", priority="low", signals=["purchase_intent"],
                   description="Send the offer the customer asked about"),
    ]
    webhook: WebhookSettings = WebhookSettings()


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

    def fingerprint(self) -> str:
        """Hash of everything that changes a call's outputs (jobs excluded)."""
        payload = self.model_dump(mode="json", exclude={"run", "reports", "actions", "metadata", "corpus", "topics"})
        payload["schema_version"] = SCHEMA_VERSION
        taxonomy = self.enrich.taxonomy_path()
        payload["taxonomy_sha256"] = hashlib.sha256(taxonomy.read_bytes()).hexdigest() if taxonomy.is_file() else None
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def read_yaml(path: Path, kind: str = "config file") -> object:
    """Parsed YAML; a missing file or bad syntax is a one-line ConfigError naming the file."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {kind} not found") from None
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


def _validate(data: dict, source: Path) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{source}: {key}: {message}{more}") from None


def load_settings(path: Path | None = None) -> Settings:
    """Defaults from configs/default.yaml, overridden by `path` when given."""
    data = _read_yaml(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else {}
    settings = _validate(data, DEFAULT_CONFIG)
    if path is None:
        return settings
    return _validate(_merge(settings.model_dump(), _read_yaml(path)), path)
