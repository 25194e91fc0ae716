# PrivateLink: the provider (account 000000000000) offers an endpoint service behind a
# Network Load Balancer ARN (nimbus has no Elastic Load Balancing and takes a well-formed
# ARN on trust), allows another account, is told of connection events, and accepts an
# interface endpoint to it. The consumer is the owner's own VPC: a second (aliased)
# provider would cost a provider start per phase, and test_endpoint_services.py covers
# the cross-account path.

resource "aws_vpc_endpoint_service" "api" {
  acceptance_required        = true
  network_load_balancer_arns = ["arn:aws:elasticloadbalancing:eu-central-1:000000000000:loadbalancer/net/nimbus-tf-api/0123456789abcdef"]
  tags = {
    Name = "nimbus-tf-endpoint-service"
  }
}

resource "aws_vpc_endpoint_service_allowed_principal" "partner" {
  vpc_endpoint_service_id = aws_vpc_endpoint_service.api.id
  principal_arn           = "arn:aws:iam::111111111111:root"
}

resource "aws_vpc_endpoint_connection_notification" "api" {
  vpc_endpoint_service_id     = aws_vpc_endpoint_service.api.id
  connection_notification_arn = "arn:aws:sns:eu-central-1:000000000000:nimbus-tf-endpoint-events"
  connection_events           = ["Accept", "Reject"]
}

resource "aws_vpc" "consumer" {
  cidr_block = "10.41.0.0/16"
  tags = {
    Name = "nimbus-tf-privatelink-consumer"
  }
}

resource "aws_subnet" "consumer" {
  vpc_id            = aws_vpc.consumer.id
  cidr_block        = "10.41.1.0/24"
  availability_zone = "eu-central-1a"
}

resource "aws_vpc_endpoint" "api" {
  vpc_id              = aws_vpc.consumer.id
  service_name        = aws_vpc_endpoint_service.api.service_name
  vpc_endpoint_type   = "Interface"
  subnet_ids          = [aws_subnet.consumer.id]
  private_dns_enabled = false
  tags = {
    Name = "nimbus-tf-privatelink-endpoint"
  }
}

resource "aws_vpc_endpoint_connection_accepter" "api" {
  vpc_endpoint_service_id = aws_vpc_endpoint_service.api.id
  vpc_endpoint_id         = aws_vpc_endpoint.api.id
}
