// CloudWatch with @aws-sdk/client-cloudwatch, in whatever protocol this client version
// speaks (the test records it): metrics in, statistics and metric math out (checked
// against numbers computed by hand), an alarm driven to ALARM on nimbus's clock with its
// history, dashboards, tags, and AWS's error codes.

import assert from "node:assert/strict";
import { before, test } from "node:test";

import {
  DeleteAlarmsCommand,
  DeleteDashboardsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListDashboardsCommand,
  ListMetricsCommand,
  ListTagsForResourceCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-cloudwatch";

import { ACCOUNT, advance, cloudwatchClient, nimbusNow, rejects, unique } from "./lib.mjs";

const cw = cloudwatchClient();
const protocols = new Set();
const encodings = [];
cw.middlewareStack.add(
  (next) => async (args) => {
    const h = Object.fromEntries(Object.entries(args.request.headers).map(([k, v]) => [k.toLowerCase(), v]));
    protocols.add(h["smithy-protocol"] ? "smithy-rpc-v2-cbor" : h["x-amz-target"] ? "json" : "query");
    encodings.push(h["content-encoding"] ?? "identity");
    return next(args);
  },
  { step: "finalizeRequest", name: "recordProtocol" },
);

const MINUTE = 60_000;
const minuteFloor = (d) => new Date(Math.floor(d.getTime() / MINUTE) * MINUTE);
const at = (base, minutes, seconds = 0) => new Date(base.getTime() + minutes * MINUTE + seconds * 1000);

let base; // ten minutes before nimbus's now, on a minute
before(async () => {
  base = at(minuteFloor(await nimbusNow()), -10);
});

test("the client speaks one of CloudWatch's protocols, and only that one", async () => {
  await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: unique("none") }));
  assert.equal(protocols.size, 1, [...protocols].join());
  assert.ok(["json", "query", "smithy-rpc-v2-cbor"].includes([...protocols][0]));
});

test("PutMetricData with dimensions, values and a statistic set; ListMetrics and GetMetricStatistics", async () => {
  const ns = unique("JsApp");
  const api = [{ Name: "Service", Value: "api" }];
  const worker = [{ Name: "Service", Value: "worker" }];
  await cw.send(
    new PutMetricDataCommand({
      Namespace: ns,
      MetricData: [
        { MetricName: "Latency", Dimensions: api, Timestamp: at(base, 0, 5), Value: 10, Unit: "Milliseconds" },
        { MetricName: "Latency", Dimensions: api, Timestamp: at(base, 0, 20), Values: [20, 30, 40], Counts: [1, 1, 2], Unit: "Milliseconds" },
        { MetricName: "Latency", Dimensions: api, Timestamp: at(base, 1, 0), StatisticValues: { SampleCount: 4, Sum: 200, Minimum: 20, Maximum: 80 }, Unit: "Milliseconds" },
        { MetricName: "Latency", Dimensions: worker, Timestamp: at(base, 0, 5), Value: 1000, Unit: "Milliseconds" },
        { MetricName: "Jobs", Dimensions: worker, Timestamp: at(base, 0, 5), Value: 3, Unit: "Count" },
      ],
    }),
  );
  const listed = await cw.send(new ListMetricsCommand({ Namespace: ns, Dimensions: [{ Name: "Service", Value: "worker" }] }));
  assert.deepEqual(
    listed.Metrics.map((m) => [m.MetricName, m.Dimensions]).sort(),
    [["Jobs", worker], ["Latency", worker]],
  );
  const byName = await cw.send(new ListMetricsCommand({ Namespace: ns, MetricName: "Latency" }));
  assert.deepEqual(byName.Metrics.map((m) => m.Dimensions[0].Value).sort(), ["api", "worker"]);

  const out = await cw.send(
    new GetMetricStatisticsCommand({
      Namespace: ns,
      MetricName: "Latency",
      Dimensions: api,
      StartTime: base,
      EndTime: at(base, 3),
      Period: 60,
      Statistics: ["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
    }),
  );
  assert.equal(out.Label, "Latency");
  const points = out.Datapoints.sort((a, b) => a.Timestamp - b.Timestamp).map((d) => [
    (d.Timestamp - base) / MINUTE,
    d.SampleCount,
    d.Sum,
    d.Average,
    d.Minimum,
    d.Maximum,
    d.Unit,
  ]);
  // Minute 0: 10, 20, 30, 40, 40 (Counts weight 40 twice). Minute 1: the statistic set.
  assert.deepEqual(points, [
    [0, 5, 140, 28, 10, 40, "Milliseconds"],
    [1, 4, 200, 50, 20, 80, "Milliseconds"],
  ]);
  const p = await cw.send(
    new GetMetricStatisticsCommand({ Namespace: ns, MetricName: "Latency", Dimensions: api, StartTime: base, EndTime: at(base, 1), Period: 60, ExtendedStatistics: ["p50", "p100"] }),
  );
  assert.deepEqual(p.Datapoints[0].ExtendedStatistics, { p50: 30, p100: 40 });
});

test("a large PutMetricData goes gzip-compressed, as the SDK sends it, and every value counts", async () => {
  const ns = unique("JsBulk");
  // 2,000 values 1000.5 .. 2999.5 in one minute: a body over the SDK's 10 KiB compression threshold.
  const values = Array.from({ length: 2000 }, (_, i) => 1000.5 + i);
  const dims = [{ Name: "Batch", Value: "nightly" }];
  const MetricData = [];
  for (let i = 0; i < values.length; i += 150) {
    MetricData.push({ MetricName: "Size", Timestamp: at(base, 2, 30), Values: values.slice(i, i + 150), Dimensions: dims });
  }
  encodings.length = 0;
  await cw.send(new PutMetricDataCommand({ Namespace: ns, MetricData }));
  assert.deepEqual(encodings, ["gzip"]);
  const out = await cw.send(
    new GetMetricStatisticsCommand({
      Namespace: ns,
      MetricName: "Size",
      Dimensions: dims,
      StartTime: at(base, 2),
      EndTime: at(base, 3),
      Period: 60,
      Statistics: ["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
    }),
  );
  const [dp] = out.Datapoints;
  assert.deepEqual([dp.SampleCount, dp.Sum, dp.Minimum, dp.Maximum, dp.Average], [2000, 4000000, 1000.5, 2999.5, 2000]);
});

test("GetMetricData with MetricStat queries and metric math", async () => {
  const ns = unique("JsTraffic");
  const host = [{ Name: "Host", Value: "a" }];
  const rows = [
    [1, 10],
    [2, 20],
    [0, 0],
    [3, 30],
    [5, 50],
  ];
  await cw.send(
    new PutMetricDataCommand({
      Namespace: ns,
      MetricData: rows.flatMap(([errors, requests], i) => [
        { MetricName: "Errors", Dimensions: host, Value: errors, Timestamp: at(base, i, 5) },
        { MetricName: "Requests", Dimensions: host, Value: requests, Timestamp: at(base, i, 5) },
      ]),
    }),
  );
  const stat = (Id, MetricName, ReturnData = false) => ({ Id, ReturnData, MetricStat: { Metric: { Namespace: ns, MetricName, Dimensions: host }, Period: 60, Stat: "Sum" } });
  const out = await cw.send(
    new GetMetricDataCommand({
      MetricDataQueries: [
        stat("errors", "Errors", true),
        stat("requests", "Requests"),
        { Id: "rate", Expression: "100 * errors / requests", Label: "Error rate" },
        { Id: "total", Expression: "RUNNING_SUM(errors)" },
        { Id: "sum", Expression: "SUM([errors, requests])" },
      ],
      StartTime: base,
      EndTime: at(base, 5),
      ScanBy: "TimestampAscending",
    }),
  );
  const got = Object.fromEntries(
    out.MetricDataResults.map((r) => [r.Id, { label: r.Label, status: r.StatusCode, points: r.Timestamps.map((t, i) => [(t - base) / MINUTE, r.Values[i]]) }]),
  );
  assert.deepEqual(Object.keys(got), ["errors", "rate", "total", "sum"], "ReturnData=false hides requests");
  assert.deepEqual(got.errors, { label: "Errors", status: "Complete", points: [[0, 1], [1, 2], [2, 0], [3, 3], [4, 5]] });
  // 0/0 in minute 2 is no value.
  assert.deepEqual(got.rate, { label: "Error rate", status: "Complete", points: [[0, 10], [1, 10], [3, 10], [4, 10]] });
  assert.deepEqual(got.total.points, [[0, 1], [1, 3], [2, 3], [3, 6], [4, 11]]);
  assert.deepEqual(got.sum.points, [[0, 11], [1, 22], [2, 0], [3, 33], [4, 55]]);
  assert.deepEqual(out.Messages ?? [], []);

  const err = await rejects(
    cw.send(new GetMetricDataCommand({ MetricDataQueries: [{ Id: "e1", Expression: "m9 * 2" }], StartTime: base, EndTime: at(base, 5) })),
    "ValidationError",
    400,
    "ValidationException",
  );
  assert.equal(err.message, "Error in expression e1: Unrecognized metric or expression id m9.");
});

test("an alarm goes INSUFFICIENT_DATA -> ALARM on breaching data and nimbus's clock, with history and tags", async () => {
  const ns = unique("JsAlarm");
  const name = unique("js-cpu-high");
  const dims = [{ Name: "AutoScalingGroupName", Value: "web" }];
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      AlarmDescription: "CPU above 80 for a minute",
      Namespace: ns,
      MetricName: "CPUUtilization",
      Dimensions: dims,
      Statistic: "Average",
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 80,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "missing",
      AlarmActions: [`arn:aws:sns:us-east-1:${ACCOUNT}:${name}`],
      Tags: [{ Key: "team", Value: "web" }],
    }),
  );
  try {
    let [a] = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms;
    assert.equal(a.StateValue, "INSUFFICIENT_DATA");
    assert.equal(a.StateReason, "Unchecked: Initial alarm creation");
    assert.equal(a.AlarmArn, `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${name}`);
    assert.equal(a.Threshold, 80);
    assert.equal(a.ComparisonOperator, "GreaterThanThreshold");
    assert.deepEqual(a.Dimensions, dims);
    const byPrefix = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: name, StateValue: "INSUFFICIENT_DATA" }));
    assert.deepEqual(byPrefix.MetricAlarms.map((x) => x.AlarmName), [name]);

    await cw.send(new PutMetricDataCommand({ Namespace: ns, MetricData: [{ MetricName: "CPUUtilization", Dimensions: dims, Values: [95, 99], Unit: "Percent" }] }));
    await advance(120);
    [a] = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms;
    assert.equal(a.StateValue, "ALARM");
    assert.match(a.StateReason, /^Threshold Crossed: 1 datapoint \[97\.0 \(.+\)\] was greater than the threshold \(80\.0\)\.$/);
    const reason = JSON.parse(a.StateReasonData);
    assert.deepEqual([reason.statistic, reason.period, reason.threshold, reason.recentDatapoints], ["Average", 60, 80, [97]]);
    const inAlarm = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: name, StateValue: "ALARM" }));
    assert.deepEqual(inAlarm.MetricAlarms.map((x) => x.AlarmName), [name]);

    const history = (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: "StateUpdate" }))).AlarmHistoryItems;
    assert.deepEqual(history.map((h) => h.HistorySummary), ["Alarm updated from INSUFFICIENT_DATA to ALARM"]);
    const data = JSON.parse(history[0].HistoryData);
    assert.equal(data.oldState.stateValue, "INSUFFICIENT_DATA");
    assert.equal(data.newState.stateValue, "ALARM");
    assert.equal(history[0].AlarmType, "MetricAlarm");
    assert.ok(history[0].Timestamp instanceof Date);

    // Tags on the alarm.
    assert.deepEqual((await cw.send(new ListTagsForResourceCommand({ ResourceARN: a.AlarmArn }))).Tags, [{ Key: "team", Value: "web" }]);
    await cw.send(new TagResourceCommand({ ResourceARN: a.AlarmArn, Tags: [{ Key: "env", Value: "prod" }, { Key: "team", Value: "platform" }] }));
    const tags = (await cw.send(new ListTagsForResourceCommand({ ResourceARN: a.AlarmArn }))).Tags;
    assert.deepEqual(Object.fromEntries(tags.map((t) => [t.Key, t.Value])), { env: "prod", team: "platform" });
    await cw.send(new UntagResourceCommand({ ResourceARN: a.AlarmArn, TagKeys: ["env"] }));
    assert.deepEqual((await cw.send(new ListTagsForResourceCommand({ ResourceARN: a.AlarmArn }))).Tags, [{ Key: "team", Value: "platform" }]);
    await rejects(
      cw.send(new ListTagsForResourceCommand({ ResourceARN: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${unique("missing")}` })),
      "ResourceNotFoundException",
      404,
    );
  } finally {
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
  }
  assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms, []);
});

test("dashboards: put, get, list, delete; a missing one is ResourceNotFound (404)", async () => {
  const name = unique("js-dash");
  const body = {
    widgets: [
      { type: "metric", x: 0, y: 0, width: 12, height: 6, properties: { metrics: [["App", "Latency", "Service", "api"]], period: 300, stat: "Average", region: "us-east-1", title: "Latency" } },
      { type: "text", x: 0, y: 7, width: 3, height: 3, properties: { markdown: "Hello" } },
    ],
  };
  const put = await cw.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: JSON.stringify(body) }));
  assert.deepEqual(put.DashboardValidationMessages ?? [], []);
  const got = await cw.send(new GetDashboardCommand({ DashboardName: name }));
  assert.equal(got.DashboardName, name);
  assert.equal(got.DashboardArn, `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${name}`);
  assert.deepEqual(JSON.parse(got.DashboardBody), body);
  const entries = (await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: name }))).DashboardEntries;
  assert.deepEqual(entries.map((e) => [e.DashboardName, e.Size, e.DashboardArn]), [[name, JSON.stringify(body).length, got.DashboardArn]]);
  assert.ok(entries[0].LastModified instanceof Date);
  // Dashboards are global: another region sees the same one.
  const eu = cloudwatchClient({ region: "eu-west-1" });
  assert.equal((await eu.send(new GetDashboardCommand({ DashboardName: name }))).DashboardArn, got.DashboardArn);

  const invalid = await rejects(cw.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: "{not json" })), "InvalidParameterInput", 400, "DashboardInvalidInputError");
  assert.equal(invalid.message, "The field DashboardBody must be a valid JSON object");

  await cw.send(new DeleteDashboardsCommand({ DashboardNames: [name] }));
  assert.deepEqual((await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: name }))).DashboardEntries, []);
  const err = await rejects(cw.send(new GetDashboardCommand({ DashboardName: name })), "ResourceNotFound", 404);
  assert.equal(err.Code, "ResourceNotFound");
  assert.equal(err.$fault, "client");
  await rejects(cw.send(new DeleteDashboardsCommand({ DashboardNames: [name] })), "ResourceNotFound", 404);
});

test("CloudWatch's parameter errors carry AWS's query codes", async () => {
  const now = await nimbusNow();
  const kw = { Namespace: "X", MetricName: "Y", StartTime: at(now, -60), EndTime: now };
  let err = await rejects(cw.send(new GetMetricStatisticsCommand({ ...kw, Period: 90, Statistics: ["Sum"] })), "InvalidParameterValue", 400, "InvalidParameterValueException");
  assert.equal(err.message, "The parameter Period must be a multiple of 60.");
  await rejects(cw.send(new GetMetricStatisticsCommand({ ...kw, Period: 60 })), "InvalidParameterCombination", 400, "InvalidParameterCombinationException");
  err = await rejects(cw.send(new DescribeAlarmsCommand({ MaxRecords: 1000 })), "ValidationError", 400, "ValidationException");
  assert.match(err.message, /maxRecords/);
});
