#!/usr/bin/env bash
# After apply: the volume is encrypted with the account's default key.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
key="$(aws ec2 describe-volumes --filters Name=tag:Name,Values=nimbus-encrypted-by-default --query 'Volumes[0].KmsKeyId' --output text)"
echo "volume key: $key"
[ "$key" = "arn:aws:kms:eu-central-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab" ]
