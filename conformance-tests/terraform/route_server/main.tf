# VPC Route Server: a route server associated with a VPC, an endpoint in its subnet
# (an AWS-managed interface with an address of the subnet), a BGP peer of the endpoint
# and propagation into a route table of the VPC. nimbus runs no BGP: the peer's session
# stays down and nothing is installed in the route table.

resource "aws_vpc" "rs" {
  cidr_block = "10.81.0.0/16"
  tags = {
    Name = "nimbus-tf-route-server"
  }
}

resource "aws_subnet" "rs" {
  vpc_id     = aws_vpc.rs.id
  cidr_block = "10.81.1.0/24"
}

resource "aws_route_table" "rs" {
  vpc_id = aws_vpc.rs.id
}

resource "aws_vpc_route_server" "rs" {
  amazon_side_asn           = 65534
  persist_routes            = "enable"
  persist_routes_duration   = 2
  sns_notifications_enabled = true
  tags = {
    Name = "nimbus-tf-route-server"
  }
}

resource "aws_vpc_route_server_vpc_association" "rs" {
  route_server_id = aws_vpc_route_server.rs.route_server_id
  vpc_id          = aws_vpc.rs.id
}

resource "aws_vpc_route_server_endpoint" "rs" {
  route_server_id = aws_vpc_route_server.rs.route_server_id
  subnet_id       = aws_subnet.rs.id
  tags = {
    Name = "endpoint-a"
  }
  depends_on = [aws_vpc_route_server_vpc_association.rs]
}

resource "aws_vpc_route_server_peer" "rs" {
  route_server_endpoint_id = aws_vpc_route_server_endpoint.rs.route_server_endpoint_id
  peer_address             = "10.81.1.250"
  bgp_options {
    peer_asn                = 65200
    peer_liveness_detection = "bfd"
  }
  tags = {
    Name = "appliance-1"
  }
}

resource "aws_vpc_route_server_propagation" "rs" {
  route_server_id = aws_vpc_route_server.rs.route_server_id
  route_table_id  = aws_route_table.rs.id
  depends_on      = [aws_vpc_route_server_vpc_association.rs]
}

output "endpoint_eni_address" {
  value = aws_vpc_route_server_endpoint.rs.eni_address
}
