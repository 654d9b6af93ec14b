"""Reads the catalogue file and turns validation errors into one readable message."""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Union

import yaml
from pydantic import ValidationError

from service_catalogue.model import Catalogue, CatalogueError

DEFAULT_PATH = Path(__file__).with_name("services.yml")
ENV_VAR = "STADSLOKET_CATALOGUE"


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"] if part != "__root__")
        lines.append(f"  {where or '(top level)'}: {item['msg']}")
    return "\n".join(lines)


def read_catalogue(path: Union[str, Path]) -> Catalogue:
    """Reads and validates one catalogue file; raises CatalogueError naming field and reason."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"cannot read the service catalogue {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"the service catalogue {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise CatalogueError(f"the service catalogue {path} must be a mapping at the top level")
    try:
        return Catalogue.parse_obj(raw)
    except ValidationError as exc:
        raise CatalogueError(
            f"the service catalogue {path} is invalid:\n{_describe(exc)}"
        ) from None


@functools.lru_cache(maxsize=None)
def _cached(path: str) -> Catalogue:
    return read_catalogue(path)


def load_catalogue() -> Catalogue:
    """The catalogue this process serves, read once."""
    return _cached(os.environ.get(ENV_VAR, str(DEFAULT_PATH)))
