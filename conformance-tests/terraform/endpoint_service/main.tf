# PrivateLink across two accounts: the provider (the default credentials, account
# 000000000000) offers an endpoint service behind a Network Load Balancer ARN (nimbus has
# no Elastic Load Balancing and takes a well-formed ARN on trust), allows the consumer
# account (AKIACONFORMANCE00001, 111111111111), is told of connection events, and accepts
# the consumer's interface endpoint.

provider "aws" {
  alias                   = "consumer"
  region                  = "eu-central-1"
  access_key              = "AKIACONFORMANCE00001"
  secret_key              = "conformance/secret/one"
  skip_metadata_api_check = true
  endpoints {
    ec2 = var.endpoint
    sts = var.endpoint
  }
}

data "aws_caller_identity" "consumer" {
  provider = aws.consumer
}

resource "aws_vpc_endpoint_service" "api" {
  acceptance_required        = true
  network_load_balancer_arns = ["arn:aws:elasticloadbalancing:eu-central-1:000000000000:loadbalancer/net/nimbus-tf-api/0123456789abcdef"]
  tags = {
    Name = "nimbus-tf-endpoint-service"
  }
}

resource "aws_vpc_endpoint_service_allowed_principal" "consumer" {
  vpc_endpoint_service_id = aws_vpc_endpoint_service.api.id
  principal_arn           = "arn:aws:iam::${data.aws_caller_identity.consumer.account_id}:root"
}

resource "aws_vpc_endpoint_connection_notification" "api" {
  vpc_endpoint_service_id     = aws_vpc_endpoint_service.api.id
  connection_notification_arn = "arn:aws:sns:eu-central-1:000000000000:nimbus-tf-endpoint-events"
  connection_events           = ["Accept", "Reject"]
}

resource "aws_vpc" "consumer" {
  provider   = aws.consumer
  cidr_block = "10.41.0.0/16"
  tags = {
    Name = "nimbus-tf-privatelink-consumer"
  }
}

resource "aws_subnet" "consumer" {
  provider          = aws.consumer
  vpc_id            = aws_vpc.consumer.id
  cidr_block        = "10.41.1.0/24"
  availability_zone = "eu-central-1a"
}

resource "aws_vpc_endpoint" "api" {
  provider            = aws.consumer
  vpc_id              = aws_vpc.consumer.id
  service_name        = aws_vpc_endpoint_service.api.service_name
  vpc_endpoint_type   = "Interface"
  subnet_ids          = [aws_subnet.consumer.id]
  private_dns_enabled = false
  tags = {
    Name = "nimbus-tf-privatelink-endpoint"
  }
  depends_on = [aws_vpc_endpoint_service_allowed_principal.consumer]
}

resource "aws_vpc_endpoint_connection_accepter" "api" {
  vpc_endpoint_service_id = aws_vpc_endpoint_service.api.id
  vpc_endpoint_id         = aws_vpc_endpoint.api.id
}
