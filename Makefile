# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench clean score

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/bounced serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

score: $(STAMP)
	$(PYTHON) ../shared/eval/score.py --cmd '$(BIN)/bounced parse'

bench: $(STAMP)
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/lookup.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/http.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache bounced.db bounced.db-wal bounced.db-shm bounced.db.verp-secret
