"""pytest fixtures for nimbus (registered through the ``pytest11`` entry point).

- ``nimbus``: a running nimbus; one per session by default (``nimbus_scope`` in the ini
  file or ``--nimbus-scope`` picks another scope, ``function`` for a fresh one per test).
- ``nimbus_fresh``: a nimbus of the test's own, whatever ``nimbus`` is.
- ``@pytest.mark.nimbus_reset``: empty the shared nimbus before that test.

While a fixture lives, ``AWS_ENDPOINT_URL``, the credential pair and the region are set in
the environment (and the previous values come back after), so code under test that makes
its own clients reaches nimbus too.
"""

from __future__ import annotations

import contextlib

import pytest

from . import Nimbus

_SCOPES = ("session", "package", "module", "class", "function")
_UNSET_FOR_TESTS = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def pytest_addoption(parser):
    group = parser.getgroup("nimbus", "nimbus, a local AWS cloud")
    group.addoption("--nimbus-scope", choices=_SCOPES, help="scope of the `nimbus` fixture [default: session]")
    parser.addini("nimbus_scope", "scope of the `nimbus` fixture: " + ", ".join(_SCOPES), default="session")
    parser.addini("nimbus_args", "extra nimbus command-line arguments (e.g. --ec2-transition-secs 1)", type="args")


def pytest_configure(config):
    config.addinivalue_line("markers", "nimbus_reset: reset the shared nimbus to an empty cloud before this test")


def _scope(fixture_name, config):
    scope = config.getoption("nimbus_scope") or config.getini("nimbus_scope") or "session"
    if scope not in _SCOPES:
        raise pytest.UsageError(f"nimbus_scope = {scope!r}: expected one of {', '.join(_SCOPES)}")
    return scope


@contextlib.contextmanager
def _running(config):
    with Nimbus(args=config.getini("nimbus_args")) as cloud, pytest.MonkeyPatch.context() as mp:
        for name in _UNSET_FOR_TESTS:
            mp.delenv(name, raising=False)
        for name, value in cloud.env.items():
            mp.setenv(name, value)
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield cloud


@pytest.fixture(scope=_scope)
def nimbus(request):
    """A running nimbus (``.endpoint``, ``.client("ec2")``, ``.reset()``,
    ``.advance_clock(seconds)``, ``.state()``); session-scoped unless configured."""
    with _running(request.config) as cloud:
        yield cloud


@pytest.fixture
def nimbus_fresh(request):
    """A nimbus of this test's own, stopped after it."""
    with _running(request.config) as cloud:
        yield cloud


@pytest.fixture(autouse=True)
def _nimbus_reset_marker(request):
    if request.node.get_closest_marker("nimbus_reset") is not None and "nimbus" in request.fixturenames:
        request.getfixturevalue("nimbus").reset()
    yield
