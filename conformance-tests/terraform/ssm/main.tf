# Parameter Store on nimbus: the account's own parameters (a plain string, a secret with
# tags), AWS's public Amazon Linux 2023 parameter read as a data source, and an instance
# launched from the image it names.

resource "aws_ssm_parameter" "endpoint" {
  name        = "/nimbus/app/endpoint"
  description = "where the app listens"
  type        = "String"
  value       = "https://app.example.internal"
}

resource "aws_ssm_parameter" "secret" {
  name  = "/nimbus/app/db-password"
  type  = "SecureString"
  value = "correct-horse-battery-staple"
  tier  = "Standard"
  tags = {
    Team = "platform"
  }
}

resource "aws_ssm_parameter" "golden" {
  name      = "/nimbus/app/golden-ami"
  type      = "String"
  data_type = "aws:ec2:image"
  value     = data.aws_ssm_parameter.al2023.value
}

data "aws_ssm_parameter" "al2023" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

data "aws_ami" "al2023" {
  owners = ["amazon"]
  filter {
    name   = "image-id"
    values = [data.aws_ssm_parameter.al2023.value]
  }
}

resource "aws_instance" "app" {
  ami           = data.aws_ssm_parameter.al2023.value
  instance_type = "t3.micro"
  tags = {
    Name = "nimbus-ssm"
  }
  lifecycle {
    postcondition {
      condition     = self.ami == data.aws_ami.al2023.id
      error_message = "the instance runs the image the public parameter names"
    }
  }
}

output "image_name" {
  value = data.aws_ami.al2023.name
}
