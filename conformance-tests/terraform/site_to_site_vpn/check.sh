#!/usr/bin/env bash
# After apply: the private route table shows the connection's static route, propagated by
# the virtual private gateway; the configuration AWS hands out names tunnel 1's inside
# address as Terraform read it; the transit gateway connection has its VPN attachment.
set -euo pipefail
aws() { command aws --endpoint-url "$NIMBUS_ENDPOINT" --region eu-central-1 "$@"; }
origin="$(aws ec2 describe-route-tables --filters Name=tag:Name,Values=nimbus-s2s-private \
    --query "RouteTables[0].Routes[?DestinationCidrBlock=='192.168.91.0/24'].Origin | [0]" --output text)"
echo "propagated route origin: $origin"
[ "$origin" = EnableVgwRoutePropagation ]
inside="$(terraform output -raw office_tunnel1_vgw_inside_address)"
echo "tunnel 1 inside address of AWS's side: $inside"
[ "$inside" = 169.254.91.1 ]
attachment="$(terraform output -raw branch_attachment)"
echo "branch attachment: $attachment"
[[ "$attachment" == tgw-attach-* ]]
[ "$(terraform output -raw branch_bgp_asn)" = 64512 ]
