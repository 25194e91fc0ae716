"""nimbus, a local AWS cloud, from Python: start the packaged ``nimbus`` binary on a free
port, point clients at it, reset it and move its clock.

    from nimbus_cloud import Nimbus

    with Nimbus() as cloud:
        ec2 = cloud.client("ec2")
        ec2.create_vpc(CidrBlock="10.0.0.0/16")

The pytest plugin (``nimbus_cloud.pytest_plugin``) wraps this class in fixtures.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import sysconfig
import threading
import time
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

__all__ = ["Nimbus", "NimbusError", "binary", "__version__"]

try:
    __version__ = metadata.version("nimbus-cloud")
except metadata.PackageNotFoundError:  # imported from a source tree
    __version__ = "0.0.0"

DEFAULT_REGION = "us-east-1"
# The endpoint among the start-up lines of text logs, or the field of JSON logs.
_LISTENING = re.compile(r"AWS_ENDPOINT_URL='?(https?)://([^'\s]+)|\"endpoint\":\"(https?)://([^\"]+)\"")


class NimbusError(RuntimeError):
    """nimbus did not start, or an admin call failed."""


def binary() -> str:
    """The ``nimbus`` executable: ``$NIMBUS_BIN`` if set, else the one this package
    installed (beside this interpreter's scripts), else the first on ``PATH``."""
    override = os.environ.get("NIMBUS_BIN")
    if override:
        return override
    schemes = [None] + [s for s in (f"{os.name}_user",) if s in sysconfig.get_scheme_names()]
    for scheme in schemes:
        scripts = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        candidate = Path(scripts) / "nimbus"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("nimbus")
    if found:
        return found
    raise NimbusError("no nimbus binary: install nimbus-cloud, or set NIMBUS_BIN")


class Nimbus:
    """One nimbus process with fresh, in-memory state on a free loopback port."""

    def __init__(
        self,
        *,
        args: Iterable[str] = (),
        access_key: str = "test",
        secret_key: str = "test",
        account: str = "000000000000",
        region: str = DEFAULT_REGION,
        executable: Optional[str] = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.args = list(args)
        self.access_key = access_key
        self.secret_key = secret_key
        self.account = account
        self.region = region
        self.executable = executable
        self.startup_timeout = startup_timeout
        self.endpoint: Optional[str] = None
        self.port: Optional[int] = None
        self.process: Optional[subprocess.Popen] = None
        self._log: collections.deque = collections.deque(maxlen=200)
        self._clients: Dict[Any, Any] = {}
        self._drainer: Optional[threading.Thread] = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> "Nimbus":
        if self.process is not None:
            return self
        exe = self.executable or binary()
        # The user's own NIMBUS_* settings (a state directory, say) must not leak into a
        # fixture that promises a fresh cloud: everything is passed as flags.
        env = {k: v for k, v in os.environ.items() if not k.startswith("NIMBUS_")}
        env["NO_COLOR"] = "1"
        cmd = [
            exe,
            "--host", "127.0.0.1",
            "--port", "0",
            "--log-format", "text",
            "--credentials", f"{self.access_key}:{self.secret_key}:{self.account}",
            *self.args,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
        )
        address = self._read_address()
        self._drainer = threading.Thread(
            target=self._drain, args=(self.process.stderr,), name="nimbus-log", daemon=True
        )
        self._drainer.start()
        scheme, hostport = address
        self.endpoint = f"{scheme}://{hostport}"
        self.port = int(hostport.rsplit(":", 1)[1])
        self._wait_healthy()
        return self

    def _read_address(self):
        assert self.process is not None and self.process.stderr is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self._log.append(line)
            match = _LISTENING.search(line)
            if match:
                return (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        self.stop()
        raise NimbusError("nimbus did not start:\n" + "".join(self._log))

    def _drain(self, stream) -> None:
        try:
            for line in stream:
                self._log.append(line)
        except (OSError, ValueError):  # closed under it
            pass

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                if self.health().get("status") == "running":
                    return
            except (OSError, NimbusError):
                pass
            if time.monotonic() > deadline or (self.process and self.process.poll() is not None):
                self.stop()
                raise NimbusError("nimbus did not become healthy:\n" + "".join(self._log))
            time.sleep(0.02)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        process, self.process = self.process, None
        self._clients.clear()
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # The log reaches its end once nimbus has exited; then the pipe can be closed.
        drainer, self._drainer = self._drainer, None
        if drainer is not None:
            drainer.join(timeout=5)
        if process.stderr:
            process.stderr.close()

    def __enter__(self) -> "Nimbus":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def log(self) -> str:
        """The last lines nimbus logged."""
        return "".join(self._log)

    # -- clients ---------------------------------------------------------------------

    @property
    def env(self) -> Dict[str, str]:
        """The variables AWS SDKs and tools read (what ``nimbus env`` prints)."""
        if self.endpoint is None:
            raise NimbusError("nimbus is not running")
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def client(self, service: str, region: Optional[str] = None, **kwargs: Any):
        """A boto3 client for ``service`` on this nimbus (cached per service and region
        when called without extra arguments)."""
        region = region or self.region
        key = (service, region) if not kwargs else None
        if key is not None and key in self._clients:
            return self._clients[key]
        made = _boto3_client(service, self.endpoint, region, self.access_key, self.secret_key, kwargs)
        if key is not None:
            self._clients[key] = made
        return made

    # -- admin API (/_nimbus/...) ----------------------------------------------------

    def _admin(self, method: str, path: str, body: Optional[dict] = None) -> dict:
        if self.endpoint is None:
            raise NimbusError("nimbus is not running")
        return _admin(self.endpoint, method, path, body)

    def health(self) -> dict:
        return self._admin("GET", "/_nimbus/health")

    def reset(self) -> None:
        """Empty every account and region: a fresh cloud, same process and port."""
        self._admin("POST", "/_nimbus/reset")

    def advance_clock(self, seconds: float) -> dict:
        """Move nimbus's clock forward (lifecycles and alarm evaluation follow it).
        Returns ``{"now": ..., "offsetSeconds": ...}``."""
        return self._admin("POST", "/_nimbus/clock", {"advanceSeconds": seconds})

    def clock(self) -> dict:
        return self._admin("GET", "/_nimbus/clock")

    def state(self) -> dict:
        """The whole state as JSON, per service."""
        return self._admin("GET", "/_nimbus/state")

    def __repr__(self) -> str:
        return f"<Nimbus {self.endpoint or 'stopped'}>"


def _admin(endpoint: str, method: str, path: str, body: Optional[dict] = None) -> dict:
    """A call to nimbus's admin API (``/_nimbus/...``), its JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(endpoint + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise NimbusError(f"{method} {path}: {e.code} {e.read().decode(errors='replace')}") from None


def _boto3_client(service: str, endpoint: Optional[str], region: str, access_key: str, secret_key: str, extra: dict):
    import boto3  # only needed by those who ask for a client

    options = dict(
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )
    options.update(extra)
    return boto3.session.Session().client(service, **options)
