#!/usr/bin/env bash
# After destroy: no endpoint of this configuration is left other than deleted.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
left="$(aws ec2 describe-client-vpn-endpoints --filters Name=tag:Name,Values=nimbus-tf-cvpn-rules \
    --query "ClientVpnEndpoints[?Status.Code!='deleted'].ClientVpnEndpointId" --output text)"
echo "client vpn endpoints left: ${left:-none}"
[ -z "$left" ]
