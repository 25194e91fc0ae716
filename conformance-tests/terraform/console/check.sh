#!/usr/bin/env bash
# Headless Chromium renders the console for the cloud this config built (the VPC map,
# the instance, the alarm and the two-widget dashboard), checked by content, screenshots
# in conformance-tests/.work/console-terraform/. The dashboard's metrics get 30 minutes
# of datapoints (on nimbus's clock) and the alarm is set to ALARM first, with boto3 (Terraform has no
# resource for either). Run in the configuration's working directory; SKIP_CONSOLE=1
# skips it.
set -euo pipefail
[ "${SKIP_CONSOLE:-}" = 1 ] && { echo "terraform console: skipped (SKIP_CONSOLE=1)"; exit 0; }
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../.venv/bin/python}"
terraform output -json cloud > cloud.json
"$python" - cloud.json <<'PY'
import json, os, sys, time
import boto3
cloud = json.load(open(sys.argv[1]))
cw = boto3.client("cloudwatch", endpoint_url=os.environ["NIMBUS_ENDPOINT"], region_name=cloud["region"],
                  aws_access_key_id="test", aws_secret_access_key="test")
import urllib.request
# nimbus's clock, which earlier suites may have moved on: the dashboard's hour ends there.
offset = json.load(urllib.request.urlopen(os.environ["NIMBUS_ENDPOINT"] + "/_nimbus/clock"))["offsetSeconds"]
now = time.time() + offset
for minutes_ago in range(30, 0, -1):
    at = now - minutes_ago * 60
    cw.put_metric_data(Namespace="ConsoleTF/App", MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "web"}], "Timestamp": at, "Value": 100 + minutes_ago % 7},
        {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "web"}], "Timestamp": at, "Value": 40 + minutes_ago},
    ])
cw.set_alarm_state(AlarmName=cloud["alarm"], StateValue="ALARM", StateReason="Latency above 90 ms (console check)")
PY
CONSOLE_CLOUD="$PWD/cloud.json" CONSOLE_NAME=console-terraform "$here/../../console/run.sh"
echo "terraform console: the console renders the cloud Terraform built"
