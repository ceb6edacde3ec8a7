"""Import a module that sits beside a recipe's train.py, so a copied recipe directory runs its own trainer.py.

`from recipes.ppo_geo.trainer import ...` in a copy at recipes/mine/ would silently keep running ppo_geo's file;
loading by path cannot. Registered in sys.modules under a name derived from the path (pickling a config class,
as Trainer does for training_args.bin, needs one)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def import_beside(script: str, name: str) -> ModuleType:
    path = Path(script).resolve().with_name(f"{name}.py")
    directory = path.parent
    qualified = f"{directory.parent.name}.{directory.name}.{name}"
    loaded = sys.modules.get(qualified)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() == path:
        return loaded
    spec = importlib.util.spec_from_file_location(qualified, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module
