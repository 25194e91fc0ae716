#!/usr/bin/env bash
# After destroy: the mode is off again (the provider sets it on delete) and no exclusion
# is left but deleted ones.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
mode="$(aws ec2 describe-vpc-block-public-access-options --query VpcBlockPublicAccessOptions.InternetGatewayBlockMode --output text)"
live="$(aws ec2 describe-vpc-block-public-access-exclusions --query 'VpcBlockPublicAccessExclusions[?State!=`delete-complete`] | length(@)')"
echo "terraform vpc_block_public_access: after destroy mode $mode, $live live exclusions"
[ "$mode" = off ] && [ "$live" = 0 ]
