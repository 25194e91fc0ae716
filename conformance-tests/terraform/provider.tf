# Shared by every configuration here: the AWS provider pointed at nimbus.
variable "endpoint" {
  type = string
}

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region                  = "eu-central-1"
  skip_metadata_api_check = true
  endpoints {
    ec2        = var.endpoint
    cloudwatch = var.endpoint
    sts        = var.endpoint
    ssm        = var.endpoint
  }
}
