"""Hooks that standards offers the apps above it (cms).

A published version must reach each adopting point's guide, but guides are
cms's pages and standards may not import cms (docs/architecture.md). cms
registers the function that applies a version at a point in its
AppConfig.ready(); propagation calls it through here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenants.models import ServicePoint

    from .models import StandardItemVersion

# (point, version) -> (target status, detail), run inside the point's schema.
VersionApplier = Callable[["ServicePoint", "StandardItemVersion"], tuple[str, str]]
_applier: VersionApplier | None = None


def register_version_applier(applier: VersionApplier) -> None:
    global _applier
    _applier = applier


def apply_version(point: ServicePoint, version: StandardItemVersion) -> tuple[str, str]:
    if _applier is None:
        raise RuntimeError("no app registered how a standard version reaches a point's guide")
    return _applier(point, version)
