import os
from pathlib import Path

import pytest
import yaml

from callscope.config import DEFAULT_CONFIG, Settings, load_settings
from callscope.errors import ConfigError


def test_default_yaml_matches_built_in_defaults():
    assert Settings.model_validate(yaml.safe_load(DEFAULT_CONFIG.read_text())) == Settings()


def test_long_defaults_come_from_the_packaged_yaml():
    packaged = yaml.safe_load(DEFAULT_CONFIG.read_text())
    settings = Settings()
    assert settings.roles.greetings == packaged["roles"]["greetings"]
    assert settings.enrich.signals.phrases == packaged["enrich"]["signals"]["phrases"]
    assert [rule.action for rule in settings.actions.rules] == [rule["action"] for rule in packaged["actions"]["rules"]]
    settings.roles.greetings.append("hello")        # each Settings gets its own copy
    assert "hello" not in Settings().roles.greetings


def test_keyword_overrides_apply_after_the_file(tmp_path: Path):
    path = tmp_path / "my.yaml"
    path.write_text("asr:\n  beam_size: 2\n  model: small\n")
    settings = load_settings(path, asr={"model": "tiny.en"}, run={"jobs": 2})
    assert (settings.asr.model, settings.asr.beam_size, settings.run.jobs) == ("tiny.en", 2, 2)
    with pytest.raises(ConfigError, match=r"^load_settings\(\) arguments: asr.beam_size: Input should be"):
        load_settings(asr={"beam_size": 0})


def test_user_file_overrides_only_what_it_names(tmp_path: Path):
    path = tmp_path / "my.yaml"
    path.write_text("asr:\n  beam_size: 2\n  language: fr\n")
    settings = load_settings(path)
    assert settings.asr.beam_size == 2 and settings.asr.language == "fr"
    assert settings.asr.model == "base" and settings.run.jobs == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("asr:\n  beem_size: 3\n", "my.yaml: asr.beem_size: unknown key"),
        ("asr:\n  beam_size: 0\n", "my.yaml: asr.beam_size: Input should be greater than or equal to 1"),
        ("output:\n  formats: [json, docx]\n", "my.yaml: output.formats.1: Input should be"),
        ("roles:\n  channels: {0: boss}\n", "my.yaml: roles.channels.0: Input should be"),
        ("asr: [1, 2\n", "my.yaml: not valid YAML"),
        ("- a\n- b\n", "my.yaml: expected a mapping"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, expected: str):
    path = tmp_path / "my.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    message = str(raised.value)
    assert message.startswith(str(tmp_path)) and expected in message
    assert "\n" not in message


def test_missing_config_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "absent.yaml")


def test_fingerprint_ignores_jobs_but_not_model():
    base = Settings()
    more_jobs = Settings(run={"jobs": 4})
    other_model = Settings(asr={"model": "tiny.en"})
    assert base.fingerprint() == more_jobs.fingerprint()
    assert base.fingerprint() != other_model.fingerprint()


def test_channel_settings_do_not_change_the_fingerprint_of_calls():
    base = load_settings()
    assert load_settings(channels={"company_domains": ["Northwind.example"]}).fingerprint() == base.fingerprint()
    assert load_settings(channels={"company_domains": ["@Northwind.example"]}).channels.company_domains == [
        "northwind.example"]


def test_jobs_default_to_one_per_core_but_never_more_than_the_recordings(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    run = Settings().run
    assert (run.jobs_for(10), run.jobs_for(3), run.jobs_for(1), run.jobs_for(0)) == (4, 3, 1, 1)
    assert Settings(run={"jobs": 2}).run.jobs_for(1) == 2
