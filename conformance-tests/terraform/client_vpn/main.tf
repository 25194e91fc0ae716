# A Client VPN endpoint with mutual (certificate) authentication in a VPC, with its own
# security group, DNS server, session timeout and login banner, an authorization rule for
# the VPC and one for an access group. nimbus checks certificate ARNs for their shape
# only (it has no ACM), so the certificate here is an ARN, not a real certificate.
# Target networks and routes are in networks/ (kept out of the default run: the provider
# waits a fixed 4 minutes per association and per disassociation).

resource "aws_vpc" "vpn" {
  cidr_block = "10.61.0.0/16"
  tags = {
    Name = "nimbus-tf-cvpn-rules"
  }
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
  client_cidr_block      = "172.21.0.0/22"
  split_tunnel           = true
  transport_protocol     = "tcp"
  vpn_port               = 1194
  vpc_id                 = aws_vpc.vpn.id
  security_group_ids     = [aws_security_group.vpn.id]
  dns_servers            = ["10.61.0.2"]
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
    Name = "nimbus-tf-cvpn-rules"
  }
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

output "client_vpn_id" {
  value = aws_ec2_client_vpn_endpoint.vpn.id
}
