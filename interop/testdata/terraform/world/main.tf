# The classic cross-account setup, once as it should be and once with each door broken, the way
# people build it with Terraform: a customer managed key with a statement for the consumer
# account, an alias, secrets with kms_key_id and a version, secret policies for the consumer's
# roles, and roles in the consumer account. Each configuration has its own secret and role, so a
# fix applied to one changes no other.

locals {
  owner    = "111111111111"
  consumer = "222222222222"
  via      = "secretsmanager.us-east-1.amazonaws.com"

  # configuration => what it breaks (see the test for the expected diagnosis)
  configs = toset([
    "classic",                 # nothing: every door open
    "aws-managed-key",         # the secret has no kms_key_id
    "no-secret-policy",        # the secret has no resource policy
    "key-without-consumer",    # the key policy does not name the consumer
    "role-without-decrypt",    # the consumer role lacks kms:Decrypt
    "kms-alias-resource",      # the consumer role's KMS statement names the alias ARN
    "resource-without-suffix", # the consumer role names the secret without its suffix
  ])
}

module "owner_inspector" {
  source      = "./inspector-roles"
  providers   = { aws = aws.owner }
  runner_arn  = var.runner_arn
  external_id = var.external_id
  consumer    = false
}

module "consumer_inspector" {
  source      = "./inspector-roles"
  providers   = { aws = aws.consumer }
  runner_arn  = var.runner_arn
  external_id = var.external_id
  owner       = false
}

resource "aws_kms_key" "shared" {
  provider            = aws.owner
  description         = "cross-account secrets"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EnableIAMUserPermissions"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.owner}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "AllowConsumerAccountViaSecretsManager"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.consumer}:root" }
        Action    = ["kms:Decrypt", "kms:DescribeKey"]
        Resource  = "*"
        Condition = { StringEquals = { "kms:ViaService" = local.via } }
      },
    ]
  })
}

resource "aws_kms_alias" "shared" {
  provider      = aws.owner
  name          = "alias/interop-tf-shared"
  target_key_id = aws_kms_key.shared.key_id
}

# A key whose policy never mentions the consumer account.
resource "aws_kms_key" "lonely" {
  provider    = aws.owner
  description = "owner-only key"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EnableIAMUserPermissions"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${local.owner}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_kms_alias" "lonely" {
  provider      = aws.owner
  name          = "alias/interop-tf-lonely"
  target_key_id = aws_kms_key.lonely.key_id
}

resource "aws_iam_role" "reader" {
  for_each = local.configs
  provider = aws.consumer
  name     = "${each.key}-reader"
  path     = "/apps/"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

locals {
  key_of = { for c in local.configs : c => c == "key-without-consumer" ? aws_kms_key.lonely : aws_kms_key.shared }
}

resource "aws_secretsmanager_secret" "s" {
  for_each                = local.configs
  provider                = aws.owner
  name                    = "interop-tf/${each.key}"
  kms_key_id              = each.key == "aws-managed-key" ? null : local.key_of[each.key].arn
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret_version" "s" {
  for_each      = local.configs
  provider      = aws.owner
  secret_id     = aws_secretsmanager_secret.s[each.key].id
  secret_string = "interop-tf-canary-${each.key}-7c41e9"
}

resource "aws_secretsmanager_secret_policy" "s" {
  for_each   = setsubtract(local.configs, ["no-secret-policy"])
  provider   = aws.owner
  secret_arn = aws_secretsmanager_secret.s[each.key].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowReader"
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.reader[each.key].arn }
      Action    = "secretsmanager:GetSecretValue"
      Resource  = "*"
    }]
  })
}

locals {
  secret_resource = {
    for c in local.configs : c => c == "resource-without-suffix" ? "arn:aws:secretsmanager:us-east-1:${local.owner}:secret:interop-tf/${c}" : aws_secretsmanager_secret.s[c].arn
  }
  decrypt_resource = {
    for c in local.configs : c => c == "kms-alias-resource" ? aws_kms_alias.shared.arn : local.key_of[c].arn
  }
}

resource "aws_iam_role_policy" "reader" {
  for_each = local.configs
  provider = aws.consumer
  name     = "read-secret"
  role     = aws_iam_role.reader[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{ Sid = "ReadSecret", Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = local.secret_resource[each.key] }],
      each.key == "role-without-decrypt" ? [] : [
        { Sid = "DecryptSecret", Effect = "Allow", Action = "kms:Decrypt", Resource = local.decrypt_resource[each.key] },
      ],
    )
  })
}

output "configs" {
  value = {
    for c in local.configs : c => {
      secret = aws_secretsmanager_secret.s[c].arn
      role   = aws_iam_role.reader[c].arn
      key    = c == "aws-managed-key" ? "" : local.key_of[c].arn
    }
  }
}

output "owner_inspector_role_arn" {
  value = module.owner_inspector.inspector_role_arn
}

output "consumer_inspector_role_arn" {
  value = module.consumer_inspector.inspector_role_arn
}
