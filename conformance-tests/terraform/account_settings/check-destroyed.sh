#!/usr/bin/env bash
# After destroy: every setting is back to the account's default, except AMI block public
# access: the provider documents that destroying aws_ec2_image_block_public_access leaves
# the setting as it is (the resource is only removed from state). The script then lifts it
# so that later suites sharing this nimbus may publish images.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
ebd="$(aws ec2 get-ebs-encryption-by-default --query EbsEncryptionByDefault)"
console="$(aws ec2 get-serial-console-access-status --query SerialConsoleAccessEnabled)"
images="$(aws ec2 get-image-block-public-access-state --query ImageBlockPublicAccessState --output text)"
snapshots="$(aws ec2 get-snapshot-block-public-access-state --query State --output text)"
echo "encryption by default $ebd, serial console $console, images $images, snapshots $snapshots"
aws ec2 disable-image-block-public-access >/dev/null
[ "$ebd" = false ] && [ "$console" = false ] && [ "$images" = block-new-sharing ] && [ "$snapshots" = unblocked ]
