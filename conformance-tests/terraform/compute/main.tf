# Immutable infrastructure on nimbus: an instance from the newest Amazon Linux 2023 image,
# a launch template, an extra EBS volume attached, and an AMI baked from the instance.

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

resource "aws_key_pair" "deployer" {
  key_name   = "nimbus-deployer"
  public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJV55VBN2u5NXh8PSLohxUGcICaDAkkbUk7Qm6urhaPh nimbus@example"
  tags = {
    Team = "platform"
  }
}

resource "aws_security_group" "web" {
  name        = "nimbus-web"
  description = "web tier"
  vpc_id      = data.aws_vpc.default.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_launch_template" "web" {
  name                   = "nimbus-web"
  image_id               = data.aws_ami.al2023.id
  instance_type          = "t3.micro"
  key_name               = aws_key_pair.deployer.key_name
  vpc_security_group_ids = [aws_security_group.web.id]
  # No user_data here: an aws_instance launched from a template with user data plans a
  # change forever, against AWS as against nimbus (hashicorp/terraform-provider-aws#30825).
  metadata_options {
    http_tokens = "required"
  }
  tag_specifications {
    resource_type = "instance"
    tags = {
      Role = "web"
    }
  }
}

resource "aws_instance" "web" {
  ami                    = data.aws_ami.al2023.id
  instance_type          = "t3.micro"
  key_name               = aws_key_pair.deployer.key_name
  subnet_id              = data.aws_subnets.default.ids[0]
  vpc_security_group_ids = [aws_security_group.web.id]
  user_data              = "#!/bin/bash\necho hello from nimbus\n"
  root_block_device {
    volume_size = 10
    volume_type = "gp3"
  }
  tags = {
    Name = "nimbus-web"
  }
}

resource "aws_instance" "from_template" {
  launch_template {
    id      = aws_launch_template.web.id
    version = "$Latest"
  }
  subnet_id = data.aws_subnets.default.ids[1]
  # The template's instance tags are given to the instance too, so they are listed here.
  tags = {
    Name = "nimbus-from-template"
    Role = "web"
  }
}

resource "aws_ebs_volume" "data" {
  availability_zone = aws_instance.web.availability_zone
  size              = 20
  type              = "gp3"
  tags = {
    Name = "nimbus-data"
  }
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.web.id
}

resource "aws_ami_from_instance" "baked" {
  name               = "nimbus-web-baked"
  source_instance_id = aws_instance.web.id
  depends_on         = [aws_volume_attachment.data]
  tags = {
    Name = "nimbus-web-baked"
  }
}

output "ami" {
  value = aws_ami_from_instance.baked.id
}
