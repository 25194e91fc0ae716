# Spot Instances: a persistent aws_spot_instance_request that waits for fulfilment (its
# instance is read back through the request), and an aws_instance launched on the Spot
# market through instance_market_options (RunInstances creates its one-time request).

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

resource "aws_vpc" "spot" {
  cidr_block = "10.77.0.0/16"
}

resource "aws_subnet" "spot" {
  vpc_id            = aws_vpc.spot.id
  cidr_block        = "10.77.1.0/24"
  availability_zone = "eu-central-1b"
}

resource "aws_security_group" "spot" {
  name   = "nimbus-spot"
  vpc_id = aws_vpc.spot.id
}

resource "aws_spot_instance_request" "worker" {
  ami                    = data.aws_ami.al2023.id
  instance_type          = "t3.small"
  spot_price             = "0.5"
  wait_for_fulfillment   = true
  subnet_id              = aws_subnet.spot.id
  vpc_security_group_ids = [aws_security_group.spot.id]
  user_data              = "#!/bin/sh\necho spot\n"
  tags = {
    Name = "nimbus-spot-worker"
  }
}

resource "aws_instance" "batch" {
  ami           = data.aws_ami.al2023.id
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.spot.id
  instance_market_options {
    market_type = "spot"
    spot_options {
      max_price = "0.2"
    }
  }
  tags = {
    Name = "nimbus-spot-batch"
  }
}

output "worker_state" {
  value = aws_spot_instance_request.worker.spot_request_state
}
