#!/usr/bin/env bash
# After apply: the reservation is active with one of its two instances in use.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
got="$(aws ec2 describe-capacity-reservations --filters Name=tag:Name,Values=nimbus-capacity \
    --query 'CapacityReservations[0].[State,AvailableInstanceCount]' --output text)"
echo "reservation: $got"
[ "$got" = "active	1" ] || { echo "terraform capacity_reservation: not as expected"; exit 1; }
