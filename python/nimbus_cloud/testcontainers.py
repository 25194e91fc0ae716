"""nimbus's container image as a testcontainers module (``pip install 'nimbus-cloud[testcontainers]'``).

    from nimbus_cloud.testcontainers import NimbusContainer

    with NimbusContainer("nimbus:latest") as cloud:
        ec2 = cloud.client("ec2")
        ec2.create_vpc(CidrBlock="10.0.0.0/16")
        cloud.advance_clock(3600)
        cloud.reset()

The container is ready once ``/_nimbus/health`` answers on the published port; the
image's own HEALTHCHECK is not waited for (podman without systemd never runs it).
"""

from __future__ import annotations

import time
from typing import Any, Dict, Optional

from testcontainers.core.container import DockerContainer

from . import DEFAULT_REGION, NimbusError, _admin, _boto3_client

__all__ = ["NimbusContainer"]

PORT = 4566


class NimbusContainer(DockerContainer):
    """A container of the nimbus image, its port 4566 published on a free host port.

    ``image`` is the tag the image was built with (``podman build -t nimbus .`` makes
    ``nimbus:latest``). The credential pair is handed to nimbus as
    ``NIMBUS_CREDENTIALS``; other settings go in with ``with_env("NIMBUS_...", ...)``
    before start (``NIMBUS_EC2_INSTANCE_QUOTA``, ``NIMBUS_EC2_TRANSITION_SECS``, ...).
    """

    def __init__(
        self,
        image: str = "nimbus:latest",
        *,
        access_key: str = "test",
        secret_key: str = "test",
        account: str = "000000000000",
        region: str = DEFAULT_REGION,
        startup_timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(image, **kwargs)
        self.access_key = access_key
        self.secret_key = secret_key
        self.account = account
        self.region = region
        self.startup_timeout = startup_timeout
        self._clients: Dict[Any, Any] = {}
        self.with_exposed_ports(PORT)
        self.with_env("NIMBUS_CREDENTIALS", f"{access_key}:{secret_key}:{account}")

    def start(self) -> "NimbusContainer":
        super().start()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                if self.health().get("status") == "running":
                    return self
            except (OSError, NimbusError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                logs = self._logs_text()
                self.stop()
                raise NimbusError(f"nimbus in {self.image} did not answer /_nimbus/health:\n{logs}")
            time.sleep(0.1)

    def stop(self, force: bool = True, delete_volume: bool = True) -> None:
        self._clients.clear()
        super().stop(force=force, delete_volume=delete_volume)

    def _logs_text(self) -> str:
        try:
            out, err = self.get_logs()
            return (out or b"").decode(errors="replace") + (err or b"").decode(errors="replace")
        except Exception as e:  # the container may be gone already
            return f"(no logs: {e})"

    @property
    def endpoint(self) -> str:
        """``http://<host>:<published port>``, for every service."""
        return f"http://{self.get_container_host_ip()}:{self.get_exposed_port(PORT)}"

    @property
    def client_env(self) -> Dict[str, str]:
        """The variables AWS SDKs and tools read (what ``nimbus env`` prints)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def client(self, service: str, region: Optional[str] = None, **kwargs: Any):
        """A boto3 client for ``service`` on this container (cached per service and
        region when called without extra arguments)."""
        region = region or self.region
        key = (service, region) if not kwargs else None
        if key is not None and key in self._clients:
            return self._clients[key]
        made = _boto3_client(service, self.endpoint, region, self.access_key, self.secret_key, kwargs)
        if key is not None:
            self._clients[key] = made
        return made

    def health(self) -> dict:
        return _admin(self.endpoint, "GET", "/_nimbus/health")

    def reset(self) -> None:
        """Empty every account and region: a fresh cloud, same container."""
        _admin(self.endpoint, "POST", "/_nimbus/reset")

    def advance_clock(self, seconds: float) -> dict:
        """Move nimbus's clock forward; returns ``{"now": ..., "offsetSeconds": ...}``."""
        return _admin(self.endpoint, "POST", "/_nimbus/clock", {"advanceSeconds": seconds})

    def clock(self) -> dict:
        return _admin(self.endpoint, "GET", "/_nimbus/clock")

    def state(self) -> dict:
        """The whole state as JSON, per service, account and region."""
        return _admin(self.endpoint, "GET", "/_nimbus/state")
