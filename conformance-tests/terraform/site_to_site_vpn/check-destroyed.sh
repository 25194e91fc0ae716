#!/usr/bin/env bash
# After destroy: no connection of this configuration is left other than deleted.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
left="$(aws ec2 describe-vpn-connections --filters Name=tag:Name,Values=nimbus-s2s-office,nimbus-s2s-branch \
    --query "VpnConnections[?State!='deleted'].VpnConnectionId" --output text)"
echo "connections left: ${left:-none}"
[ -z "$left" ]
