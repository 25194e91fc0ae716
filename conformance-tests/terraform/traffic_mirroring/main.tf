# Traffic Mirroring: a filter with amazon-dns and three rules (one with TCP port ranges),
# an interface as target, and a session mirroring a second interface through the filter.

resource "aws_vpc" "mirror" {
  cidr_block = "10.77.0.0/16"
  tags = {
    Name = "nimbus-traffic-mirroring"
  }
}

resource "aws_subnet" "mirror" {
  vpc_id     = aws_vpc.mirror.id
  cidr_block = "10.77.1.0/24"
}

resource "aws_network_interface" "source" {
  subnet_id = aws_subnet.mirror.id
}

resource "aws_network_interface" "sink" {
  subnet_id = aws_subnet.mirror.id
}

resource "aws_ec2_traffic_mirror_filter" "web" {
  description      = "web traffic"
  network_services = ["amazon-dns"]
  tags = {
    Name = "nimbus-mirror-filter"
  }
}

resource "aws_ec2_traffic_mirror_filter_rule" "https_in" {
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.web.id
  description              = "https in"
  traffic_direction        = "ingress"
  rule_number              = 10
  rule_action              = "accept"
  protocol                 = 6
  source_cidr_block        = "0.0.0.0/0"
  destination_cidr_block   = "10.77.0.0/16"
  destination_port_range {
    from_port = 443
    to_port   = 443
  }
  source_port_range {
    from_port = 1024
    to_port   = 65535
  }
}

resource "aws_ec2_traffic_mirror_filter_rule" "rest_in" {
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.web.id
  traffic_direction        = "ingress"
  rule_number              = 20
  rule_action              = "reject"
  source_cidr_block        = "0.0.0.0/0"
  destination_cidr_block   = "0.0.0.0/0"
}

resource "aws_ec2_traffic_mirror_filter_rule" "all_out" {
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.web.id
  traffic_direction        = "egress"
  rule_number              = 10
  rule_action              = "accept"
  source_cidr_block        = "10.77.0.0/16"
  destination_cidr_block   = "0.0.0.0/0"
}

resource "aws_ec2_traffic_mirror_target" "sink" {
  description          = "analyser"
  network_interface_id = aws_network_interface.sink.id
  tags = {
    Name = "nimbus-mirror-target"
  }
}

resource "aws_ec2_traffic_mirror_session" "web" {
  description              = "mirror web"
  network_interface_id     = aws_network_interface.source.id
  traffic_mirror_filter_id = aws_ec2_traffic_mirror_filter.web.id
  traffic_mirror_target_id = aws_ec2_traffic_mirror_target.sink.id
  session_number           = 1
  packet_length            = 128
  tags = {
    Name = "nimbus-mirror-session"
  }
}

output "virtual_network_id" {
  value = aws_ec2_traffic_mirror_session.web.virtual_network_id
}
