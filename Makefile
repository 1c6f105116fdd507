# callscope: `make run` sets everything up and processes sample_audio/; `make test` runs every test (CI),
# `make test-fast` those that load no model and build no large corpus (pytest marker `slow` left out).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out
export HF_HUB_OFFLINE := 1

.PHONY: install run test test-fast bench lock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "callscope needs Python 3.11 (set PYTHON=...)"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev,cluster]'
	@# PyPI's torchaudio is a CUDA build whose native libs fail beside CPU torch; pyannote only needs
	@# its pure-Python parts, so the libs are removed from this venv only, and only when they fail.
	$(BIN)/python -c 'import torchaudio' 2>/dev/null || rm -f $(VENV)/lib/python3.11/site-packages/torchaudio/lib/*.so
	$(BIN)/python -W ignore -c 'import torchaudio, pyannote.audio'
	$(BIN)/callscope models verify
	touch $@

run: install
	$(BIN)/callscope run sample_audio sample_text --config sample_text/northwind.yaml --out $(OUT)

test: install
	$(BIN)/pytest -q -n 2 --dist loadfile

test-fast: install
	$(BIN)/pytest -q -m "not slow"

bench: install
	$(BIN)/python benchmarks/bench_transcribe.py --out benchmarks/results
	$(BIN)/python benchmarks/bench_diarization.py --json benchmarks/results/diarization.json
	$(BIN)/python benchmarks/bench_long_call.py --minutes 20 --json benchmarks/results/long_call.json
	$(BIN)/python benchmarks/bench_reports.py --out benchmarks/results/reports
	$(BIN)/python benchmarks/bench_chats.py --json benchmarks/results/chats.json
	$(BIN)/python benchmarks/bench_roles_by_words.py --json benchmarks/results/roles_by_words.json
	$(BIN)/python benchmarks/bench_reasons_cs.py --json benchmarks/results/reasons_cs.json
	$(BIN)/python benchmarks/bench_call_sentiment.py --json benchmarks/results/call_sentiment.json
	$(BIN)/python benchmarks/bench_aspects.py --json benchmarks/results/aspects.json  # add --mams DIR --semeval DIR for the third-party sets
	@# Real speech in phone conditions (docs/real_speech.md): the set is built from ../shared/data into ../phone_dev,
	@# then callscope's ASR and mono diarisation are compared with plain faster-whisper and plain pyannote.
	test ! -d ../shared/data/spokenwoz_dev || $(BIN)/python benchmarks/phone_devset.py
	test ! -f ../phone_dev/READY || $(BIN)/python benchmarks/bench_phone_asr.py --json benchmarks/results/phone_asr.json
	test ! -f ../phone_dev/READY || $(BIN)/python benchmarks/bench_phone_diarization.py --json benchmarks/results/phone_diarization.json
	@# Speed (issue 17): 30 min of the real phone set through `callscope run` and plain faster-whisper; where the time goes.
	test ! -f ../phone_dev/READY || $(BIN)/python benchmarks/bench_speed.py --json benchmarks/results/speed.json
	@# The text-model benchmarks need ../shared/data (CLINC150); they are skipped without it.
	test ! -d ../shared/data/clinc150 || $(BIN)/python benchmarks/bench_reasons_clinc.py --out benchmarks/results
	test ! -d ../shared/data/clinc150 || $(BIN)/python benchmarks/bench_topics_clinc.py --sizes 10 --selections eom --out benchmarks/results

# Refresh the pinned versions of every installed package (after changing pyproject.toml).
lock: install
	$(BIN)/pip freeze --exclude-editable | sed 's/+cpu//' > requirements.lock

clean:
	rm -rf $(VENV) $(OUT)
