# EC2 Fleet and Spot Fleet from one launch template: an aws_ec2_fleet of type maintain
# (two On-Demand instances, the cheaper of two overrides) and an aws_spot_fleet_request
# with a launch_template_config (capacity 2 from one override of weight 2).
#
# The fleet is deleted without terminating its instances (terminate_instances = false):
# with true, the provider waits five minutes before it first looks (a fixed delay in its
# delete waiter), so check-destroyed.sh checks the fleet went to deleted_running and
# terminates what it left running itself.

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

resource "aws_launch_template" "fleet" {
  name          = "nimbus-fleet"
  image_id      = data.aws_ami.al2023.id
  instance_type = "t3.micro"
  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = "nimbus-fleet-worker"
    }
  }
}

resource "aws_ec2_fleet" "workers" {
  type                = "maintain"
  terminate_instances = false

  launch_template_config {
    launch_template_specification {
      launch_template_id = aws_launch_template.fleet.id
      version            = aws_launch_template.fleet.latest_version
    }
    override {
      instance_type = "m5.large"
    }
    override {
      instance_type = "t3.small"
    }
  }

  target_capacity_specification {
    default_target_capacity_type = "on-demand"
    total_target_capacity        = 2
  }

  tags = {
    Name = "nimbus-fleet"
  }
}

resource "aws_spot_fleet_request" "batch" {
  iam_fleet_role                = "arn:aws:iam::000000000000:role/aws-ec2-spot-fleet-tagging-role"
  target_capacity               = 2
  terminate_instances_on_delete = "true"

  launch_template_config {
    launch_template_specification {
      id      = aws_launch_template.fleet.id
      version = aws_launch_template.fleet.latest_version
    }
    overrides {
      instance_type     = "t3.small"
      weighted_capacity = 2
    }
  }

  tags = {
    Name = "nimbus-spot-fleet"
  }
}

output "fleet_id" {
  value = aws_ec2_fleet.workers.id
}

output "spot_fleet_id" {
  value = aws_spot_fleet_request.batch.id
}

output "fleet_state" {
  value = aws_ec2_fleet.workers.fleet_state
}
