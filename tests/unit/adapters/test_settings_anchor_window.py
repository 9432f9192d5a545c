"""``DOJANG_ANCHOR_WINDOW``: the log-time bound the operator publishes, defaulting to the verifier's."""

from __future__ import annotations

import pytest

from dojang.adapters.settings import ANCHOR_WINDOW_ENV, LogSettings
from dojang.errors import ConfigError
from dojang.roles.verifier import DEFAULT_ANCHOR_WINDOW


def test_the_default_is_the_verifiers() -> None:
    assert LogSettings().anchor_window == DEFAULT_ANCHOR_WINDOW
    assert LogSettings.from_env({}).anchor_window == DEFAULT_ANCHOR_WINDOW
    assert LogSettings.from_env({ANCHOR_WINDOW_ENV: ""}).anchor_window == DEFAULT_ANCHOR_WINDOW


def test_a_set_window_is_read_in_seconds() -> None:
    assert LogSettings.from_env({ANCHOR_WINDOW_ENV: "900"}).anchor_window == 900
    assert LogSettings.from_env({ANCHOR_WINDOW_ENV: "86400"}).anchor_window == 86_400


@pytest.mark.parametrize("value", ["1h", "3600.5", "0", "-60", "true"])
def test_a_window_that_is_not_a_positive_number_of_seconds_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match=ANCHOR_WINDOW_ENV):
        LogSettings.from_env({ANCHOR_WINDOW_ENV: value})


def test_a_window_shorter_than_the_checkpoint_interval_is_refused() -> None:
    # Genuine credentials wait up to one interval for their checkpoint: such a window rejects them.
    with pytest.raises(ConfigError, match="DOJANG_ANCHOR_INTERVAL"):
        LogSettings.from_env({ANCHOR_WINDOW_ENV: "30"})
    with pytest.raises(ConfigError, match="no shorter than"):
        LogSettings.from_env({ANCHOR_WINDOW_ENV: "3600", "DOJANG_ANCHOR_INTERVAL": "7200"})
    assert LogSettings.from_env({ANCHOR_WINDOW_ENV: "60"}).anchor_window == 60
