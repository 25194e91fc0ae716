# Site-to-Site VPN: a customer gateway, a virtual private gateway attached to a VPC, a
# connection with static routing (tunnel options on both tunnels) and a static route,
# the route propagated into a route table; and a BGP connection to a transit gateway
# (the provider reads its VPN attachment). Apply, a plan without changes, destroy.

resource "aws_vpc" "main" {
  cidr_block = "10.91.0.0/16"
  tags       = { Name = "nimbus-s2s" }
}

resource "aws_vpn_gateway" "main" {
  amazon_side_asn = 64620
  tags            = { Name = "nimbus-s2s" }
}

resource "aws_vpn_gateway_attachment" "main" {
  vpc_id         = aws_vpc.main.id
  vpn_gateway_id = aws_vpn_gateway.main.id
}

resource "aws_customer_gateway" "office" {
  bgp_asn    = 65091
  ip_address = "203.0.113.91"
  type       = "ipsec.1"
  tags       = { Name = "nimbus-s2s-office" }
}

resource "aws_vpn_connection" "office" {
  vpn_gateway_id      = aws_vpn_gateway.main.id
  customer_gateway_id = aws_customer_gateway.office.id
  type                = "ipsec.1"
  static_routes_only  = true

  tunnel1_inside_cidr             = "169.254.91.0/30"
  tunnel1_preshared_key           = "nimbus_tunnel_one"
  tunnel2_ike_versions            = ["ikev2"]
  tunnel2_phase1_lifetime_seconds = 3600
  tunnel2_dpd_timeout_action      = "restart"

  tags = { Name = "nimbus-s2s-office" }

  depends_on = [aws_vpn_gateway_attachment.main]
}

resource "aws_vpn_connection_route" "office" {
  destination_cidr_block = "192.168.91.0/24"
  vpn_connection_id      = aws_vpn_connection.office.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "nimbus-s2s-private" }
}

resource "aws_vpn_gateway_route_propagation" "private" {
  vpn_gateway_id = aws_vpn_gateway.main.id
  route_table_id = aws_route_table.private.id

  depends_on = [aws_vpn_gateway_attachment.main]
}

resource "aws_ec2_transit_gateway" "hub" {
  description = "nimbus-s2s"
  tags        = { Name = "nimbus-s2s" }
}

resource "aws_customer_gateway" "branch" {
  bgp_asn    = 65092
  ip_address = "203.0.113.92"
  type       = "ipsec.1"
  tags       = { Name = "nimbus-s2s-branch" }
}

resource "aws_vpn_connection" "branch" {
  transit_gateway_id  = aws_ec2_transit_gateway.hub.id
  customer_gateway_id = aws_customer_gateway.branch.id
  type                = "ipsec.1"
  tags                = { Name = "nimbus-s2s-branch" }
}

output "office_tunnel1_address" {
  value = aws_vpn_connection.office.tunnel1_address
}

output "office_tunnel1_vgw_inside_address" {
  value = aws_vpn_connection.office.tunnel1_vgw_inside_address
}

output "branch_attachment" {
  value = aws_vpn_connection.branch.transit_gateway_attachment_id
}

output "branch_bgp_asn" {
  value = aws_vpn_connection.branch.tunnel1_bgp_asn
}
