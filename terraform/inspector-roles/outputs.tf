output "inspector_role_arn" {
  description = "Pass to xsdoctor as --owner-role, --consumer-role or --key-role for this account."
  value       = one(aws_iam_role.inspector[*].arn)
}

output "org_reader_role_arn" {
  description = "Pass to xsdoctor as --org-role (null unless org_reader is true)."
  value       = one(aws_iam_role.org_reader[*].arn)
}
