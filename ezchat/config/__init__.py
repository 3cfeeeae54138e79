"""Configuration: defaults from config.yaml, overridden by environment variables, loaded once
into a frozen typed object. Nothing else in EZChat reads os.environ or YAML."""

from ezchat.config.kept import data_dir_needed, data_dir_problem, kept_secret, secret_key
from ezchat.config.loading import DEFAULT_PATH, load_config
from ezchat.config.origins import origin_list, origin_problem
from ezchat.config.settings import Config, ConfigError

__all__ = [
    "DEFAULT_PATH",
    "Config",
    "ConfigError",
    "data_dir_needed",
    "data_dir_problem",
    "kept_secret",
    "load_config",
    "origin_list",
    "origin_problem",
    "secret_key",
]
