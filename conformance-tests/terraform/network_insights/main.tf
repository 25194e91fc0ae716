# Network Insights: two interfaces in a VPC, one path they can use (SSH, allowed by the
# security group) and one they cannot (MySQL), each analysed; the analyses wait for
# completion and their results are read back.

resource "aws_vpc" "net" {
  cidr_block = "10.40.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.net.id
  cidr_block        = "10.40.1.0/24"
  availability_zone = "eu-central-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.net.id
  cidr_block        = "10.40.2.0/24"
  availability_zone = "eu-central-1a"
}

resource "aws_security_group" "ssh" {
  name   = "nimbus-insights-ssh"
  vpc_id = aws_vpc.net.id
  ingress {
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = [aws_vpc.net.cidr_block]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_network_interface" "client" {
  subnet_id       = aws_subnet.a.id
  security_groups = [aws_security_group.ssh.id]
}

resource "aws_network_interface" "server" {
  subnet_id       = aws_subnet.b.id
  security_groups = [aws_security_group.ssh.id]
}

resource "aws_ec2_network_insights_path" "ssh" {
  source           = aws_network_interface.client.id
  destination      = aws_network_interface.server.arn
  protocol         = "tcp"
  destination_port = 22
  tags = {
    Name = "client-to-server-ssh"
  }
}

resource "aws_ec2_network_insights_path" "mysql" {
  source           = aws_network_interface.client.id
  destination      = aws_network_interface.server.id
  protocol         = "tcp"
  destination_port = 3306
}

resource "aws_ec2_network_insights_analysis" "ssh" {
  network_insights_path_id = aws_ec2_network_insights_path.ssh.id
  wait_for_completion      = true
  tags = {
    Name = "ssh"
  }
}

resource "aws_ec2_network_insights_analysis" "mysql" {
  network_insights_path_id = aws_ec2_network_insights_path.mysql.id
  wait_for_completion      = true
}

output "ssh_path_found" {
  value = aws_ec2_network_insights_analysis.ssh.path_found
}

output "mysql_path_found" {
  value = aws_ec2_network_insights_analysis.mysql.path_found
}

output "mysql_blocked_by" {
  value = aws_ec2_network_insights_analysis.mysql.explanations[0].explanation_code
}
