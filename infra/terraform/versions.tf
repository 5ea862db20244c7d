terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }

  # Configure remote state per environment, e.g. with -backend-config=env/prod.s3.tfbackend:
  # backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        "app.kubernetes.io/part-of" = "ingest"
        environment                 = var.environment
        managed-by                  = "terraform"
      },
      var.tags,
    )
  }
}
