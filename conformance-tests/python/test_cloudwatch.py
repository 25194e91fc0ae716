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


# ---------------------------------------------------------------- GetMetricData

def metric_stat(qid, ns, name, stat="Sum", dims=None, period=60, label=None, return_data=True):
    q = {"Id": qid, "MetricStat": {"Metric": {"Namespace": ns, "MetricName": name, "Dimensions": dims or []},
                                   "Period": period, "Stat": stat}, "ReturnData": return_data}
    if label is not None:
        q["Label"] = label
    return q


def results(out, base):
    return [
        (r["Id"], r["Label"], [((t - base).total_seconds() // 60, v) for t, v in zip(r["Timestamps"], r["Values"])], r["StatusCode"])
        for r in out["MetricDataResults"]
    ]


@pytest.fixture
def traffic(cw):
    """Errors and Requests per minute for host a (minutes 0..4) and Requests for host b."""
    ns = unique("Traffic")
    base = minute_floor(nimbus_now()) - datetime.timedelta(minutes=10)
    data = []
    for i, (errors, requests) in enumerate([(1, 10), (2, 20), (0, 0), (3, 30), (5, 50)]):
        t = base + datetime.timedelta(minutes=i, seconds=5)
        data += [
            {"MetricName": "Errors", "Dimensions": [{"Name": "Host", "Value": "a"}], "Value": errors, "Timestamp": t},
            {"MetricName": "Requests", "Dimensions": [{"Name": "Host", "Value": "a"}], "Value": requests, "Timestamp": t},
            {"MetricName": "Requests", "Dimensions": [{"Name": "Host", "Value": "b"}], "Value": 1, "Timestamp": t},
        ]
    cw.put_metric_data(Namespace=ns, MetricData=data)
    return ns, base


def test_metric_math_error_rate(cw, traffic):
    ns, base = traffic
    host_a = [{"Name": "Host", "Value": "a"}]
    out = cw.get_metric_data(
        MetricDataQueries=[
            metric_stat("errors", ns, "Errors", dims=host_a, return_data=False),
            metric_stat("requests", ns, "Requests", dims=host_a, return_data=False),
            {"Id": "rate", "Expression": "100 * errors / requests", "Label": "Error rate"},
            {"Id": "filled", "Expression": "FILL(errors / requests, 0)"},
            {"Id": "running", "Expression": "RUNNING_SUM(errors)"},
            {"Id": "flag", "Expression": "IF(errors > 2, 1, 0)"},
            {"Id": "delta", "Expression": "DIFF(requests)"},
            {"Id": "rate_s", "Expression": "RATE(requests)"},
            {"Id": "centered", "Expression": "requests - AVG(requests)"},
            {"Id": "both", "Expression": "SUM([errors, requests])"},
        ],
        StartTime=base, EndTime=base + datetime.timedelta(minutes=5), ScanBy="TimestampAscending",
    )
    assert results(out, base) == [
        ("rate", "Error rate", [(0, 10.0), (1, 10.0), (3, 10.0), (4, 10.0)], "Complete"),
        ("filled", "filled", [(0, 0.1), (1, 0.1), (2, 0.0), (3, 0.1), (4, 0.1)], "Complete"),
        ("running", "running", [(0, 1.0), (1, 3.0), (2, 3.0), (3, 6.0), (4, 11.0)], "Complete"),
        ("flag", "flag", [(0, 0.0), (1, 0.0), (2, 0.0), (3, 1.0), (4, 1.0)], "Complete"),
        ("delta", "delta", [(1, 10.0), (2, -20.0), (3, 30.0), (4, 20.0)], "Complete"),
        ("rate_s", "rate_s", [(1, 10 / 60), (2, -20 / 60), (3, 0.5), (4, 20 / 60)], "Complete"),
        ("centered", "centered", [(0, -12.0), (1, -2.0), (2, -22.0), (3, 8.0), (4, 28.0)], "Complete"),
        ("both", "both", [(0, 11.0), (1, 22.0), (2, 0.0), (3, 33.0), (4, 55.0)], "Complete"),
    ]
    assert out.get("Messages", []) == []


def test_get_metric_data_order_labels_and_pages(cw, traffic):
    ns, base = traffic
    queries = [
        metric_stat("a", ns, "Requests", dims=[{"Name": "Host", "Value": "a"}]),
        metric_stat("b", ns, "Requests", dims=[{"Name": "Host", "Value": "b"}], label="${PROP('Dim.Host')} peak ${MAX}"),
    ]
    window = dict(StartTime=base, EndTime=base + datetime.timedelta(minutes=5))
    out = cw.get_metric_data(MetricDataQueries=queries, **window)
    got = results(out, base)
    assert got[0] == ("a", "Requests", [(4, 50.0), (3, 30.0), (2, 0.0), (1, 20.0), (0, 10.0)], "Complete")
    assert got[1][1] == "b peak 1"
    first = cw.get_metric_data(MetricDataQueries=queries, MaxDatapoints=7, ScanBy="TimestampAscending", **window)
    got = results(first, base)
    assert [len(r[2]) for r in got] == [5, 2] and got[1][3] == "PartialData"
    second = cw.get_metric_data(MetricDataQueries=queries, MaxDatapoints=7, ScanBy="TimestampAscending",
                                NextToken=first["NextToken"], **window)
    got = results(second, base)
    assert [r[2] for r in got] == [[], [(2, 1.0), (3, 1.0), (4, 1.0)]]
    assert "NextToken" not in second


def test_search_metrics_and_insights(cw, traffic):
    ns, base = traffic
    window = dict(StartTime=base, EndTime=base + datetime.timedelta(minutes=5), ScanBy="TimestampAscending")
    out = cw.get_metric_data(MetricDataQueries=[
        {"Id": "s", "Expression": f"SEARCH('{{{ns},Host}} MetricName=\"Requests\"', 'Sum', 60)"},
        {"Id": "total", "Expression": f"SUM(SEARCH('{{{ns},Host}} Requests', 'Sum', 60))"},
    ], **window)
    got = results(out, base)
    assert [(r[0], r[1]) for r in got] == [("s", "a"), ("s", "b"), ("total", "total")]
    assert got[2][2] == [(0, 11.0), (1, 21.0), (2, 1.0), (3, 31.0), (4, 51.0)]
    out = cw.get_metric_data(MetricDataQueries=[
        {"Id": "q", "Period": 300,
         "Expression": f"SELECT SUM(Requests) FROM SCHEMA(\"{ns}\", Host) GROUP BY Host ORDER BY SUM() DESC"},
    ], **window)
    assert [(r[1], r[2]) for r in results(out, base)] == [("a", [(0, 110.0)]), ("b", [(0, 5.0)])]


def test_get_metric_data_errors(cw, traffic):
    ns, base = traffic
    window = dict(StartTime=base, EndTime=base + datetime.timedelta(minutes=5))
    cases = [
        ([metric_stat("M1", ns, "Requests")], "The value M1 for parameter MetricDataQueries.member.1.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$."),
        ([metric_stat("m1", ns, "Requests", stat="Avg")], "The value Avg for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic."),
        ([metric_stat("m1", ns, "Requests"), metric_stat("m1", ns, "Errors")], "The values for parameter id in MetricDataQueries are not unique."),
        ([{"Id": "e1", "Expression": "m9 * 2"}], "Error in expression e1: Unrecognized metric or expression id m9."),
        ([{"Id": "e1", "Expression": "(1 +"}], "Error in expression e1: The expression ended unexpectedly."),
    ]
    for queries, message in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            cw.get_metric_data(MetricDataQueries=queries, **window)
        assert error_code(e) == "ValidationError"
        assert e.value.response["Error"]["Message"] == message
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[metric_stat("m1", ns, "Requests")], StartTime=base, EndTime=base)
    assert error_code(e) == "ValidationError"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[metric_stat("m1", ns, "Requests")], NextToken="nope", **window)
    assert error_code(e) == "InvalidNextToken"


# ---------------------------------------------------------------- alarms

def describe(cw, name, composite=False):
    out = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm" if composite else "MetricAlarm"])
    alarms = out["CompositeAlarms" if composite else "MetricAlarms"]
    assert len(alarms) == 1, out
    return alarms[0]


def state_changes(cw, name):
    items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate", ScanBy="TimestampAscending",
                                      AlarmTypes=["MetricAlarm", "CompositeAlarm"])["AlarmHistoryItems"]
    return [i["HistorySummary"] for i in items]


def put(cw, ns, value, name="Latency"):
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": name, "Value": value}])


@pytest.mark.parametrize("treat,final", [("notBreaching", "OK"), ("missing", "INSUFFICIENT_DATA"), ("breaching", "ALARM")])
def test_alarm_ok_to_alarm_and_back_on_the_driven_clock(cw, treat, final):
    ns = unique("Alarm")
    name = unique("latency")
    cw.put_metric_alarm(AlarmName=name, Namespace=ns, MetricName="Latency", Statistic="Average", Period=60,
                        EvaluationPeriods=1, Threshold=90, ComparisonOperator="GreaterThanThreshold",
                        TreatMissingData=treat, AlarmActions=[f"arn:aws:sns:us-east-1:000000000000:{name}"])
    a = describe(cw, name)
    assert (a["StateValue"], a["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    put(cw, ns, 50)
    advance(60)
    assert describe(cw, name)["StateValue"] == "OK"
    put(cw, ns, 95)
    advance(60)
    a = describe(cw, name)
    assert a["StateValue"] == "ALARM"
    assert a["StateReason"].startswith("Threshold Crossed: 1 datapoint [95.0 (")
    assert a["StateReason"].endswith(")] was greater than the threshold (90.0).")
    data = json.loads(a["StateReasonData"])
    assert (data["version"], data["statistic"], data["period"], data["recentDatapoints"], data["threshold"]) == (
        "1.0", "Average", 60, [95.0], 90.0)
    assert data["evaluatedDatapoints"][0]["value"] == 95.0 and data["evaluatedDatapoints"][0]["sampleCount"] == 1.0
    # No more data: back as TreatMissingData says once 95 leaves the evaluation range.
    advance(300)
    assert describe(cw, name)["StateValue"] == final
    changes = state_changes(cw, name)
    want = ["Alarm updated from INSUFFICIENT_DATA to OK", "Alarm updated from OK to ALARM"]
    if final != "ALARM":
        want.append(f"Alarm updated from ALARM to {final}")
    assert changes == want
    actions = cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")["AlarmHistoryItems"]
    assert [a["HistorySummary"] for a in actions] == [f"Successfully executed action arn:aws:sns:us-east-1:000000000000:{name}"]
    cw.delete_alarms(AlarmNames=[name])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []


def test_metric_math_alarm_and_composite(cw):
    ns = unique("Math")
    errors, composite = unique("errors"), unique("composite")
    cw.put_metric_alarm(
        AlarmName=errors, EvaluationPeriods=1, Threshold=5, ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {"Id": "e", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "r", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "Requests"}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "rate", "Expression": "100 * e / r", "Label": "Error rate", "ReturnData": True},
        ],
    )
    cw.put_composite_alarm(AlarmName=composite, AlarmRule=f"ALARM(\"{errors}\")", Tags=[{"Key": "team", "Value": "core"}])
    assert describe(cw, composite, composite=True)["StateValue"] == "OK"
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Errors", "Value": 7}, {"MetricName": "Requests", "Value": 100}])
    advance(60)
    a = describe(cw, errors)
    assert a["StateValue"] == "ALARM"
    assert a["StateReason"].startswith("Threshold Crossed: 1 datapoint [7.0 (")
    assert [m["Id"] for m in a["Metrics"]] == ["e", "r", "rate"]
    c = describe(cw, composite, composite=True)
    assert c["StateValue"] == "ALARM"
    assert c["StateReason"].startswith(f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{errors} transitioned to ALARM at ")
    assert json.loads(c["StateReasonData"])["triggeringAlarms"][0]["state"]["value"] == "ALARM"
    kids = cw.describe_alarms(ChildrenOfAlarmName=composite)
    assert [k["AlarmName"] for k in kids["MetricAlarms"]] == [errors]
    parents = cw.describe_alarms(ParentsOfAlarmName=errors)
    assert [p["AlarmName"] for p in parents["CompositeAlarms"]] == [composite]
    arn = c["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "core"}]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "test"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "test"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.delete_alarms(AlarmNames=[errors])
    assert error_code(e) == "ValidationError"
    cw.delete_alarms(AlarmNames=[composite])
    cw.delete_alarms(AlarmNames=[errors])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.list_tags_for_resource(ResourceARN=arn)
    assert error_code(e) == "ResourceNotFoundException"


def test_alarm_validation_errors(cw):
    base = dict(AlarmName=unique("bad"), EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    metric = dict(Namespace="X", MetricName="Y", Statistic="Sum", Period=60)
    cases = [
        (dict(base, **metric, Metrics=[{"Id": "m", "Expression": "TIME_SERIES(1)"}]), "ValidationError",
         "MetricName should not be set if list of Metrics is set."),
        (dict(base, Metrics=[{"Id": "a", "Expression": "TIME_SERIES(1)", "ReturnData": True},
                             {"Id": "b", "Expression": "TIME_SERIES(2)", "ReturnData": True}]), "ValidationError",
         "Exactly one element of the metrics list should return data."),
        (dict(base, **dict(metric, Period=60), EvaluationPeriods=1441), "ValidationError",
         "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)."),
        (dict(base, Namespace="X", MetricName="Y", Period=60), "ValidationError",
         "The parameter Statistic or the parameter ExtendedStatistic must be specified."),
    ]
    for kwargs, code, message in cases:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            cw.put_metric_alarm(**kwargs)
        assert (error_code(e), e.value.response["Error"]["Message"]) == (code, message)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_composite_alarm(AlarmName=unique("c"), AlarmRule="ALARM(does-not-exist)")
    assert e.value.response["Error"]["Message"] == "Could not save the composite alarm as alarms [does-not-exist] in the alarm rule do not exist"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.set_alarm_state(AlarmName=unique("nope"), StateValue="OK", StateReason="x")
    assert error_code(e) == "ResourceNotFound"


def test_alarm_reaches_alarm_in_real_time():
    """The one case that waits: an alarm on a custom metric goes to ALARM at the first
    evaluation after breaching data arrives, on nimbus's own minute ticks (at most ~70 s)."""
    from conftest import client
    cw = client("cloudwatch")
    ns, name = unique("RealTime"), unique("realtime")
    cw.put_metric_alarm(AlarmName=name, Namespace=ns, MetricName="Load", Statistic="Maximum", Period=60,
                        EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Load", "Value": 42}])
    deadline = time.monotonic() + 75
    state = None
    while time.monotonic() < deadline:
        state = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]
        if state == "ALARM":
            break
        time.sleep(2)
    assert state == "ALARM"
    cw.delete_alarms(AlarmNames=[name])


# ---------------------------------------------------------------- dashboards, detectors, records

DASHBOARD = {
    "widgets": [
        {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
         "properties": {"metrics": [["App", "Latency", "Service", "api"]], "period": 300, "stat": "Average",
                        "region": "us-east-1", "title": "Latency"}},
        {"type": "text", "x": 0, "y": 7, "width": 3, "height": 3, "properties": {"markdown": "Hello"}},
    ]
}


def test_dashboards(cw):
    name = unique("dash")
    out = cw.put_dashboard(DashboardName=name, DashboardBody=json.dumps(DASHBOARD))
    assert out["DashboardValidationMessages"] == []
    got = cw.get_dashboard(DashboardName=name)
    assert json.loads(got["DashboardBody"]) == DASHBOARD
    assert got["DashboardArn"] == f"arn:aws:cloudwatch::000000000000:dashboard/{name}"
    entries = cw.list_dashboards(DashboardNamePrefix=name)["DashboardEntries"]
    assert [(e["DashboardName"], e["Size"]) for e in entries] == [(name, len(json.dumps(DASHBOARD)))]
    # Dashboards are global: another region sees it.
    from conftest import client
    assert client("cloudwatch", region="eu-west-1").get_dashboard(DashboardName=name)["DashboardName"] == name
    bad = {"widgets": [{"type": "metric", "properties": {"view": "timeSeries"}}, {"type": "text", "width": 30, "properties": {}}]}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_dashboard(DashboardName=name, DashboardBody=json.dumps(bad))
    assert error_code(e) == "InvalidParameterInput"
    assert e.value.response["Error"]["Message"].startswith("The dashboard body is invalid, there are 5 validation errors:")
    messages = e.value.response["dashboardValidationMessages"]
    assert len(messages) == 5
    assert {"DataPath": "/widgets/1/width", "Message": "Should be <= 24"} in messages
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_dashboard(DashboardName=name, DashboardBody="{not json")
    assert (error_code(e), e.value.response["Error"]["Message"]) == (
        "InvalidParameterInput", "The field DashboardBody must be a valid JSON object")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_dashboard(DashboardName="bad name!", DashboardBody=json.dumps(DASHBOARD))
    assert error_code(e) == "InvalidParameterInput"
    arn = got["DashboardArn"]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "core"}])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "core"}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.delete_dashboards(DashboardNames=[name, unique("missing")])
    assert error_code(e) == "ResourceNotFound"
    cw.delete_dashboards(DashboardNames=[name])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_dashboard(DashboardName=name)
    assert error_code(e) == "ResourceNotFound"


def test_anomaly_detectors_streams_and_insight_rules(cw):
    ns = unique("Anomaly")
    single = {"Namespace": ns, "MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": "a"}], "Stat": "Average"}
    cw.put_anomaly_detector(SingleMetricAnomalyDetector=single)
    found = cw.describe_anomaly_detectors(Namespace=ns)["AnomalyDetectors"]
    assert len(found) == 1 and found[0]["SingleMetricAnomalyDetector"]["MetricName"] == "Latency"
    assert found[0]["StateValue"] == "PENDING_TRAINING"
    cw.delete_anomaly_detector(SingleMetricAnomalyDetector=single)
    assert cw.describe_anomaly_detectors(Namespace=ns)["AnomalyDetectors"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.delete_anomaly_detector(SingleMetricAnomalyDetector=single)
    assert error_code(e) == "ResourceNotFoundException"

    name = unique("stream")
    arn = cw.put_metric_stream(Name=name, FirehoseArn="arn:aws:firehose:us-east-1:000000000000:deliverystream/d",
                               RoleArn="arn:aws:iam::000000000000:role/r", OutputFormat="json",
                               IncludeFilters=[{"Namespace": ns}], Tags=[{"Key": "k", "Value": "v"}])["Arn"]
    assert arn == f"arn:aws:cloudwatch:us-east-1:000000000000:metric-stream/{name}"
    cw.stop_metric_streams(Names=[name])
    got = cw.get_metric_stream(Name=name)
    assert (got["State"], got["OutputFormat"], got["IncludeFilters"]) == ("stopped", "json", [{"Namespace": ns}])
    assert name in [e["Name"] for e in cw.list_metric_streams()["Entries"]]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    cw.delete_metric_stream(Name=name)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_stream(Name=name)
    assert error_code(e) == "ResourceNotFoundException"

    rule = unique("rule")
    definition = json.dumps({"Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/app"],
                             "LogFormat": "JSON", "Contribution": {"Keys": ["$.ip"]}, "AggregateOn": "Count"})
    cw.put_insight_rule(RuleName=rule, RuleDefinition=definition, RuleState="ENABLED")
    cw.disable_insight_rules(RuleNames=[rule])
    rules = {r["Name"]: r for r in cw.describe_insight_rules()["InsightRules"]}
    assert (rules[rule]["State"], rules[rule]["Schema"]) == ("DISABLED", "CloudWatchLogRule/1")
    failures = cw.delete_insight_rules(RuleNames=[rule, unique("missing")])["Failures"]
    assert len(failures) == 1 and failures[0]["ExceptionType"] == "ResourceNotFoundException"


def test_metric_widget_image_is_a_png(cw, traffic):
    ns, base = traffic
    widget = {
        "metrics": [[ns, "Requests", "Host", "a"], [".", ".", ".", "b", {"color": "#d62728"}],
                    [{"expression": "m1 + m2", "label": "Total"}]],
        "start": (base - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": (base + datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "period": 60, "title": "Requests", "width": 480, "height": 300,
    }
    png = cw.get_metric_widget_image(MetricWidget=json.dumps(widget))["MetricWidgetImage"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (480, 300)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_widget_image(MetricWidget="{not json")
    assert error_code(e) == "ValidationError"
