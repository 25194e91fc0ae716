# Subnet CIDR reservations: an explicit IPv4 range kept from automatic assignment (the
# network interface made after it gets the first address past it) and a prefix range.

resource "aws_vpc" "scr" {
  cidr_block = "10.79.0.0/16"
  tags = {
    Name = "nimbus-tf-subnet-cidr-reservation"
  }
}

resource "aws_subnet" "scr" {
  vpc_id     = aws_vpc.scr.id
  cidr_block = "10.79.1.0/24"
}

resource "aws_ec2_subnet_cidr_reservation" "appliances" {
  subnet_id        = aws_subnet.scr.id
  cidr_block       = "10.79.1.0/28"
  reservation_type = "explicit"
  description      = "appliances"
}

resource "aws_ec2_subnet_cidr_reservation" "prefixes" {
  subnet_id        = aws_subnet.scr.id
  cidr_block       = "10.79.1.64/26"
  reservation_type = "prefix"
}

resource "aws_network_interface" "auto" {
  subnet_id  = aws_subnet.scr.id
  depends_on = [aws_ec2_subnet_cidr_reservation.appliances]
}

output "auto_address" {
  value = aws_network_interface.auto.private_ip
}
