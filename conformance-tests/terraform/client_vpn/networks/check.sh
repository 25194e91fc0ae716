#!/usr/bin/env bash
# After apply: the endpoint is available, its route table holds the VPC routes the two
# associations added and the internet route, and the client configuration AWS hands out
# names the endpoint's host.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
id="$(aws ec2 describe-client-vpn-endpoints --filters Name=tag:Name,Values=nimbus-tf-cvpn \
    --query "ClientVpnEndpoints[0].ClientVpnEndpointId" --output text)"
status="$(aws ec2 describe-client-vpn-endpoints --client-vpn-endpoint-ids "$id" \
    --query "ClientVpnEndpoints[0].Status.Code" --output text)"
echo "endpoint $id: $status"
[ "$status" = available ]
origins="$(aws ec2 describe-client-vpn-routes --client-vpn-endpoint-id "$id" \
    --query "Routes[].Origin" --output text | tr '\t' '\n' | sort | tr '\n' ' ')"
echo "route origins: $origins"
[ "$origins" = "add-route associate associate " ]
config="$(aws ec2 export-client-vpn-client-configuration --client-vpn-endpoint-id "$id" --output text)"
grep -q "^remote $id.prod.clientvpn.eu-central-1.amazonaws.com 443$" <<<"$config"
echo "client configuration names the endpoint"
