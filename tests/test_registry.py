"""Model registry: bundled weights are joined once, verified by sha256, and errors say how to fix them."""

import shutil
from pathlib import Path

import pytest

from callscope import registry
from callscope.errors import ModelError
from callscope.nlp.embeddings import MiniLMEmbedder, USEEmbedder


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CALLSCOPE_CACHE", str(tmp_path))
    return tmp_path


def test_base_is_joined_into_the_cache_and_verified(cache):
    directory = Path(registry.resolve("base"))
    assert directory == cache / "models" / "whisper-base"
    assert (directory / "model.bin").stat().st_size == 145_217_532
    assert sorted(p.name for p in directory.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]


@pytest.mark.slow
def test_a_damaged_cached_file_is_rebuilt(cache):
    directory = Path(registry.resolve("base"))
    with open(directory / "model.bin", "r+b") as handle:
        handle.seek(1000)
        handle.write(b"\0" * 16)
    assert registry.resolve("base") == str(directory)
    assert registry.status("base") == "ok"


def test_tiny_en_is_used_in_place():
    assert Path(registry.resolve("tiny.en"), "model.bin").is_file()


def test_damaged_package_files_are_reported_with_the_fix(cache, tmp_path, monkeypatch):
    fake = tmp_path / "pkg"
    (fake / "data").mkdir(parents=True)
    for name in ("model.bin.part1", "config.json", "tokenizer.json", "vocabulary.txt"):
        (fake / "data" / name).write_bytes(b"damaged")
    broken = registry.BundledModel(name="base", description="", packages=("p1", "p2"),
                                   files=registry.WHISPER_BASE.files, parts=registry.WHISPER_BASE.parts)
    monkeypatch.setattr(registry.BundledModel, "package_dir", lambda self, package: fake)
    monkeypatch.setitem(registry.BUNDLED, "base", broken)
    with pytest.raises(ModelError) as raised:
        registry.resolve("base")
    message = str(raised.value)
    assert "model.bin.part2 is missing" in message and "make install" in message


def test_unknown_names_and_bad_directories(tmp_path):
    with pytest.raises(ModelError, match="unknown name; use one of base, tiny.en"):
        registry.resolve("huge")
    with pytest.raises(ModelError, match="not a CTranslate2 model directory"):
        registry.resolve(str(tmp_path))
    assert registry.resolve("Systran/faster-whisper-small") == "Systran/faster-whisper-small"


def test_a_local_ctranslate2_directory_is_accepted():
    local = registry.resolve("tiny.en")
    assert registry.resolve(local) == str(Path(local).resolve())


@pytest.mark.parametrize("name, damaged", [("minilm", "model/model.safetensors"), ("use", "resources/sp.model")])
def test_a_corrupted_copy_of_an_embedder_is_rejected(tmp_path, name, damaged):
    model = registry.EMBEDDERS[name]
    installed = model.package_dir(model.packages[0])
    copy = tmp_path / name
    for relative in model.files:
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(installed / relative, copy / relative)
    assert registry.embedder_dir(name, copy) == copy
    with open(copy / damaged, "r+b") as handle:
        handle.seek(4096)
        byte = handle.read(1)
        handle.seek(4096)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError, match=rf"^model '{name}': .*{damaged} is corrupt \(sha256 mismatch\)"):
        registry.embedder_dir(name, copy)


@pytest.mark.parametrize("backend", [MiniLMEmbedder, USEEmbedder])
def test_the_embedders_verify_their_files_before_loading(tmp_path, monkeypatch, backend):
    (tmp_path / "model" / "1_Pooling").mkdir(parents=True)
    (tmp_path / "resources").mkdir()
    for relative in registry.EMBEDDERS[backend.name].files:
        (tmp_path / relative).write_bytes(b"not the weights")
    monkeypatch.setattr(registry.BundledModel, "package_dir", lambda self, package: tmp_path)
    with pytest.raises(ModelError, match=rf"model '{backend.name}': .* is corrupt"):
        backend().encode(["hello"])


def test_status_covers_the_embedders():
    assert registry.status("minilm") == "ok" and registry.status("use") == "ok"
