# Dual stack: a VPC with an Amazon-provided IPv6 /56, a subnet with a /64 of it that gives
# every new interface an IPv6 address, an egress-only internet gateway, an instance with
# two IPv6 addresses and an interface whose IPv6 address count check.sh changes in place
# (AssignIpv6Addresses, then UnassignIpv6Addresses).

variable "eni_ipv6_count" {
  type    = number
  default = 1
}

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

data "aws_availability_zones" "available" {
  state = "available"
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

resource "aws_vpc" "dual" {
  cidr_block                       = "10.60.0.0/16"
  assign_generated_ipv6_cidr_block = true
  tags = {
    Name = "nimbus-dual-stack"
  }
}

resource "aws_subnet" "dual" {
  vpc_id                          = aws_vpc.dual.id
  cidr_block                      = "10.60.1.0/24"
  ipv6_cidr_block                 = cidrsubnet(aws_vpc.dual.ipv6_cidr_block, 8, 1)
  assign_ipv6_address_on_creation = true
  availability_zone               = data.aws_availability_zones.available.names[0]
}

resource "aws_egress_only_internet_gateway" "out" {
  vpc_id = aws_vpc.dual.id
}

resource "aws_route_table" "dual" {
  vpc_id = aws_vpc.dual.id
  route {
    ipv6_cidr_block        = "::/0"
    egress_only_gateway_id = aws_egress_only_internet_gateway.out.id
  }
}

resource "aws_route_table_association" "dual" {
  subnet_id      = aws_subnet.dual.id
  route_table_id = aws_route_table.dual.id
}

resource "aws_instance" "dual" {
  ami                = data.aws_ami.al2023.id
  instance_type      = "t3.micro"
  subnet_id          = aws_subnet.dual.id
  ipv6_address_count = 2
  tags = {
    Name = "nimbus-dual-stack"
  }
}

resource "aws_network_interface" "extra" {
  subnet_id          = aws_subnet.dual.id
  ipv6_address_count = var.eni_ipv6_count
}

output "instance_ipv6" {
  value = aws_instance.dual.ipv6_addresses
}

output "eni_ipv6" {
  value = aws_network_interface.extra.ipv6_addresses
}
