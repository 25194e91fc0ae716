#!/usr/bin/env bash
# After apply: the request is active and fulfilled, both instances are Spot Instances
# naming their requests.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
state="$(terraform output -raw worker_state)"
lifecycles="$(aws ec2 describe-instances --filters Name=tag:Name,Values=nimbus-spot-batch \
    Name=instance-state-name,Values=pending,running --query 'Reservations[].Instances[].InstanceLifecycle' --output text)"
requests="$(aws ec2 describe-spot-instance-requests --filters Name=state,Values=active --query 'length(SpotInstanceRequests)')"
echo "worker request $state, batch lifecycle $lifecycles, active requests $requests"
[ "$state" = active ] && [ "$lifecycles" = spot ] && [ "$requests" -ge 2 ] || { echo "terraform spot: not as expected"; exit 1; }
