"""nimbus's own surface with real clients: TLS (self-signed and from PEM files), the
config file and environment variables, start-up time, SIGTERM."""

import json
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time
import warnings

import boto3
import pytest
import urllib3
from botocore.config import Config

BIN = os.environ.get("NIMBUS_BIN")
pytestmark = pytest.mark.skipif(not BIN, reason="NIMBUS_BIN is not set (conformance-tests/run sets it)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nimbus:
    def __init__(self, *args, env=None, scheme="http"):
        self.port = free_port()
        e = {k: v for k, v in os.environ.items() if not k.startswith("NIMBUS_")}
        e.update(env or {})
        self.started = time.monotonic()
        self.proc = subprocess.Popen([BIN, "--port", str(self.port), *args], env=e, stderr=subprocess.PIPE, text=True)
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        http = urllib3.PoolManager(cert_reqs="CERT_NONE")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(400):
                try:
                    if http.request("GET", self.url + "/_nimbus/health", retries=False).status == 200:
                        self.ready_after = time.monotonic() - self.started
                        return
                except Exception:
                    pass
                time.sleep(0.005)
        self.proc.kill()
        raise AssertionError(f"nimbus did not start: {self.proc.stderr.read()}")

    def client(self, service, access_key="test", secret_key="test", **kw):
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1", aws_access_key_id=access_key,
                            aws_secret_access_key=secret_key, config=Config(retries={"max_attempts": 1}), **kw)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)


def test_self_signed_tls():
    n = Nimbus("--tls-self-signed", "true", scheme="https")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ident = n.client("sts", verify=False).get_caller_identity()
        assert ident["Account"] == "000000000000"
        # Plain HTTP on the TLS port is not served.
        with pytest.raises(Exception):
            urllib3.PoolManager().request("GET", f"http://127.0.0.1:{n.port}/_nimbus/health", retries=False, timeout=2)
    finally:
        assert n.stop() == 0


def test_tls_from_pem_files_with_verification():
    """A certificate the client trusts: generated with openssl, verified by boto3."""
    with tempfile.TemporaryDirectory() as d:
        cert, key = pathlib.Path(d, "cert.pem"), pathlib.Path(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
        n = Nimbus("--tls-cert", str(cert), "--tls-key", str(key), scheme="https")
        try:
            regions = n.client("ec2", verify=str(cert)).describe_regions(RegionNames=["eu-west-1"])["Regions"]
            assert [r["RegionName"] for r in regions] == ["eu-west-1"]
        finally:
            assert n.stop() == 0


def test_config_file_and_environment():
    with tempfile.TemporaryDirectory() as d:
        cfg = pathlib.Path(d, "nimbus.toml")
        cfg.write_text('credentials = "filekey:filesecret:123456789012"\nlog-format = "json"\n')
        creds = pathlib.Path(d, "creds")
        creds.write_text("# extra keys\nextrakey:extrasecret:210987654321\n")
        n = Nimbus(env={"NIMBUS_CONFIG": str(cfg), "NIMBUS_CREDENTIALS_FILE": str(creds)})
        try:
            assert n.client("sts", "filekey", "filesecret").get_caller_identity()["Account"] == "123456789012"
            assert n.client("sts", "extrakey", "extrasecret").get_caller_identity()["Account"] == "210987654321"
            # The file's credentials replace the default pair.
            with pytest.raises(Exception) as e:
                n.client("sts").get_caller_identity()
            assert "InvalidClientTokenId" in str(e.value)
        finally:
            assert n.stop() == 0
        lines = [json.loads(line) for line in n.proc.stderr.read().splitlines() if line.startswith("{")]
        requests = [line for line in lines if line.get("target") == "nimbus::request"]
        assert requests and all({"operation", "status", "latency_us", "request_id"} <= set(r["fields"]) for r in requests)


def test_auth_off_from_the_environment():
    n = Nimbus(env={"NIMBUS_AUTH": "off"})
    try:
        ident = n.client("sts", "123456789012", "anything").get_caller_identity()
        assert ident["Account"] == "123456789012"
    finally:
        assert n.stop() == 0


def test_bad_configuration_is_refused():
    out = subprocess.run([BIN, "--credentials", "no-secret-here"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 2
    assert "ACCESS_KEY:SECRET" in out.stderr


def test_starts_fast():
    times = []
    for _ in range(5):
        n = Nimbus()
        times.append(n.ready_after)
        n.stop()
    # A figure for the log, not a timed assertion (see docs/benchmarks.md for the benchmark).
    print(f"debug build, exec to first health answer: best {min(times) * 1000:.1f} ms")
