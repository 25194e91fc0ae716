# Placement groups of each strategy, and an instance with detailed monitoring launched
# into a partition group (aws_instance calls MonitorInstances on create when monitoring
# is on, and reads the placement back).

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

resource "aws_placement_group" "hpc" {
  name     = "nimbus-hpc"
  strategy = "cluster"
  tags = {
    Team = "hpc"
  }
}

resource "aws_placement_group" "etcd" {
  name         = "nimbus-etcd"
  strategy     = "spread"
  spread_level = "rack"
}

resource "aws_placement_group" "kafka" {
  name            = "nimbus-kafka"
  strategy        = "partition"
  partition_count = 3
}

resource "aws_instance" "broker" {
  ami                        = data.aws_ami.al2023.id
  instance_type              = "t3.micro"
  placement_group            = aws_placement_group.kafka.name
  placement_partition_number = 2
  monitoring                 = true
  availability_zone          = "eu-central-1a"
  tags = {
    Name = "nimbus-broker"
  }
}

output "partition" {
  value = aws_instance.broker.placement_partition_number
}
