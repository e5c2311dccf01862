# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench clean score

# pip's and the build backend's chatter goes to a log, shown only when the install fails
$(STAMP): pyproject.toml
	@echo "installing bounced into $(VENV) (log: $(VENV)/install.log)"
	@$(PYTHON) -m venv $(VENV)
	@{ $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -e '.[test]'; } >$(VENV)/install.log 2>&1 \
	  || { cat $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

# make run [CONFIG=path/to/bounced.toml]
run: $(STAMP)
	$(BIN)/bounced serve$(if $(CONFIG), --config '$(CONFIG)')

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
