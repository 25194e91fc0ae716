# The rest of the Transit Gateway family: a peering to a gateway in a second region
# (requested here, accepted there) with static routes over it on both sides; a Connect
# attachment over a VPC attachment with a Connect peer; a policy table associated with
# the VPC attachment.

provider "aws" {
  alias                   = "peer"
  region                  = "eu-west-1"
  skip_metadata_api_check = true
  endpoints {
    ec2 = var.endpoint
    sts = var.endpoint
  }
}

data "aws_region" "peer" {
  provider = aws.peer
}

resource "aws_ec2_transit_gateway" "local" {
  description                 = "nimbus extras"
  transit_gateway_cidr_blocks = ["10.98.0.0/24"]
  tags = {
    Name = "nimbus-tgw-extras"
  }
}

resource "aws_ec2_transit_gateway" "peer" {
  provider    = aws.peer
  description = "nimbus peer"
}

resource "aws_ec2_transit_gateway_peering_attachment" "to_peer" {
  transit_gateway_id      = aws_ec2_transit_gateway.local.id
  peer_transit_gateway_id = aws_ec2_transit_gateway.peer.id
  peer_region             = data.aws_region.peer.name
  tags = {
    Name = "to-peer"
  }
}

resource "aws_ec2_transit_gateway_peering_attachment_accepter" "from_local" {
  provider                      = aws.peer
  transit_gateway_attachment_id = aws_ec2_transit_gateway_peering_attachment.to_peer.id
  tags = {
    Name = "from-local"
  }
}

resource "aws_ec2_transit_gateway_route" "to_peer" {
  destination_cidr_block         = "10.120.0.0/16"
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_peering_attachment_accepter.from_local.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway.local.association_default_route_table_id
}

resource "aws_ec2_transit_gateway_route" "from_peer" {
  provider                       = aws.peer
  destination_cidr_block         = "10.98.0.0/24"
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_peering_attachment_accepter.from_local.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway.peer.association_default_route_table_id
}

data "aws_availability_zones" "available" {
  state = "available"
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

resource "aws_vpc" "appliance" {
  cidr_block = "10.42.0.0/16"
}

resource "aws_subnet" "appliance" {
  vpc_id            = aws_vpc.appliance.id
  cidr_block        = "10.42.0.0/24"
  availability_zone = data.aws_availability_zones.available.names[0]
}

resource "aws_ec2_transit_gateway_vpc_attachment" "appliance" {
  transit_gateway_id = aws_ec2_transit_gateway.local.id
  vpc_id             = aws_vpc.appliance.id
  subnet_ids         = [aws_subnet.appliance.id]
}

resource "aws_ec2_transit_gateway_connect" "sdwan" {
  transport_attachment_id = aws_ec2_transit_gateway_vpc_attachment.appliance.id
  transit_gateway_id      = aws_ec2_transit_gateway.local.id
  tags = {
    Name = "sdwan"
  }
}

resource "aws_ec2_transit_gateway_connect_peer" "sdwan" {
  transit_gateway_attachment_id = aws_ec2_transit_gateway_connect.sdwan.id
  peer_address                  = "10.42.0.10"
  inside_cidr_blocks            = ["169.254.100.0/29"]
  bgp_asn                       = 65010
  tags = {
    Name = "sdwan-peer"
  }
}

resource "aws_ec2_transit_gateway_policy_table" "main" {
  transit_gateway_id = aws_ec2_transit_gateway.local.id
  tags = {
    Name = "nimbus-policy"
  }
}

resource "aws_ec2_transit_gateway_policy_table_association" "appliance" {
  transit_gateway_attachment_id   = aws_ec2_transit_gateway_vpc_attachment.appliance.id
  transit_gateway_policy_table_id = aws_ec2_transit_gateway_policy_table.main.id
}

data "aws_ec2_transit_gateway_peering_attachment" "to_peer" {
  id         = aws_ec2_transit_gateway_peering_attachment_accepter.from_local.id
  depends_on = [aws_ec2_transit_gateway_peering_attachment_accepter.from_local]
}

output "connect_peer_bgp_addresses" {
  value = aws_ec2_transit_gateway_connect_peer.sdwan.bgp_transit_gateway_addresses
}

output "peer_owner" {
  value = data.aws_ec2_transit_gateway_peering_attachment.to_peer.peer_account_id
}
