"""Contact-reason taxonomy: reasons (with a family) and aspects, read from YAML.

Items may carry extra keys (e.g. `proactive_action`); the required ones are
validated and every problem is one line naming the file and the item, e.g.
``taxonomy.yaml: reasons[3] (parcel_late).family: Input should be 'assistance', ...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError,
                      field_validator, model_validator)

from callscope.config import DEFAULT_TAXONOMY, read_yaml
from callscope.errors import ConfigError

UNKNOWN = "unknown"

Family = Literal["assistance", "selfcare", "avoidable", "mandatory"]
ItemId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]*$")]


def _non_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


Text = Annotated[str, AfterValidator(_non_blank)]


class Reason(BaseModel):
    """One contact reason; extra keys are kept (see `model_extra`)."""

    model_config = ConfigDict(extra="allow")

    id: ItemId
    family: Family
    description: Text
    examples: list[Text] = Field(min_length=1)
    sales_opportunity: bool = False

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == UNKNOWN:
            raise ValueError(f"'{UNKNOWN}' is reserved for calls below the confidence threshold")
        return value


class Aspect(BaseModel):
    """Something customers talk about, good or bad (delivery, price, the app...)."""

    model_config = ConfigDict(extra="allow")

    id: ItemId
    description: Text
    examples: list[Text] = []
    positive: list[Text] = []       # praise of this aspect, as customers say it
    negative: list[Text] = []       # complaints about it


class Taxonomy(BaseModel):
    """Reasons and aspects, each list with unique ids."""

    model_config = ConfigDict(extra="forbid")

    reasons: list[Reason] = Field(min_length=1)
    aspects: list[Aspect] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> "Taxonomy":
        for kind, items in (("reasons", self.reasons), ("aspects", self.aspects)):
            seen = set()
            for index, item in enumerate(items):
                if item.id in seen:
                    raise ValueError(f"{kind}[{index}]: duplicate id {item.id!r}")
                seen.add(item.id)
        return self

    def reason(self, reason_id: str) -> Reason:
        """The reason with this id (KeyError if absent)."""
        for reason in self.reasons:
            if reason.id == reason_id:
                return reason
        raise KeyError(reason_id)


def _where(loc: tuple, data: dict) -> str:
    """`reasons[3] (parcel_late).family` from a pydantic error location."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str) and len(parts) == 1:
                parts[-1] += f" ({node['id']})"
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)


def load_taxonomy(path: str | Path = DEFAULT_TAXONOMY) -> Taxonomy:
    """Read and validate a taxonomy file; any problem raises a one-line ConfigError."""
    path = Path(path)
    data = read_yaml(path, "taxonomy file")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'reasons' (and optionally 'aspects')")
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _where(first["loc"], data)
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        elif first["type"] == "missing":
            message = "required key missing"
        else:
            message = first["msg"].removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        prefix = f"{key}: " if key else ""
        raise ConfigError(f"{path}: {prefix}{message}{more}".replace("\n", " ")) from None
