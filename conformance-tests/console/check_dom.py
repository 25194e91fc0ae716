"""Checks the DOM headless Chromium rendered for each console page against the cloud
build_cloud.py (or the Terraform config `console`) made. Usage: check_dom.py CLOUD.json
PAGE=DOM.html... The cloud's `kinds` names the dashboard's widget kinds to check (all
six when absent)."""

import html
import json
import re
import sys

cloud = json.load(open(sys.argv[1]))
doms = dict(arg.split("=", 1) for arg in sys.argv[2:])
text = {page: open(path, encoding="utf-8").read() for page, path in doms.items()}
failures = []


def expect(page, needle, what):
    if needle not in text[page]:
        failures.append(f"{page}: {what} ({needle!r}) not rendered")


net = text["network"]
expect("network", f'data-vpc="{cloud["vpc"]}"', "the VPC")
for s in cloud["subnets"]:
    expect("network", f'class="id subnet-id">{s}<', "a subnet")
expect("network", f'class="id instance-id">{cloud["instance"]}<', "the instance")
for needle, what in [(cloud["igw"], "the internet gateway"), (cloud["rtb"], "the route table"), (cloud["sg"], "the security group")]:
    expect("network", needle, what)
# The instance's card shows its state.
card = re.search(r'data-id="%s".*?</div>\s*</div>' % re.escape(cloud["instance"]), net, re.S)
if not card or "s-running" not in card.group(0):
    failures.append("network: the instance's state (running) is not shown")
if not re.search(r'<svg class="links">\s*<path d="M', net):
    failures.append("network: no lines drawn between the map's resources")

alarms = text["alarms"]
card = re.search(r'data-alarm="%s".*?</section>' % re.escape(cloud["alarm"]), alarms, re.S)
if not card:
    failures.append("alarms: the alarm is not shown")
elif "s-ALARM" not in card.group(0) or "StateUpdate" not in card.group(0):
    failures.append("alarms: the alarm's state (ALARM) or its state history is not shown")

dash = text["dashboard"]
kinds = set(cloud.get("kinds", ["line", "area", "number", "gauge", "text", "alarm"]))
for title in cloud["titles"]:
    expect("dashboard", f'class="widget-title">{html.escape(title)}<', f"the widget {title!r}")
line = re.search(r'data-view="timeSeries".*?<path class="series-line" d="M[\d.]+,[\d.]+ L', dash, re.S)
if not line:
    failures.append("dashboard: the line widget has no SVG path with data")
if "area" in kinds and 'class="series-area"' not in dash:
    failures.append("dashboard: the stacked area widget has no area")
if "gauge" in kinds and 'class="gauge-value"' not in dash:
    failures.append("dashboard: the gauge has no value arc")
if "text" in kinds and ("<h1>Runbook</h1>" not in dash or "<b>90 ms</b>" not in dash):
    failures.append("dashboard: the text widget's Markdown is not rendered")
if "alarm" in kinds and not re.search(r'class="alarm-tile" data-state="ALARM"', dash):
    failures.append("dashboard: the alarm-status widget does not show the alarm in ALARM")
if "number" in kinds and not re.search(r'class="value"[^>]*>\d', dash):
    failures.append("dashboard: the number widget shows no value")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"console pages render the cloud: VPC map, instance state, alarm and its history, dashboard widgets {sorted(kinds)}")
