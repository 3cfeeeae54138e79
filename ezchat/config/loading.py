"""Loading the settings: config.yaml's defaults, then the environment, each value converted to
its setting's type (a ``Literal`` one must be one of its values), then checked."""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml

from ezchat.config.checks import check
from ezchat.config.settings import Config, ConfigError

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "config.yaml"


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (default: the project's config.yaml), then apply ``environ``. Raises
    ``ConfigError`` naming the key or variable at fault."""
    environ = os.environ if environ is None else environ
    file = Path(path) if path is not None else DEFAULT_PATH
    raw: dict[str, Any] = {}
    if file.exists():
        try:
            loaded = yaml.safe_load(file.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{file}: expected a mapping of settings")
        raw = loaded
    fields = {f.name: f for f in dataclasses.fields(Config)}
    hints = typing.get_type_hints(Config)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ConfigError(f"{file}: unknown setting {key!r}")
        values[key] = _convert(value, hints[key], f"{key} (in {file.name})")
    for key in fields:
        env = key.upper()
        if env in environ:
            values[key] = _convert(environ[env], hints[key], env)
    config = Config(**values)
    check(config)
    return config


def _convert(value: Any, hint: Any, name: str) -> Any:
    if typing.get_origin(hint) is Literal:
        return _one_of(value, typing.get_args(hint), name)
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
    if value is None or (optional and isinstance(value, str) and value.strip() in ("", "null")):
        if optional:
            return None
        raise ConfigError(f"{name} must be set")
    try:
        if base is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if base is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if base is float:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError
            return number
        return str(value)
    except (ValueError, TypeError):
        kind = {bool: "true or false", int: "a whole number", float: "a number"}.get(base, "text")
        raise ConfigError(f"{name} must be {kind}, got {value!r}") from None


def _one_of(value: Any, allowed: tuple[str, ...], name: str) -> str:
    """``value`` as one of ``allowed``, matched without regard to case (``info`` is INFO)."""
    text = str(value).strip()
    for choice in allowed:
        if text.lower() == choice.lower():
            return choice
    raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
