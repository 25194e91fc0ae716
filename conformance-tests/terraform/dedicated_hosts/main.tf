# Dedicated Hosts: an m5.large host and an m5 family host (AllocateHosts, DescribeHosts,
# ReleaseHosts), an instance placed on the first by host id with tenancy host, and the
# family host's auto-placement and host recovery switched in place by check.sh
# (ModifyHosts).

variable "auto_placement" {
  type    = string
  default = "off"
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

data "aws_subnet" "default" {
  availability_zone = data.aws_availability_zones.available.names[0]
  default_for_az    = true
}

resource "aws_ec2_host" "m5_large" {
  availability_zone = data.aws_availability_zones.available.names[0]
  instance_type     = "m5.large"
  host_recovery     = "on"
  tags = {
    Name = "nimbus-m5-large"
  }
}

resource "aws_ec2_host" "m5_family" {
  availability_zone = data.aws_availability_zones.available.names[0]
  instance_family   = "m5"
  auto_placement    = var.auto_placement
}

resource "aws_instance" "on_host" {
  ami           = data.aws_ami.al2023.id
  instance_type = "m5.large"
  subnet_id     = data.aws_subnet.default.id
  host_id       = aws_ec2_host.m5_large.id
  tenancy       = "host"
  tags = {
    Name = "nimbus-on-host"
  }
}

output "instance_host" {
  value = aws_instance.on_host.host_id
}

output "host_id" {
  value = aws_ec2_host.m5_large.id
}
