# A carrier gateway (the account opts into the region's Wavelength Zone group first, as
# AWS requires) and an EC2 Instance Connect endpoint in a private subnet.

resource "aws_ec2_availability_zone_group" "wavelength" {
  group_name    = "eu-central-1-wl1"
  opt_in_status = "opted-in"
}

resource "aws_vpc" "edge" {
  cidr_block = "10.40.0.0/16"
  tags = {
    Name = "nimbus-tf-edge"
  }
}

resource "aws_ec2_carrier_gateway" "edge" {
  vpc_id = aws_vpc.edge.id
  tags = {
    Name = "nimbus-tf-cagw"
  }
  depends_on = [aws_ec2_availability_zone_group.wavelength]
}

resource "aws_route_table" "carrier" {
  vpc_id = aws_vpc.edge.id
  route {
    cidr_block         = "0.0.0.0/0"
    carrier_gateway_id = aws_ec2_carrier_gateway.edge.id
  }
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.edge.id
  cidr_block = "10.40.1.0/24"
}

resource "aws_security_group" "eice" {
  name   = "eice"
  vpc_id = aws_vpc.edge.id
  egress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.edge.cidr_block]
  }
}

resource "aws_ec2_instance_connect_endpoint" "private" {
  subnet_id          = aws_subnet.private.id
  security_group_ids = [aws_security_group.eice.id]
  preserve_client_ip = false
  tags = {
    Name = "nimbus-tf-eice"
  }
}

output "eice_dns" {
  value = aws_ec2_instance_connect_endpoint.private.dns_name
}
