# IPAM: an IPAM operating in the provider's Region, a scope of its own, a top-level IPv4
# pool with a provisioned CIDR, a child pool drawn from it with allocation rules, a VPC
# whose CIDR block the child pool chooses, a reserved allocation, a preview of the next
# free block, and an IPv6 pool of Amazon-provided addresses feeding a second VPC.

data "aws_region" "current" {}

resource "aws_vpc_ipam" "main" {
  description = "nimbus conformance"
  operating_regions {
    region_name = data.aws_region.current.name
  }
  tags = { Name = "conformance" }
}

resource "aws_vpc_ipam_scope" "extra" {
  ipam_id     = aws_vpc_ipam.main.id
  description = "a second private scope"
}

resource "aws_vpc_ipam_pool" "top" {
  address_family = "ipv4"
  ipam_scope_id  = aws_vpc_ipam.main.private_default_scope_id
  description    = "top-level"
}

resource "aws_vpc_ipam_pool_cidr" "top" {
  ipam_pool_id = aws_vpc_ipam_pool.top.id
  cidr         = "10.0.0.0/8"
}

resource "aws_vpc_ipam_pool" "regional" {
  address_family                    = "ipv4"
  ipam_scope_id                     = aws_vpc_ipam.main.private_default_scope_id
  locale                            = data.aws_region.current.name
  source_ipam_pool_id               = aws_vpc_ipam_pool.top.id
  allocation_default_netmask_length = 20
  allocation_min_netmask_length     = 16
  allocation_max_netmask_length     = 24
  tags                              = { Name = "regional" }
}

resource "aws_vpc_ipam_pool_cidr" "regional" {
  ipam_pool_id   = aws_vpc_ipam_pool.regional.id
  netmask_length = 12
  depends_on     = [aws_vpc_ipam_pool_cidr.top]
}

resource "aws_vpc_ipam_pool_cidr_allocation" "reserved" {
  ipam_pool_id   = aws_vpc_ipam_pool.regional.id
  netmask_length = 24
  description    = "kept for later"
  depends_on     = [aws_vpc_ipam_pool_cidr.regional]
}

resource "aws_vpc_ipam_preview_next_cidr" "next" {
  ipam_pool_id   = aws_vpc_ipam_pool.regional.id
  netmask_length = 20
  depends_on     = [aws_vpc_ipam_pool_cidr.regional]
}

resource "aws_vpc" "from_pool" {
  ipv4_ipam_pool_id   = aws_vpc_ipam_pool.regional.id
  ipv4_netmask_length = 20
  depends_on          = [aws_vpc_ipam_pool_cidr.regional]
  tags                = { Name = "ipam" }
}

resource "aws_vpc_ipam_pool" "ipv6" {
  address_family   = "ipv6"
  ipam_scope_id    = aws_vpc_ipam.main.public_default_scope_id
  locale           = data.aws_region.current.name
  aws_service      = "ec2"
  public_ip_source = "amazon"
}

resource "aws_vpc_ipam_pool_cidr" "ipv6" {
  ipam_pool_id   = aws_vpc_ipam_pool.ipv6.id
  netmask_length = 52
}

# A second VPC, its IPv4 range given and its IPv6 block drawn from the Amazon-provided pool.
resource "aws_vpc" "dual_stack" {
  cidr_block          = "192.168.0.0/24"
  ipv6_ipam_pool_id   = aws_vpc_ipam_pool.ipv6.id
  ipv6_netmask_length = 56
  depends_on          = [aws_vpc_ipam_pool_cidr.ipv6]
}

data "aws_vpc_ipam_pool" "regional" {
  ipam_pool_id = aws_vpc_ipam_pool.regional.id
  depends_on   = [aws_vpc_ipam_pool_cidr.regional]
}

data "aws_vpc_ipam_pool_cidrs" "regional" {
  ipam_pool_id = aws_vpc_ipam_pool.regional.id
  depends_on   = [aws_vpc_ipam_pool_cidr.regional]
}

output "vpc_cidr" {
  value = aws_vpc.from_pool.cidr_block
}

output "vpc_ipv6" {
  value = aws_vpc.dual_stack.ipv6_cidr_block
}

output "preview" {
  value = aws_vpc_ipam_preview_next_cidr.next.cidr
}
