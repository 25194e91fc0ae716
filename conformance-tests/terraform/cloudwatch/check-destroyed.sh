#!/usr/bin/env bash
# After `terraform destroy`: no alarm and no dashboard of the configuration is left.
set -euo pipefail
alarms="$(aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 cloudwatch describe-alarms \
    --alarm-name-prefix tf- --alarm-types MetricAlarm CompositeAlarm \
    --query '[length(MetricAlarms), length(CompositeAlarms)]' --output text | awk '{print $1 + $2}')"
dashboards="$(aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 cloudwatch list-dashboards \
    --dashboard-name-prefix tf- --query 'length(DashboardEntries)' --output text)"
echo "alarms left: $alarms, dashboards left: $dashboards"
[ "$alarms" = 0 ] && [ "$dashboards" = 0 ] || { echo "terraform cloudwatch: destroy left resources behind"; exit 1; }
echo "terraform cloudwatch: nothing is left"
