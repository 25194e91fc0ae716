# VPC Block Public Access: the account's mode in the Region (block-ingress; the provider
# sets it back to off on destroy) and exclusions for a VPC (egress only, tagged) and for
# a subnet of another VPC (both directions). The mode is account-wide: RUN_ALONE.

resource "aws_vpc_block_public_access_options" "mode" {
  internet_gateway_block_mode = "block-ingress"
}

resource "aws_vpc" "excluded" {
  cidr_block = "10.83.0.0/16"
  tags = {
    Name = "nimbus-tf-bpa-excluded"
  }
}

resource "aws_vpc" "partly" {
  cidr_block = "10.84.0.0/16"
  tags = {
    Name = "nimbus-tf-bpa-partly"
  }
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.partly.id
  cidr_block = "10.84.1.0/24"
}

resource "aws_vpc_block_public_access_exclusion" "vpc" {
  vpc_id                          = aws_vpc.excluded.id
  internet_gateway_exclusion_mode = "allow-egress"
  tags = {
    Name = "nimbus-tf-bpa-vpc"
  }
}

resource "aws_vpc_block_public_access_exclusion" "subnet" {
  subnet_id                       = aws_subnet.public.id
  internet_gateway_exclusion_mode = "allow-bidirectional"
}

output "vpc_exclusion" {
  value = aws_vpc_block_public_access_exclusion.vpc.id
}

output "subnet_exclusion_arn" {
  value = aws_vpc_block_public_access_exclusion.subnet.resource_arn
}
