"""CloudWatch end to end, once per protocol (JSON 1.0, awsQuery, Smithy RPC v2 CBOR) with
botocore's own serializers: every test here must give the same answers in each.

Statistics are checked against values computed by hand for fixed inputs; alarms are
driven with nimbus's clock (`POST /_nimbus/clock`), so nothing waits, except the one
real-time case at the end."""

import datetime
import json
import os
import time

import botocore.exceptions
import pytest

from conftest import admin, unique

UTC = datetime.timezone.utc


def minute_floor(t):
    return t.replace(second=0, microsecond=0)


def nimbus_now():
    """nimbus's clock (tests may have moved it forward)."""
    _, body = admin("GET", "/_nimbus/clock")
    return datetime.datetime.fromisoformat(body["now"].replace("Z", "+00:00"))


def advance(seconds):
    status, _ = admin("POST", "/_nimbus/clock", {"advanceSeconds": seconds})
    assert status == 200


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def put_values(cw, ns, name, values, when, unit=None, dims=None, resolution=None):
    data = []
    for i, v in enumerate(values):
        d = {"MetricName": name, "Value": v, "Timestamp": when + datetime.timedelta(seconds=i % 60)}
        if unit:
            d["Unit"] = unit
        if dims:
            d["Dimensions"] = dims
        if resolution:
            d["StorageResolution"] = resolution
        data.append(d)
    for chunk in range(0, len(data), 1000):
        cw.put_metric_data(Namespace=ns, MetricData=data[chunk:chunk + 1000])


# ---------------------------------------------------------------- GetMetricStatistics

def test_statistics_match_hand_computed_values(cw):
    ns = unique("Stats")
    base = minute_floor(nimbus_now()) - datetime.timedelta(minutes=10)
    # Minute 0: 1..20 ms. Minute 2: 7 and 9 ms, and a Count datum.
    put_values(cw, ns, "Latency", [float(v) for v in range(1, 21)], base, unit="Milliseconds")
    put_values(cw, ns, "Latency", [7.0, 9.0], base + datetime.timedelta(minutes=2), unit="Milliseconds")
    put_values(cw, ns, "Latency", [1.0], base + datetime.timedelta(minutes=2), unit="Count")
    out = cw.get_metric_statistics(
        Namespace=ns, MetricName="Latency", StartTime=base, EndTime=base + datetime.timedelta(minutes=5),
        Period=60, Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
    )
    assert out["Label"] == "Latency"
    got = sorted(
        ((d["Timestamp"] - base).total_seconds(), d["Unit"], d["SampleCount"], d["Sum"], d["Average"], d["Minimum"], d["Maximum"])
        for d in out["Datapoints"]
    )
    assert got == [
        (0.0, "Milliseconds", 20.0, 210.0, 10.5, 1.0, 20.0),
        (120.0, "Count", 1.0, 1.0, 1.0, 1.0, 1.0),
        (120.0, "Milliseconds", 2.0, 16.0, 8.0, 7.0, 9.0),
    ]
    out = cw.get_metric_statistics(
        Namespace=ns, MetricName="Latency", StartTime=base, EndTime=base + datetime.timedelta(minutes=1),
        Period=60, ExtendedStatistics=["p50", "p95", "p99", "tm90", "IQM", "TM(10%:90%)", "wm90", "TC(5:10)", "TS(5:10)", "PR(:5)"],
        Unit="Milliseconds",
    )
    [dp] = out["Datapoints"]
    assert dp["Unit"] == "Milliseconds"
    assert dp["ExtendedStatistics"] == {
        "p50": 10.0, "p95": 19.0, "p99": 20.0,
        "tm90": 9.5,  # mean of 1..18
        "IQM": 10.5,  # mean of 6..15
        "TM(10%:90%)": 10.5,  # mean of 3..18
        "wm90": (171.0 + 18.0 * 2) / 20,  # 19 and 20 counted as 18
        "TC(5:10)": 5.0, "TS(5:10)": 40.0, "PR(:5)": 25.0,
    }


def test_values_counts_and_statistic_sets(cw):
    ns = unique("Sets")
    t = minute_floor(nimbus_now()) - datetime.timedelta(minutes=3)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "M", "Timestamp": t, "Values": [1.0, 2.0, 3.0], "Counts": [1.0, 1.0, 2.0]},
        {"MetricName": "M", "Timestamp": t, "StatisticValues": {"SampleCount": 4, "Sum": 20, "Minimum": 5, "Maximum": 5}},
    ])
    out = cw.get_metric_statistics(Namespace=ns, MetricName="M", StartTime=t, EndTime=t + datetime.timedelta(minutes=1),
                                   Period=60, Statistics=["SampleCount", "Sum", "Maximum"])
    [dp] = out["Datapoints"]
    assert (dp["SampleCount"], dp["Sum"], dp["Maximum"], dp["Unit"]) == (8.0, 29.0, 5.0, "None")
    out = cw.get_metric_statistics(Namespace=ns, MetricName="M", StartTime=t, EndTime=t + datetime.timedelta(minutes=1),
                                   Period=60, ExtendedStatistics=["p50", "p75"])
    # 1, 2, 3, 3, 5, 5, 5, 5
    assert out["Datapoints"][0]["ExtendedStatistics"] == {"p50": 3.0, "p75": 5.0}


def test_high_resolution_periods_and_start_rounding(cw):
    ns = unique("HighRes")
    t = minute_floor(nimbus_now()) - datetime.timedelta(minutes=2)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "H", "Value": float(s), "StorageResolution": 1, "Timestamp": t + datetime.timedelta(seconds=s)}
        for s in (1, 4, 12, 25, 31)
    ] + [{"MetricName": "H", "Value": 100.0, "Timestamp": t + datetime.timedelta(seconds=45)}])
    out = cw.get_metric_statistics(Namespace=ns, MetricName="H", StartTime=t + datetime.timedelta(seconds=3),
                                   EndTime=t + datetime.timedelta(seconds=40), Period=10, Statistics=["Sum"])
    # StartTime rounds down to a 10-second boundary; the standard-resolution datum
    # counts at the start of its minute.
    got = sorted(((d["Timestamp"] - t).total_seconds(), d["Sum"]) for d in out["Datapoints"])
    assert got == [(0.0, 105.0), (10.0, 12.0), (20.0, 25.0), (30.0, 31.0)]
    out = cw.get_metric_statistics(Namespace=ns, MetricName="H", StartTime=t + datetime.timedelta(seconds=34),
                                   EndTime=t + datetime.timedelta(minutes=1), Period=60, Statistics=["Sum"])
    # 34 s rounds down to the minute.
    assert [(d["Timestamp"] - t).total_seconds() for d in out["Datapoints"]] == [0.0]
    assert out["Datapoints"][0]["Sum"] == 173.0


def test_get_metric_statistics_errors(cw):
    now = nimbus_now()
    kw = dict(Namespace="X", MetricName="Y", StartTime=now - datetime.timedelta(hours=1), EndTime=now)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_statistics(Period=60, **kw)
    assert error_code(e) == "InvalidParameterCombination"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_statistics(Period=60, Statistics=["Sum"], ExtendedStatistics=["p99"], **kw)
    assert error_code(e) == "InvalidParameterCombination"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_statistics(Period=90, Statistics=["Sum"], **kw)
    assert error_code(e) == "InvalidParameterValue"
    assert e.value.response["Error"]["Message"] == "The parameter Period must be a multiple of 60."
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_statistics(Period=1, Statistics=["Sum"], **kw)
    assert error_code(e) == "InvalidParameterCombination"
    assert e.value.response["Error"]["Message"].startswith("You have requested up to 3,60")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_statistics(Period=60, ExtendedStatistics=["p101"], **kw)
    assert error_code(e) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_statistics(Period=60, Statistics=["Sum"], Namespace="X", MetricName="Y", StartTime=now, EndTime=now)
    assert error_code(e) == "InvalidParameterValue"
    out = cw.get_metric_statistics(Period=60, Statistics=["Sum"], **kw)
    assert out["Datapoints"] == [] and out["Label"] == "Y"
