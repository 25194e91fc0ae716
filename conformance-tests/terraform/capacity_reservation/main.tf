# An On-Demand Capacity Reservation and an instance that targets it (the instance reads
# its capacity_reservation_specification back with the target and no preference).

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

resource "aws_ec2_capacity_reservation" "web" {
  instance_type           = "t3.micro"
  instance_platform       = "Linux/UNIX"
  availability_zone       = "eu-central-1a"
  instance_count          = 2
  instance_match_criteria = "targeted"
  tags = {
    Name = "nimbus-capacity"
  }
}

resource "aws_instance" "web" {
  ami               = data.aws_ami.al2023.id
  instance_type     = "t3.micro"
  availability_zone = "eu-central-1a"
  capacity_reservation_specification {
    capacity_reservation_target {
      capacity_reservation_id = aws_ec2_capacity_reservation.web.id
    }
  }
  tags = {
    Name = "nimbus-capacity-web"
  }
}
