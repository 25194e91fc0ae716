#!/usr/bin/env bash
# After apply: the fleet runs two t3.small (the cheaper override), the Spot Fleet one
# Spot Instance of weight 2, each instance tagged with its fleet and the template's tags.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
fleet="$(terraform output -raw fleet_id)"
sfr="$(terraform output -raw spot_fleet_id)"
types="$(aws ec2 describe-fleet-instances --fleet-id "$fleet" --query 'ActiveInstances[].InstanceType' --output text)"
spot="$(aws ec2 describe-spot-fleet-instances --spot-fleet-request-id "$sfr" --query 'length(ActiveInstances)')"
lifecycle="$(aws ec2 describe-instances --filters "Name=tag:aws:ec2spot:fleet-request-id,Values=$sfr" \
    Name=instance-state-name,Values=pending,running --query 'Reservations[].Instances[].InstanceLifecycle' --output text)"
named="$(aws ec2 describe-instances --filters "Name=tag:aws:ec2:fleet-id,Values=$fleet" Name=tag:Name,Values=nimbus-fleet-worker \
    --query 'length(Reservations[].Instances[])')"
echo "fleet instance types: $types; spot fleet instances $spot ($lifecycle); fleet instances named by the template: $named"
[ "$types" = "t3.small	t3.small" ] && [ "$spot" = 1 ] && [ "$lifecycle" = spot ] && [ "$named" = 2 ] \
    || { echo "terraform fleet: not as expected"; exit 1; }
