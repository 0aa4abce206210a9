# Two commands are all you need:  make demo   and   make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test browser release kit lab benchmark benchmark-training clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)  ## create .venv and install everything

demo: $(STAMP)  ## release the course into a temporary folder and grade the three bundled example submissions
	$(BIN)/python -m autograder demo

JOBS ?= $(shell nproc 2>/dev/null || echo 2)

test: $(STAMP) browser  ## run the whole test suite on every core (what CI runs; JOBS=1 for one process)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

browser:  ## Debian's chromium, which the browser test drives (apt-get installs it when missing and run as root)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser test (apt-get)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
			|| echo "note: chromium could not be installed; the browser test will be skipped"; \
	else echo "note: no chromium, and not root to install it: the browser test will be skipped (sudo apt-get install chromium)"; fi

release: $(STAMP)  ## regenerate assignments/ and the cs231n_lib/ stubs from solutions/ (refuses to overwrite work; FORCE=1 overrides)
	$(BIN)/python -m autograder release $(if $(FORCE),--force)

kit: $(STAMP)  ## write the student kit into KIT (a folder, or a .zip; default build/cs231n-kit); never overwrites work
	$(BIN)/python -m autograder release --student-kit $(or $(KIT),build/cs231n-kit)

lab: $(STAMP)  ## open JupyterLab at the checkout's root (solutions/, assignments/, cs231n_lib/); as root with --allow-root
	$(BIN)/jupyter lab --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

benchmark: $(STAMP)  ## seconds per submission: our grader versus nbgrader autograde; grade-all on 1, 2 and all cores
	$(BIN)/python benchmarks/grading_speed.py
	$(BIN)/python benchmarks/batch_grading.py

benchmark-training: $(STAMP)  ## ms per training step: our FullyConnectedNet versus PyTorch on the CPU (THREADS=1)
	$(BIN)/python benchmarks/training_step.py --threads $(or $(THREADS),1)

clean:  ## remove the virtual environment
	rm -rf $(VENV)
