#!/usr/bin/env bash
# After `terraform destroy`: no instance is left running, no AMI of ours, no key pair.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
live="$(aws ec2 describe-instances --filters Name=instance-state-name,Values=pending,running,stopping,stopped --query 'length(Reservations[].Instances[])')"
images="$(aws ec2 describe-images --owners self --query 'length(Images)')"
keys="$(aws ec2 describe-key-pairs --query 'length(KeyPairs)')"
echo "instances $live, own images $images, key pairs $keys"
[ "$live" = 0 ] && [ "$images" = 0 ] && [ "$keys" = 0 ] || { echo "terraform compute: destroy left things behind"; exit 1; }
