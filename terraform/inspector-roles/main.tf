# The read-only roles xsdoctor assumes in each account. Every action here is a read; xsdoctor's
# own allowlist refuses anything else before it is signed. Apply the module once per account with
# a provider for that account; see README.md beside this file.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition

  trust = jsonencode({
    Version = "2012-10-17"
    Statement = [merge(
      {
        Sid       = "XsdoctorRunnerMayInspect"
        Effect    = "Allow"
        Principal = { AWS = var.runner_arn }
        Action    = "sts:AssumeRole"
      },
      var.external_id == "" ? {} : { Condition = { StringEquals = { "sts:ExternalId" = var.external_id } } },
    )]
  })
}

resource "aws_iam_role" "inspector" {
  count              = var.owner || var.consumer ? 1 : 0
  name               = var.role_name
  description        = "Read-only inspector for xsdoctor"
  assume_role_policy = local.trust
}

# The secret's account (and the key's): secret and key metadata and their policies.
resource "aws_iam_role_policy" "owner_reads" {
  count = var.owner ? 1 : 0
  name  = "xsdoctor-owner-reads"
  role  = aws_iam_role.inspector[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "XsdoctorReadSecretMetadata"
        Effect   = "Allow"
        Action   = ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecretVersionIds"]
        Resource = "arn:${local.partition}:secretsmanager:*:${local.account}:secret:*"
      },
      {
        Sid      = "XsdoctorReadKeyMetadata"
        Effect   = "Allow"
        Action   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants", "kms:ListResourceTags"]
        Resource = "arn:${local.partition}:kms:*:${local.account}:key/*"
      },
      { Sid = "XsdoctorListAliases", Effect = "Allow", Action = "kms:ListAliases", Resource = "*" },
      { Sid = "XsdoctorReadOrganization", Effect = "Allow", Action = "organizations:DescribeOrganization", Resource = "*" },
    ]
  })
}

# The consumer's account: the failing role's policies, the policy simulator and the VPC
# endpoints its calls may go through.
resource "aws_iam_role_policy" "consumer_reads" {
  count = var.consumer ? 1 : 0
  name  = "xsdoctor-consumer-reads"
  role  = aws_iam_role.inspector[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "XsdoctorReadConsumerRole"
        Effect   = "Allow"
        Action   = ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:SimulatePrincipalPolicy"]
        Resource = "arn:${local.partition}:iam::${local.account}:role/*"
      },
      {
        Sid      = "XsdoctorReadManagedPolicies"
        Effect   = "Allow"
        Action   = ["iam:GetPolicy", "iam:GetPolicyVersion"]
        Resource = ["arn:${local.partition}:iam::${local.account}:policy/*", "arn:${local.partition}:iam::aws:policy/*"]
      },
      { Sid = "XsdoctorReadVpcEndpoints", Effect = "Allow", Action = "ec2:DescribeVpcEndpoints", Resource = "*" },
      { Sid = "XsdoctorReadOrganization", Effect = "Allow", Action = "organizations:DescribeOrganization", Resource = "*" },
    ]
  })
}

# Optional, in the management account or a delegated administrator: the SCPs and RCPs on the
# path from the root to each account (xsdoctor --org-role).
resource "aws_iam_role" "org_reader" {
  count              = var.org_reader ? 1 : 0
  name               = var.org_reader_role_name
  description        = "Read-only organization reader for xsdoctor"
  assume_role_policy = local.trust
}

resource "aws_iam_role_policy" "org_reads" {
  count = var.org_reader ? 1 : 0
  name  = "xsdoctor-org-reads"
  role  = aws_iam_role.org_reader[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "XsdoctorReadOrganizationPolicies"
      Effect = "Allow"
      Action = [
        "organizations:DescribeOrganization", "organizations:DescribeAccount", "organizations:ListRoots",
        "organizations:ListParents", "organizations:ListPoliciesForTarget", "organizations:DescribePolicy",
      ]
      Resource = "*"
    }]
  })
}
