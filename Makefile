# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench clean score catalogs

# pip's and the build backend's chatter goes to a log, shown only when the install fails
$(STAMP): pyproject.toml
	@echo "installing bounced into $(VENV) (log: $(VENV)/install.log)"
	@$(PYTHON) -m venv $(VENV)
	@{ $(BIN)/pip install -q --upgrade pip && $(BIN)/pip install -q -e '.[test]'; } >$(VENV)/install.log 2>&1 \
	  || { cat $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

# make run [CONFIG=path/to/bounced.toml]: the daemon, and beside it `bounced web` (the API and the
# support page on 127.0.0.1:8025; on the first start it prints a one-time sign-in link); Ctrl-C stops both
run: $(STAMP)
	$(BIN)/bounced web --create$(if $(CONFIG), --config '$(CONFIG)') & web=$$!; trap 'kill $$web 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/bounced serve$(if $(CONFIG), --config '$(CONFIG)')

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The support page's translations: extract the strings, merge them into each language's .po,
# compile the .mo files (committed, so an installed wheel needs no build step).
LOCALE := bounced/web/pages/locale
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ --no-location --sort-output --omit-header -o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --width 100 --ignore-obsolete
	$(BIN)/pybabel compile -d $(LOCALE) -D messages

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
