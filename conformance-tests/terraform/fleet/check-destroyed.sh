#!/usr/bin/env bash
# After destroy: the Spot Fleet is cancelled with its instances terminated; the EC2 Fleet
# is deleted_running (terminate_instances = false), its instances still up: terminate them.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
states="$(aws ec2 describe-fleets --filters Name=tag:Name,Values=nimbus-fleet --query 'Fleets[].FleetState' --output text)"
sfr="$(aws ec2 describe-spot-fleet-requests --query "SpotFleetRequestConfigs[?Tags[?Value=='nimbus-spot-fleet']].SpotFleetRequestState" --output text)"
left="$(aws ec2 describe-instances --filters Name=tag-key,Values=aws:ec2:fleet-id Name=tag:Name,Values=nimbus-fleet-worker \
    Name=instance-state-name,Values=pending,running --query 'Reservations[].Instances[].InstanceId' --output text)"
spot_left="$(aws ec2 describe-instances --filters Name=tag-key,Values=aws:ec2spot:fleet-request-id \
    Name=instance-state-name,Values=pending,running --query 'length(Reservations[].Instances[])')"
echo "fleet states: $states; spot fleet: $sfr; fleet instances left running: $left; spot fleet instances left: $spot_left"
[ "$states" = deleted_running ] && [ "$sfr" = cancelled ] && [ "$spot_left" = 0 ] && [ -n "$left" ] \
    || { echo "terraform fleet: destroy did not end the fleets as expected"; exit 1; }
aws ec2 terminate-instances --instance-ids $left >/dev/null
