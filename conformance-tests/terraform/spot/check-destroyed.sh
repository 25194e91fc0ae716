#!/usr/bin/env bash
# After destroy: neither of the configuration's Spot requests is open or active, and neither
# of its Spot Instances runs (ids from check.sh).
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
read -r -a requests < spot-requests.txt
read -r -a instances < spot-instances.txt
open="$(aws ec2 describe-spot-instance-requests --spot-instance-request-ids "${requests[@]}" \
    --query "length(SpotInstanceRequests[?State=='open' || State=='active'])")"
live="$(aws ec2 describe-instances --instance-ids "${instances[@]}" \
    --filters Name=instance-state-name,Values=pending,running,stopping,stopped --query 'length(Reservations[].Instances[])')"
echo "open or active requests $open, live spot instances $live"
[ "$open" = 0 ] && [ "$live" = 0 ] || { echo "terraform spot: destroy left things behind"; exit 1; }
