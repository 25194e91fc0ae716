# AWS Verified Access: an instance with an IAM Identity Center trust provider attached and
# access logs to S3, a group with a Cedar policy, and an HTTPS endpoint in front of a
# network interface (the provider waits for it to turn active, and for it to vanish).

resource "aws_verifiedaccess_instance" "corp" {
  description = "nimbus-tf-va"
  tags = {
    Name = "nimbus-tf-va"
  }
}

resource "aws_verifiedaccess_trust_provider" "idc" {
  trust_provider_type      = "user"
  user_trust_provider_type = "iam-identity-center"
  policy_reference_name    = "idc"
  description              = "nimbus-tf-va-idc"
  tags = {
    Name = "nimbus-tf-va-idc"
  }
}

resource "aws_verifiedaccess_instance_trust_provider_attachment" "idc" {
  verifiedaccess_instance_id       = aws_verifiedaccess_instance.corp.id
  verifiedaccess_trust_provider_id = aws_verifiedaccess_trust_provider.idc.id
}

resource "aws_verifiedaccess_instance_logging_configuration" "corp" {
  verifiedaccess_instance_id = aws_verifiedaccess_instance.corp.id
  access_logs {
    s3 {
      enabled     = true
      bucket_name = "nimbus-tf-va-logs"
      prefix      = "va/"
    }
  }
}

resource "aws_verifiedaccess_group" "web" {
  verifiedaccess_instance_id = aws_verifiedaccess_instance.corp.id
  description                = "nimbus-tf-va-web"
  policy_document            = "permit(principal, action, resource) when { context.idc.user.email.address like \"*@example.com\" };"
  tags = {
    Name = "nimbus-tf-va-web"
  }
  depends_on = [aws_verifiedaccess_instance_trust_provider_attachment.idc]
}

resource "aws_vpc" "va" {
  cidr_block = "10.70.0.0/16"
  tags = {
    Name = "nimbus-tf-va"
  }
}

resource "aws_subnet" "app" {
  vpc_id     = aws_vpc.va.id
  cidr_block = "10.70.1.0/24"
}

resource "aws_security_group" "app" {
  name   = "nimbus-tf-va-app"
  vpc_id = aws_vpc.va.id
}

resource "aws_network_interface" "app" {
  subnet_id       = aws_subnet.app.id
  security_groups = [aws_security_group.app.id]
}

resource "aws_verifiedaccess_endpoint" "app" {
  verified_access_group_id = aws_verifiedaccess_group.web.id
  endpoint_type            = "network-interface"
  attachment_type          = "vpc"
  application_domain       = "app.example.com"
  endpoint_domain_prefix   = "app"
  domain_certificate_arn   = "arn:aws:acm:eu-central-1:000000000000:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  description              = "nimbus-tf-va-app"
  security_group_ids       = [aws_security_group.app.id]
  network_interface_options {
    network_interface_id = aws_network_interface.app.id
    protocol             = "https"
    port                 = 443
  }
  tags = {
    Name = "nimbus-tf-va-app"
  }
}

output "endpoint_domain" {
  value = aws_verifiedaccess_endpoint.app.endpoint_domain
}
