#!/usr/bin/env bash
# After destroy: the reservation is cancelled.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
live="$(aws ec2 describe-capacity-reservations --filters Name=tag:Name,Values=nimbus-capacity \
    Name=state,Values=active,pending --query 'length(CapacityReservations)')"
echo "live reservations $live"
[ "$live" = 0 ] || { echo "terraform capacity_reservation: destroy left it active"; exit 1; }
