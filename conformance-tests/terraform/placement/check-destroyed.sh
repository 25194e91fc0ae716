#!/usr/bin/env bash
# After `terraform destroy`: the placement groups and the broker are gone.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
groups="$(aws ec2 describe-placement-groups --filters Name=group-name,Values=nimbus-hpc,nimbus-etcd,nimbus-kafka \
    --query 'length(PlacementGroups)')"
live="$(aws ec2 describe-instances --filters Name=tag:Name,Values=nimbus-broker \
    Name=instance-state-name,Values=pending,running,stopping,stopped --query 'length(Reservations[].Instances[])')"
echo "placement groups $groups, brokers $live"
[ "$groups" = 0 ] && [ "$live" = 0 ] || { echo "terraform placement: destroy left things behind"; exit 1; }
