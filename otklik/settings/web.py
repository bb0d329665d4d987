"""Settings of the web UI part (templates, channels, static), applied to the settings namespace by base.py."""

from typing import Any


def configure(settings: dict[str, Any]) -> None:
    """Add or adjust settings of this part; called once at the end of base.py."""
