# The client_vpn configuration with target networks: one subnet per Availability Zone
# (the endpoint turns available with the first), the routes the associations add and a
# route to the internet through one of them. Not part of the default run (run.sh lists
# only the top-level configurations): the provider waits a fixed 4 minutes after each
# association and each disassociation before it first looks (its
# ClientVPNNetworkAssociationCreatedDelay and ...DeletedDelay), so apply and destroy take
# about 8 minutes whatever nimbus answers. Run it with TF_CONFIGS=client_vpn/networks.
# nimbus checks certificate ARNs for their shape only (it has no ACM), so the
# certificate here is an ARN, not a real certificate.

data "aws_availability_zones" "zones" {
  state = "available"
}

resource "aws_vpc" "vpn" {
  cidr_block = "10.60.0.0/16"
  tags = {
    Name = "nimbus-tf-cvpn"
  }
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.vpn.id
  cidr_block        = "10.60.1.0/24"
  availability_zone = data.aws_availability_zones.zones.names[0]
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.vpn.id
  cidr_block        = "10.60.2.0/24"
  availability_zone = data.aws_availability_zones.zones.names[1]
}

resource "aws_security_group" "vpn" {
  name   = "client-vpn"
  vpc_id = aws_vpc.vpn.id
}

locals {
  certificate = "arn:aws:acm:eu-central-1:000000000000:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
}

resource "aws_ec2_client_vpn_endpoint" "vpn" {
  description            = "nimbus client vpn"
  server_certificate_arn = local.certificate
  client_cidr_block      = "172.20.0.0/22"
  split_tunnel           = true
  vpc_id                 = aws_vpc.vpn.id
  security_group_ids     = [aws_security_group.vpn.id]
  dns_servers            = ["10.60.0.2"]
  session_timeout_hours  = 12

  authentication_options {
    type                       = "certificate-authentication"
    root_certificate_chain_arn = local.certificate
  }

  connection_log_options {
    enabled = false
  }

  client_login_banner_options {
    enabled     = true
    banner_text = "nimbus"
  }

  tags = {
    Name = "nimbus-tf-cvpn"
  }
}

resource "aws_ec2_client_vpn_network_association" "a" {
  client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.vpn.id
  subnet_id              = aws_subnet.a.id
}

resource "aws_ec2_client_vpn_network_association" "b" {
  client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.vpn.id
  subnet_id              = aws_subnet.b.id
}

resource "aws_ec2_client_vpn_authorization_rule" "vpc" {
  client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.vpn.id
  target_network_cidr    = aws_vpc.vpn.cidr_block
  authorize_all_groups   = true
  description            = "the VPC"
}

resource "aws_ec2_client_vpn_authorization_rule" "ops" {
  client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.vpn.id
  target_network_cidr    = "0.0.0.0/0"
  access_group_id        = "ops"
}

resource "aws_ec2_client_vpn_route" "internet" {
  client_vpn_endpoint_id = aws_ec2_client_vpn_endpoint.vpn.id
  destination_cidr_block = "0.0.0.0/0"
  target_vpc_subnet_id   = aws_ec2_client_vpn_network_association.a.subnet_id
  description            = "internet"
}

output "client_vpn_dns_name" {
  value = aws_ec2_client_vpn_endpoint.vpn.dns_name
}
