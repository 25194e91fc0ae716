# What aws_instance and aws_vpc change in place: phase 2 (check.sh) turns auto recovery
# off, adds the resource-name DNS record and takes the VPC from dedicated to default
# tenancy; the account's T3 credit default is set on its own. (Moving an instance into a
# capacity reservation stops and starts it, about 40 s of Terraform's waiters: the boto3
# test test_instance_settings.py covers it.)

variable "phase" {
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

resource "aws_vpc" "main" {
  cidr_block       = "10.71.0.0/16"
  instance_tenancy = var.phase == 1 ? "dedicated" : "default"
  tags = {
    Name = "nimbus-instance-settings"
  }
}

resource "aws_subnet" "main" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.71.1.0/24"
  availability_zone = "eu-central-1a"
}

resource "aws_instance" "web" {
  ami           = data.aws_ami.al2023.id
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.main.id

  maintenance_options {
    auto_recovery = var.phase == 1 ? "default" : "disabled"
  }

  private_dns_name_options {
    hostname_type                     = "ip-name"
    enable_resource_name_dns_a_record = var.phase == 2
  }

  tags = {
    Name = "nimbus-instance-settings"
  }
}

resource "aws_ec2_default_credit_specification" "t3" {
  instance_family = "t3"
  cpu_credits     = "standard"
}

output "instance_id" {
  value = aws_instance.web.id
}
