# Transit Gateway multicast: a gateway with multicast support, a VPC attached to it, a
# multicast domain with static sources, the attachment's subnet associated with it, one
# interface registered as a group member and another as a group source.

resource "aws_ec2_transit_gateway" "mcast" {
  description       = "nimbus multicast"
  multicast_support = "enable"
  tags = {
    Name = "nimbus-tgw-multicast"
  }
}

resource "aws_vpc" "mcast" {
  cidr_block = "10.66.0.0/16"
}

resource "aws_subnet" "mcast" {
  vpc_id     = aws_vpc.mcast.id
  cidr_block = "10.66.1.0/24"
}

resource "aws_ec2_transit_gateway_vpc_attachment" "mcast" {
  transit_gateway_id = aws_ec2_transit_gateway.mcast.id
  vpc_id             = aws_vpc.mcast.id
  subnet_ids         = [aws_subnet.mcast.id]
}

resource "aws_ec2_transit_gateway_multicast_domain" "mcast" {
  transit_gateway_id     = aws_ec2_transit_gateway.mcast.id
  static_sources_support = "enable"
  tags = {
    Name = "nimbus-mcast-domain"
  }
}

resource "aws_ec2_transit_gateway_multicast_domain_association" "mcast" {
  subnet_id                           = aws_subnet.mcast.id
  transit_gateway_attachment_id       = aws_ec2_transit_gateway_vpc_attachment.mcast.id
  transit_gateway_multicast_domain_id = aws_ec2_transit_gateway_multicast_domain.mcast.id
}

resource "aws_network_interface" "listener" {
  subnet_id = aws_subnet.mcast.id
}

resource "aws_network_interface" "sender" {
  subnet_id = aws_subnet.mcast.id
}

resource "aws_ec2_transit_gateway_multicast_group_member" "listener" {
  group_ip_address                    = "224.0.0.1"
  network_interface_id                = aws_network_interface.listener.id
  transit_gateway_multicast_domain_id = aws_ec2_transit_gateway_multicast_domain_association.mcast.transit_gateway_multicast_domain_id
}

resource "aws_ec2_transit_gateway_multicast_group_source" "sender" {
  group_ip_address                    = "224.0.0.1"
  network_interface_id                = aws_network_interface.sender.id
  transit_gateway_multicast_domain_id = aws_ec2_transit_gateway_multicast_domain_association.mcast.transit_gateway_multicast_domain_id
}
