#!/usr/bin/env bash
# After apply: the endpoint waits for a target network, both rules are active, and the
# client configuration AWS hands out names the endpoint's host, port and protocol.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
id="$(terraform output -raw client_vpn_id)"
status="$(aws ec2 describe-client-vpn-endpoints --client-vpn-endpoint-ids "$id" \
    --query "ClientVpnEndpoints[0].Status.Code" --output text)"
echo "endpoint $id: $status"
[ "$status" = pending-associate ]
rules="$(aws ec2 describe-client-vpn-authorization-rules --client-vpn-endpoint-id "$id" \
    --query "AuthorizationRules[?Status.Code=='active'] | length(@)" --output text)"
echo "active authorization rules: $rules"
[ "$rules" = 2 ]
config="$(aws ec2 export-client-vpn-client-configuration --client-vpn-endpoint-id "$id" --output text)"
grep -q "^remote $id.prod.clientvpn.eu-central-1.amazonaws.com 1194$" <<<"$config"
grep -q "^proto tcp$" <<<"$config"
echo "client configuration names the endpoint"
