#!/usr/bin/env bash
# The mode is in force and both exclusions are complete, the subnet's named by its ARN.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
mode="$(aws ec2 describe-vpc-block-public-access-options --query VpcBlockPublicAccessOptions.[InternetGatewayBlockMode,State] --output text)"
[ "$mode" = "$(printf 'block-ingress\tupdate-complete')" ] || { echo "terraform vpc_block_public_access: options are $mode"; exit 1; }
xid="$(terraform output -raw vpc_exclusion)"
arn="$(terraform output -raw subnet_exclusion_arn)"
state="$(aws ec2 describe-vpc-block-public-access-exclusions --exclusion-ids "$xid" --query 'VpcBlockPublicAccessExclusions[0].State' --output text)"
[ "$state" = create-complete ] || { echo "terraform vpc_block_public_access: exclusion $xid is $state"; exit 1; }
[[ "$arn" == arn:aws:ec2:eu-central-1:000000000000:subnet/subnet-* ]] || { echo "terraform vpc_block_public_access: ARN $arn"; exit 1; }
echo "terraform vpc_block_public_access: mode block-ingress, exclusions complete ($xid, $arn)"
