variable "runner_arn" {
  description = "The identity you run xsdoctor as (a role, user or account root ARN): the inspector roles trust it."
  type        = string
}

variable "external_id" {
  description = "If set, the inspector roles require it as sts:ExternalId (pass it to xsdoctor with --external-id)."
  type        = string
  default     = ""
}

variable "role_name" {
  description = "Name of the inspector role xsdoctor assumes with --owner-role, --consumer-role or --key-role."
  type        = string
  default     = "xsdoctor-inspector"
}

variable "owner" {
  description = "Grant the reads of the secret's account (and the key's): secret and key metadata and policies."
  type        = bool
  default     = true
}

variable "consumer" {
  description = "Grant the reads of the consumer's account: the role's policies, the simulator, VPC endpoints."
  type        = bool
  default     = true
}

variable "org_reader" {
  description = "Also create an org-reader role (for --org-role), in the management account or a delegated administrator."
  type        = bool
  default     = false
}

variable "org_reader_role_name" {
  description = "Name of the org-reader role."
  type        = string
  default     = "xsdoctor-org-reader"
}
