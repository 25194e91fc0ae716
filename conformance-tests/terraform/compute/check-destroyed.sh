#!/usr/bin/env bash
# After `terraform destroy`: none of this configuration's instances is left running, and
# its AMI and key pair are gone (other suites may share the region, so look by name).
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
live="$(aws ec2 describe-instances --filters Name=instance-state-name,Values=pending,running,stopping,stopped \
    Name=tag:Name,Values=nimbus-web,nimbus-from-template --query 'length(Reservations[].Instances[])')"
images="$(aws ec2 describe-images --owners self --filters Name=name,Values=nimbus-web-baked --query 'length(Images)')"
keys="$(aws ec2 describe-key-pairs --filters Name=key-name,Values=nimbus-deployer --query 'length(KeyPairs)')"
volumes="$(aws ec2 describe-volumes --filters Name=tag:Name,Values=nimbus-data --query 'length(Volumes)')"
echo "instances $live, images $images, key pairs $keys, volumes $volumes"
[ "$live" = 0 ] && [ "$images" = 0 ] && [ "$keys" = 0 ] && [ "$volumes" = 0 ] || {
    echo "terraform compute: destroy left things behind"
    exit 1
}
