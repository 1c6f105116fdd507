"""Settings: defaults in configs/default.yaml, overridden by a user's YAML file.

Every key is validated; an unknown key or a bad value is reported with the
file and the dotted key, e.g. ``my.yaml: asr.beam_size: Input should be greater than 0``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from callscope.conversation import SCHEMA_VERSION, Role
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
    vad_threshold: float = Field(0.25, gt=0, lt=1)
    vad_min_silence_ms: int = Field(2000, ge=0)
    condition_on_previous_text: bool = False
    cpu_threads: int = Field(0, ge=0)


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


class OutputSettings(_Strict):
    """Per-call output files."""

    redact: bool = True
    formats: list[OutputFormat] = ["json", "txt", "srt", "vtt", "rttm"]
    max_cue_seconds: float = Field(6.0, gt=0)
    max_cue_chars: int = Field(84, ge=10)


class RunSettings(_Strict):
    """Batch execution."""

    jobs: int = Field(1, ge=1, le=64)


class Settings(_Strict):
    """All callscope settings."""

    asr: AsrSettings = AsrSettings()
    audio: AudioSettings = AudioSettings()
    speakers: SpeakerSettings = SpeakerSettings()
    diarisation: DiarisationSettings = DiarisationSettings()
    roles: RoleSettings = RoleSettings()
    output: OutputSettings = OutputSettings()
    run: RunSettings = RunSettings()

    def fingerprint(self) -> str:
        """Hash of everything that changes a call's outputs (jobs excluded)."""
        payload = self.model_dump(mode="json", exclude={"run"})
        payload["schema_version"] = SCHEMA_VERSION
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
