#!/usr/bin/env python3
"""botocore as the oracle of nimbus's codecs (as LocalStack tests its own).

Every case of cases.py becomes fixtures/codec/<protocol>/<name>.json:

  request.wire       the bytes botocore's client sends for (operation, params)
  request.document   the protocol-neutral document nimbus must decode them into
  response.document  the document nimbus encodes (or response.error: the ApiError)
  response.wire      nimbus's bytes for it (written by the Rust test in bless mode)
  response.botocore  what botocore's client parses out of nimbus's bytes

Commands:
  requests   write every fixture's request part and response document (keeping the
             response bytes already there)
  responses  parse nimbus's response bytes with botocore, require the case's own output
             (or error), and record the parse
  check      all of the above without writing: the committed request bytes and documents
             are what botocore and the cases give today, and botocore parses the committed
             response bytes into the case's output (CI runs this)

The clients are botocore's own, with CloudWatch's model forced to one protocol at a time
(as the conformance suite does), unsigned, and never on the network: a `before-send`
handler captures the request and answers with the recorded response.
"""

import base64
import calendar
import copy
import datetime
import json
import pathlib
import sys

import botocore
import botocore.awsrequest
import botocore.exceptions
import botocore.loaders
import botocore.session
from botocore.config import Config

from cases import CASES

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "codec"
REQUEST_ID = "00000000-0000-4000-8000-000000000000"
# botocore protocol -> fixture directory (the golden fixtures' names)
DIRS = {"ec2": "ec2", "query": "query", "json": "json", "smithy-rpc-v2-cbor": "rpcv2-cbor"}
# Request headers that differ from one machine or run to the next, or that urllib3 adds.
VOLATILE = {"user-agent", "amz-sdk-invocation-id", "amz-sdk-request", "x-amz-date", "authorization", "content-length", "host"}
TEXT = {"ec2", "query", "json"}


class Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


class ForcedProtocol(botocore.loaders.Loader):
    """botocore's own models, with CloudWatch's forced to one of its protocols."""

    def __init__(self, protocol):
        super().__init__()
        self.protocol = protocol

    def load_service_model(self, service_name, type_name, api_version=None):
        model = super().load_service_model(service_name, type_name, api_version)
        if type_name == "service-2" and service_name == "cloudwatch":
            model = copy.deepcopy(model)
            model["metadata"]["protocol"] = self.protocol
            model["metadata"]["protocols"] = [self.protocol]
        return model


_clients = {}


def client(service, protocol):
    key = (service, protocol)
    if key not in _clients:
        session = botocore.session.get_session()
        loader = ForcedProtocol(protocol)
        # NimbusCodec: a made-up awsQuery service with what no served model has
        # (flattened lists and maps, renamed list members, map keys and values).
        loader.search_paths.insert(0, str(pathlib.Path(__file__).resolve().parent / "models"))
        session.register_component("data_loader", loader)
        c = session.create_client(
            service,
            region_name="us-east-1",
            endpoint_url="https://nimbus.invalid",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(
                signature_version=botocore.UNSIGNED,
                retries={"total_max_attempts": 1},
                parameter_validation=True,
            ),
        )
        assert c.meta.service_model.protocol == protocol, (service, protocol, c.meta.service_model.protocol)
        _clients[key] = c
    return _clients[key]


def call(c, operation, params, answer):
    """Calls `operation`; `answer(request)` returns the AWSResponse or raises."""
    method = getattr(c, botocore.xform_name(operation))
    handler = lambda request, **_: answer(request)  # noqa: E731
    c.meta.events.register_first("before-send", handler)
    try:
        return method(**params)
    finally:
        c.meta.events.unregister("before-send", handler)


# ------------------------------------------------------------------ documents


def epoch(t):
    seconds = calendar.timegm(t.utctimetuple())
    if t.microsecond == 0:
        return seconds
    return seconds + t.microsecond / 1e6


def document(value, shape):
    """A boto3 value as nimbus's protocol-neutral document: member names as in the model,
    timestamps as epoch seconds, blobs as base64."""
    kind = shape.type_name
    if kind == "structure":
        return {k: document(v, shape.members[k]) for k, v in value.items()}
    if kind == "list":
        return [document(v, shape.member) for v in value]
    if kind == "map":
        return {k: document(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        return epoch(value)
    if kind == "blob":
        return base64.b64encode(value).decode()
    return value


ABSENT = object()


def carried(value, shape, protocol, top=True):
    """The part of an input document the protocol's wire carries: EC2 sends nothing for an
    empty list; EC2 and awsQuery send nothing for an empty map or a structure that sends
    nothing (awsQuery sends `Name=` for an empty list)."""
    kind = shape.type_name
    form = protocol in ("ec2", "query")
    if kind == "structure":
        out = {}
        for k, v in value.items():
            c = carried(v, shape.members[k], protocol, False)
            if c is not ABSENT:
                out[k] = c
        return ABSENT if form and not out and not top else out
    if kind == "list":
        if protocol == "ec2" and not value:
            return ABSENT
        return [carried(v, shape.member, protocol, False) for v in value]
    if kind == "map":
        if form and not value:
            return ABSENT
        return {k: carried(v, shape.value, protocol, False) for k, v in value.items()}
    return value


def plain(value):
    """botocore's parse as JSON: datetimes in ISO 8601 (UTC), bytes in base64."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds")
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    return value


# ------------------------------------------------------------------ requests


def wire_request(request, protocol):
    from urllib.parse import urlsplit

    url = urlsplit(request.url)
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items() if k.lower() not in VOLATILE}
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    wire = {"method": request.method, "path": url.path or "/", "query": url.query, "headers": headers}
    if protocol in TEXT:
        wire["body"] = body.decode()
    else:
        wire["body_base64"] = base64.b64encode(body).decode()
    return wire


def capture_request(case, protocol):
    c = client(case["service"], protocol)

    def answer(request):
        raise Captured(request)

    try:
        call(c, case["operation"], case["params"], answer)
    except Captured as e:
        return wire_request(e.request, protocol)
    raise AssertionError(f"{case['name']}: botocore sent nothing")


def request_part(case, protocol):
    c = client(case["service"], protocol)
    shape = c.meta.service_model.operation_model(case["operation"]).input_shape
    doc = document(case["params"], shape) if shape is not None else {}
    return {
        "wire": capture_request(case, protocol),
        "document": carried(doc, shape, protocol) if shape is not None else {},
    }


# ------------------------------------------------------------------ responses


class Body:
    def __init__(self, data):
        self.data = data

    def stream(self, **_):
        yield self.data


def response_bytes(wire):
    if "body_base64" in wire:
        return base64.b64decode(wire["body_base64"])
    return wire["body"].encode()


def parse_response(case, protocol, wire):
    """botocore's client's reading of nimbus's response: the result, or the error as
    ClientError carries it (code, message, modeled members)."""
    c = client(case["service"], protocol)

    def answer(request):
        return botocore.awsrequest.AWSResponse(request.url, wire["status"], wire["headers"], Body(response_bytes(wire)))

    params = case.get("params") or minimal_params(c, case["operation"])
    try:
        parsed = call(c, case["operation"], params, answer)
    except botocore.exceptions.ClientError as e:
        parsed = e.response
    return parsed


def minimal_params(c, operation):
    """Params that pass botocore's validation, for error cases that give none."""
    shape = c.meta.service_model.operation_model(operation).input_shape
    if shape is None:
        return {}
    return {name: placeholder(shape.members[name]) for name in shape.required_members}


def placeholder(shape):
    kind = shape.type_name
    if kind == "string":
        return shape.enum[0] if shape.enum else "x" * max(1, shape.metadata.get("min", 1))
    if kind in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "list":
        return [placeholder(shape.member)]
    if kind == "structure":
        return {name: placeholder(shape.members[name]) for name in shape.required_members}
    if kind == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    if kind == "blob":
        return b"x"
    raise AssertionError(f"no placeholder for {kind}")


def expected_parse(case, protocol):
    """What botocore's client must read out of nimbus's answer: the output; or the code
    and message, plus the members of a modeled error shape (in JSON and CBOR the message
    is one of them, `message`, as the client shows it)."""
    if "error" in case:
        err = case["error"]
        expected = dict(copy.deepcopy(err.get("details", {})))
        expected["Error"] = {"Code": err["code"], "Message": err["message"]}
        shape = client(case["service"], protocol).meta.service_model.shape_for_error_code(err["code"])
        if shape is not None and "message" in shape.members and protocol in ("json", "smithy-rpc-v2-cbor"):
            expected["message"] = err["message"]
        return expected, err["status"]
    return copy.deepcopy(case["output"]), 200


def judge(case, protocol, parsed):
    """Compares botocore's parse with the case; returns a list of complaints."""
    expected, status = expected_parse(case, protocol)
    meta = parsed.get("ResponseMetadata", {})
    problems = []
    # botocore's RPC v2 parser reads no metadata for an operation without output.
    no_output = client(case["service"], protocol).meta.service_model.operation_model(case["operation"]).output_shape is None
    blind = protocol == "smithy-rpc-v2-cbor" and no_output and "error" not in case
    if meta.get("RequestId") != REQUEST_ID and not blind:
        problems.append(f"RequestId {meta.get('RequestId')!r}, want {REQUEST_ID!r}")
    if meta.get("HTTPStatusCode") != status:
        problems.append(f"HTTP status {meta.get('HTTPStatusCode')}, want {status}")
    got = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    if "error" in case:
        # Type (Sender/Receiver) and botocore's extras are not part of the contract.
        got["Error"] = {k: got.get("Error", {}).get(k) for k in ("Code", "Message")}
    if got != expected:
        problems.append(f"botocore parsed\n  {plain(got)!r}\nwant\n  {plain(expected)!r}")
    return problems


def response_document(case, protocol):
    if "error" in case:
        err = case["error"]
        out = {"code": err["code"], "message": err["message"], "status": err["status"]}
        if "details" in err:
            c = client(case["service"], protocol)
            shape = c.meta.service_model.shape_for_error_code(err["code"])
            assert shape is not None, f"{case['name']}: details need a modeled error"
            out["details"] = document(err["details"], shape)
        return {"error": out}
    c = client(case["service"], protocol)
    shape = c.meta.service_model.operation_model(case["operation"]).output_shape
    return {"document": document(case["output"], shape) if shape is not None else {}}


# ------------------------------------------------------------------ fixtures


def fixture_path(case, protocol):
    return FIXTURES / DIRS[protocol] / f"{case['name']}.json"


def every():
    for case in CASES:
        for protocol in case["protocols"]:
            yield case, protocol


def fresh(case, protocol, old):
    """The fixture as the cases and botocore make it, keeping nimbus's bytes and
    botocore's parse of them from `old`."""
    fx = {"service": case["service"], "operation": case["operation"]}
    if "params" in case:
        fx["request"] = request_part(case, protocol)
    if "output" in case or "error" in case:
        response = response_document(case, protocol)
        kept = (old or {}).get("response", {})
        same = {k: v for k, v in kept.items() if k in ("document", "error")} == response
        if same and "wire" in kept:
            response["wire"] = kept["wire"]
            if "botocore" in kept:
                response["botocore"] = kept["botocore"]
        fx["response"] = response
    return fx


def dump(fx):
    return json.dumps(fx, indent=2, ensure_ascii=False) + "\n"


def load(path):
    return json.loads(path.read_text()) if path.exists() else None


def cmd_requests():
    names = set()
    for case, protocol in every():
        path = fixture_path(case, protocol)
        names.add(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(fresh(case, protocol, load(path))))
    for stale in FIXTURES.glob("*/*.json"):
        if stale not in names:
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)}")
    print(f"wrote {len(names)} fixtures under {FIXTURES.relative_to(ROOT)}")


def cmd_responses():
    failures = []
    for case, protocol in every():
        path = fixture_path(case, protocol)
        fx = load(path)
        response = fx.get("response")
        if response is None:
            continue
        if "wire" not in response:
            failures.append(f"{path.relative_to(ROOT)}: no response bytes (run the Rust test with NIMBUS_BLESS=1)")
            continue
        parsed = parse_response(case, protocol, response["wire"])
        problems = judge(case, protocol, parsed)
        failures += [f"{path.relative_to(ROOT)}: {p}" for p in problems]
        response["botocore"] = plain({k: v for k, v in parsed.items() if k != "ResponseMetadata"})
        path.write_text(dump(fx))
    report(failures)


def cmd_check():
    failures = []
    seen = set()
    for case, protocol in every():
        path = fixture_path(case, protocol)
        seen.add(path)
        rel = path.relative_to(ROOT)
        fx = load(path)
        if fx is None:
            failures.append(f"{rel}: missing")
            continue
        want = fresh(case, protocol, fx)
        if "request" in want and fx.get("request") != want["request"]:
            failures.append(f"{rel}: the request bytes or document differ from what botocore and the case give")
        response = fx.get("response")
        if ("response" in want) != (response is not None):
            failures.append(f"{rel}: the response part does not match the case")
            continue
        if response is None:
            continue
        if {k: v for k, v in response.items() if k in ("document", "error")} != {
            k: v for k, v in want["response"].items() if k in ("document", "error")
        }:
            failures.append(f"{rel}: the response document differs from the case's output")
            continue
        if "wire" not in response:
            failures.append(f"{rel}: no response bytes")
            continue
        parsed = parse_response(case, protocol, response["wire"])
        failures += [f"{rel}: {p}" for p in judge(case, protocol, parsed)]
        recorded = plain({k: v for k, v in parsed.items() if k != "ResponseMetadata"})
        if response.get("botocore") != recorded:
            failures.append(f"{rel}: botocore's parse differs from the recorded one")
    for path in FIXTURES.glob("*/*.json"):
        if path not in seen:
            failures.append(f"{path.relative_to(ROOT)}: no case makes this fixture")
    report(failures)


def report(failures):
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    if failures:
        print(f"{len(failures)} codec fixture problem(s); regenerate with `cargo xtask codec`", file=sys.stderr)
        sys.exit(1)
    print(f"botocore {botocore.__version__} agrees with every codec fixture")


if __name__ == "__main__":
    commands = {"requests": cmd_requests, "responses": cmd_responses, "check": cmd_check}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{' | '.join(commands)}}}")
    commands[sys.argv[1]]()
