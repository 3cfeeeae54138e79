# The two set-up commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean redis-server browser

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

# The scale-out tests need Redis: they use the one on 127.0.0.1:6379 when it answers and start
# their own redis-server otherwise, so the binary must be there.
# The browser tests drive Debian's headless Chromium (playwright cannot download browsers here),
# and full Chromium in its new headless mode, which has notifications, for Web Push.
test: $(STAMP)
	@command -v redis-server >/dev/null 2>&1 || $(MAKE) --no-print-directory redis-server
	@command -v chromium-headless-shell >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 \
		|| $(MAKE) --no-print-directory browser
	$(PY) -m pytest

redis-server:
	@echo "installing redis-server (needed by the scale-out tests)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server

browser:
	@echo "installing chromium-headless-shell and chromium (needed by the browser tests)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell chromium

lint: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev]'
	$(VENV)/bin/ruff check ezchat tests
	$(VENV)/bin/ruff format --check ezchat tests
	$(VENV)/bin/mypy

# The benchmark suite (about 25 minutes; not part of `make test`): docs/benchmarks.md
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench.run
	$(PY) -m bench.storm --users 2000,5000 --env USER_CACHE_SIZE=10000 --env MESSAGE_CACHE_SIZE=20000
	$(PY) -m bench.pipeline
	$(PY) -m bench.dm_rtt
	$(PY) -m bench.conn_cycles
	$(PY) -m bench.large_room --members 10000 --processes 4 --duration 30

clean:
	rm -rf $(VENV) build *.egg-info
