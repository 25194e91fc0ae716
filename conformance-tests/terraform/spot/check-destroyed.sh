#!/usr/bin/env bash
# After destroy: no Spot request is open or active, no Spot Instance runs.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
open="$(aws ec2 describe-spot-instance-requests --filters Name=state,Values=open,active --query 'length(SpotInstanceRequests)')"
live="$(aws ec2 describe-instances --filters Name=instance-lifecycle,Values=spot \
    Name=instance-state-name,Values=pending,running,stopping,stopped --query 'length(Reservations[].Instances[])')"
echo "open or active requests $open, live spot instances $live"
[ "$open" = 0 ] && [ "$live" = 0 ] || { echo "terraform spot: destroy left things behind"; exit 1; }
