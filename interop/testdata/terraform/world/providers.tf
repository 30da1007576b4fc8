# Two accounts in moto: moto keeps accounts apart by the account of the assumed role, so each
# provider assumes a role in its account. Credentials come from the test's environment (dummy
# static keys); every endpoint is the test's moto on 127.0.0.1.
variable "endpoint" {
  type = string
}

variable "runner_arn" {
  type = string
}

variable "external_id" {
  type = string
}

provider "aws" {
  alias                       = "owner"
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    ec2            = var.endpoint
    iam            = var.endpoint
    kms            = var.endpoint
    secretsmanager = var.endpoint
    sts            = var.endpoint
  }
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
  }
}

provider "aws" {
  alias                       = "consumer"
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    ec2            = var.endpoint
    iam            = var.endpoint
    kms            = var.endpoint
    secretsmanager = var.endpoint
    sts            = var.endpoint
  }
  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
  }
}
