# The entry point for humans: make install · test · demo · train RECIPE= · data SOURCE= · bench-rewards · lint
VENV ?= .venv
PY := $(VENV)/bin/python
RECIPE ?= grpo_geo
SOURCE ?= synthetic
ARGS ?=
DEMO_DIR ?= demo_output
DATA_DIR ?= data
INPUT ?=
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install test demo train data eval bench-rewards bench-eval lint clean

install: $(VENV)/.installed

# Re-runs only when the pins or the package list change; a second `make install` is a no-op.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

test: install
	$(PY) -m pytest -q

# Until the demo issue lands: the smallest end-to-end run (tiny Qwen2-VL, synthetic angles, 2 GRPO steps).
demo: install
	$(PY) -m recipes.common.tiny --family qwen2_vl --out $(DEMO_DIR)/tiny-qwen2vl
	$(PY) -m data_prep synthetic --task angles --n 64 --out $(DEMO_DIR)/angles
	$(VENV)/bin/accelerate launch --cpu --num_processes 1 recipes/grpo_geo/train.py \
		--model_name_or_path $(DEMO_DIR)/tiny-qwen2vl --dataset $(DEMO_DIR)/angles \
		--max_steps 2 --max_completion_length 64 --output_dir $(DEMO_DIR)/grpo_geo $(ARGS)

train: install
	$(VENV)/bin/accelerate launch recipes/$(RECIPE)/train.py $(ARGS)

# make data SOURCE=geoqa_r1v INPUT=leonardPKU/GEOQA_R1V_Train_8K  ->  data/geoqa_r1v, which recipes name as `dataset: geoqa_r1v`
data: install
	$(PY) -m data_prep $(SOURCE) --out $(DATA_DIR)/$(SOURCE) $(if $(INPUT),--input $(INPUT)) $(ARGS)

bench-rewards: install
	$(PY) benchmarks/bench_rewards.py

lint: install
	$(PY) -m pip install -q ruff && $(VENV)/bin/ruff check .

clean:
	rm -rf $(DEMO_DIR) .pytest_cache

# The MAYE evaluation scheme on a recipe's base model and checkpoints: make eval RECIPE=grpo_geo [ARGS="--limit 50"]
eval: install
	$(PY) -m eval --recipe $(RECIPE) $(ARGS)

bench-eval: install
	$(PY) benchmarks/bench_eval.py
