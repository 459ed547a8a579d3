"""What every test shares."""

from __future__ import annotations

import pytest
from fastapi.dependencies import models as fastapi_models

# FastAPI keeps, per process, up to 4,096 endpoint and dependency functions it has classified (sync or async,
# generator or not) in lru_caches keyed on the functions themselves. A server builds one app, so that is a
# fixed cost there; a test process builds hundreds, and each app's closures (its register, its engines, its
# writer's state: some 33,000 objects) stayed alive until those caches evicted them, about fifteen apps at a
# time. Every app start's full garbage collection walked them all: 0.15 s for the first app, 0.6 s by the
# sixteenth. Forgotten after each test, the apps a test built are freed with it.
_CLASSIFICATION_CACHES = [f for f in vars(fastapi_models).values() if callable(getattr(f, "cache_clear", None))]


def forget_stopped_apps() -> None:
    for cache in _CLASSIFICATION_CACHES:
        cache.cache_clear()


@pytest.fixture(autouse=True)
def _forget_stopped_apps():
    yield
    forget_stopped_apps()
