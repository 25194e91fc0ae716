# The cloud the console check renders (issue 16): a VPC with a public and a private
# subnet, an internet gateway and a public route table, a security group, a running
# instance, a metric alarm and a dashboard with a line and a number widget. check.sh puts
# datapoints for the dashboard, sets the alarm, and loads the console in headless
# Chromium (conformance-tests/console/run.sh) before Terraform destroys it all.

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

data "aws_region" "current" {}

resource "aws_vpc" "console" {
  cidr_block = "10.43.0.0/16"
  tags = {
    Name = "console-tf-vpc"
  }
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.console.id
  cidr_block = "10.43.1.0/24"
  tags = {
    Name = "console-tf-public"
  }
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.console.id
  cidr_block = "10.43.2.0/24"
  tags = {
    Name = "console-tf-private"
  }
}

resource "aws_internet_gateway" "console" {
  vpc_id = aws_vpc.console.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.console.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.console.id
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "web" {
  name        = "console-tf-web"
  description = "web tier"
  vpc_id      = aws_vpc.console.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "web" {
  ami                    = data.aws_ami.al2023.id
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.web.id]
  tags = {
    Name = "console-tf-web-1"
  }
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "console-tf-high-latency"
  namespace           = "ConsoleTF/App"
  metric_name         = "Latency"
  dimensions          = { Service = "web" }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 1
  threshold           = 90
  comparison_operator = "GreaterThanThreshold"
}

resource "aws_cloudwatch_dashboard" "ops" {
  dashboard_name = "console-tf-ops"
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "Latency (line)", region = data.aws_region.current.name, view = "timeSeries",
          stat    = "Average", period = 60, start = "-PT1H",
          metrics = [["ConsoleTF/App", "Latency", "Service", "web"]]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 6, height = 6
        properties = {
          title   = "Requests now (number)", region = data.aws_region.current.name, view = "singleValue",
          stat    = "Sum", period = 60,
          metrics = [["ConsoleTF/App", "Requests", "Service", "web"]]
        }
      },
    ]
  })
}

output "cloud" {
  value = {
    region    = data.aws_region.current.name
    vpc       = aws_vpc.console.id
    subnets   = [aws_subnet.public.id, aws_subnet.private.id]
    igw       = aws_internet_gateway.console.id
    rtb       = aws_route_table.public.id
    sg        = aws_security_group.web.id
    instance  = aws_instance.web.id
    alarm     = aws_cloudwatch_metric_alarm.latency.alarm_name
    dashboard = aws_cloudwatch_dashboard.ops.dashboard_name
    titles    = ["Latency (line)", "Requests now (number)"]
    kinds     = ["line", "number"]
  }
}
