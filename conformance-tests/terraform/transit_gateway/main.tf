# The Transit Gateway family: a hub gateway with two attached VPCs, the default route
# table and a custom one with associations, propagations, static and blackhole routes,
# a prefix-list reference, a VPC route to the gateway, and the data sources that read
# them back.

# Availability Zones only: another config may have opted this account into the region's
# Wavelength Zone group, whose zones are listed too once opted in (as at AWS).
data "aws_availability_zones" "available" {
  state = "available"
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

resource "aws_vpc" "spoke" {
  cidr_block = "10.40.0.0/16"
  tags = {
    Name = "nimbus-tgw-spoke"
  }
}

resource "aws_subnet" "spoke" {
  count             = 2
  vpc_id            = aws_vpc.spoke.id
  cidr_block        = cidrsubnet(aws_vpc.spoke.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

resource "aws_vpc" "shared" {
  cidr_block = "10.41.0.0/16"
  tags = {
    Name = "nimbus-tgw-shared"
  }
}

resource "aws_subnet" "shared" {
  vpc_id            = aws_vpc.shared.id
  cidr_block        = "10.41.0.0/24"
  availability_zone = data.aws_availability_zones.available.names[0]
}

resource "aws_ec2_transit_gateway" "hub" {
  description                 = "nimbus hub"
  amazon_side_asn             = 64620
  transit_gateway_cidr_blocks = ["10.99.0.0/24"]
  multicast_support           = "enable"
  tags = {
    Name = "nimbus-tgw"
  }
}

resource "aws_ec2_transit_gateway_vpc_attachment" "spoke" {
  transit_gateway_id     = aws_ec2_transit_gateway.hub.id
  vpc_id                 = aws_vpc.spoke.id
  subnet_ids             = aws_subnet.spoke[*].id
  appliance_mode_support = "enable"
  tags = {
    Name = "spoke"
  }
}

# Kept out of the default route table: associated with and propagated to tables below.
resource "aws_ec2_transit_gateway_vpc_attachment" "shared" {
  transit_gateway_id                              = aws_ec2_transit_gateway.hub.id
  vpc_id                                          = aws_vpc.shared.id
  subnet_ids                                      = [aws_subnet.shared.id]
  transit_gateway_default_route_table_association = false
  transit_gateway_default_route_table_propagation = false
  tags = {
    Name = "shared"
  }
}

resource "aws_ec2_transit_gateway_route_table" "shared" {
  transit_gateway_id = aws_ec2_transit_gateway.hub.id
  tags = {
    Name = "shared-services"
  }
}

resource "aws_ec2_transit_gateway_route_table_association" "shared" {
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_vpc_attachment.shared.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.shared.id
}

resource "aws_ec2_transit_gateway_route_table_propagation" "shared" {
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_vpc_attachment.shared.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.shared.id
}

resource "aws_ec2_transit_gateway_route_table_propagation" "spoke_to_shared" {
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_vpc_attachment.spoke.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.shared.id
}

resource "aws_ec2_transit_gateway_route" "default" {
  destination_cidr_block         = "0.0.0.0/0"
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_vpc_attachment.spoke.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.shared.id
}

resource "aws_ec2_transit_gateway_route" "blackhole" {
  destination_cidr_block         = "192.168.100.0/24"
  blackhole                      = true
  transit_gateway_route_table_id = aws_ec2_transit_gateway_route_table.shared.id
}

resource "aws_ec2_managed_prefix_list" "onprem" {
  name           = "nimbus-onprem"
  address_family = "IPv4"
  max_entries    = 4
  entry {
    cidr = "172.16.0.0/16"
  }
  entry {
    cidr = "172.17.0.0/16"
  }
}

resource "aws_ec2_transit_gateway_prefix_list_reference" "onprem" {
  prefix_list_id                 = aws_ec2_managed_prefix_list.onprem.id
  transit_gateway_attachment_id  = aws_ec2_transit_gateway_vpc_attachment.shared.id
  transit_gateway_route_table_id = aws_ec2_transit_gateway.hub.association_default_route_table_id
}

resource "aws_route_table" "spoke" {
  vpc_id = aws_vpc.spoke.id
}

resource "aws_route" "to_shared" {
  route_table_id         = aws_route_table.spoke.id
  destination_cidr_block = aws_vpc.shared.cidr_block
  transit_gateway_id     = aws_ec2_transit_gateway.hub.id
  depends_on             = [aws_ec2_transit_gateway_vpc_attachment.spoke]
}

data "aws_ec2_transit_gateway" "hub" {
  filter {
    name   = "options.amazon-side-asn"
    values = ["64620"]
  }
  depends_on = [aws_ec2_transit_gateway.hub]
}

data "aws_ec2_transit_gateway_route_table" "shared" {
  id = aws_ec2_transit_gateway_route_table.shared.id
}

data "aws_ec2_transit_gateway_vpc_attachment" "spoke" {
  filter {
    name   = "vpc-id"
    values = [aws_vpc.spoke.id]
  }
  depends_on = [aws_ec2_transit_gateway_vpc_attachment.spoke]
}

output "hub_default_table" {
  value = data.aws_ec2_transit_gateway.hub.association_default_route_table_id
}

output "spoke_attachment_subnets" {
  value = data.aws_ec2_transit_gateway_vpc_attachment.spoke.subnet_ids
}

output "shared_table_default" {
  value = data.aws_ec2_transit_gateway_route_table.shared.default_association_route_table
}
