#!/usr/bin/env bash
# runbook.sh — the AWS CLI runbook an on-call engineer types to gather, by hand, the facts that
# `xsdoctor check` gathers: assume both inspector roles, read the secret, its resource policy, the
# key, its policy and grants, the consumer role and every policy on it, both organizations, and
# ask the policy simulator. One command after another, as a person works, against the endpoint in
# AWS_ENDPOINT_URL (the emulator, moto, LocalStack) or real AWS when it is unset.
#
# It is the baseline of bench/README.md: the same facts, the same endpoint, the same latency.
# It is read-only (no command here changes anything) and never reads the secret value.
#
# usage: bench/runbook.sh SECRET_ARN CONSUMER_ARN OWNER_INSPECTOR_ROLE CONSUMER_INSPECTOR_ROLE
#   CONSUMER_ARN is a role ARN (arn:aws:iam::C:role/PATH/NAME) or a session ARN
#   (arn:aws:sts::C:assumed-role/NAME/SESSION).
# Each command is echoed as "$ aws …" followed by its JSON answer; with RUNBOOK_QUIET=1 only the
# number of calls and the wall time are printed (the benchmark's mode).
set -euo pipefail

if [ $# -ne 4 ]; then
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
fi
secret_arn=$1 consumer_arn=$2 owner_role=$3 consumer_role=$4

for tool in aws jq; do
	command -v "$tool" >/dev/null || { echo "runbook.sh: $tool not found on PATH" >&2; exit 2; }
done

region=$(cut -d: -f4 <<<"$secret_arn")
export AWS_DEFAULT_REGION=$region AWS_PAGER=""
endpoint=()
[ -n "${AWS_ENDPOINT_URL:-}" ] && endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")
quiet=${RUNBOOK_QUIET:-0}
errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT
calls=0
start_ns=$(date +%s%N)

# aws_json ARGS… — one CLI call; echoes the command and its answer, leaves the answer in $out.
# The answer of sts assume-role is never echoed: it holds credentials.
aws_json() {
	calls=$((calls + 1))
	[ "$quiet" = 1 ] || echo "\$ aws $*"
	out=$(aws ${endpoint[@]+"${endpoint[@]}"} --output json "$@") || return
	if [ "$quiet" != 1 ] && [ "$1 $2" != "sts assume-role" ]; then
		echo "$out"
	fi
}

# aws_maybe ARGS… — a call whose failure is itself a fact (e.g. no organization); the error is
# shown and the runbook goes on.
aws_maybe() {
	if ! aws_json "$@" 2>"$errfile"; then
		[ "$quiet" = 1 ] || cat "$errfile"
		out='{}'
	fi
}

# assume ROLE PREFIX — sts:AssumeRole with the base credentials; sets PREFIX_AK, PREFIX_SK, PREFIX_ST.
assume() {
	aws_json sts assume-role --role-arn "$1" --role-session-name "runbook-$(date +%s)"
	printf -v "${2}_AK" %s "$(jq -r .Credentials.AccessKeyId <<<"$out")"
	printf -v "${2}_SK" %s "$(jq -r .Credentials.SecretAccessKey <<<"$out")"
	printf -v "${2}_ST" %s "$(jq -r .Credentials.SessionToken <<<"$out")"
}

as_owner() {
	AWS_ACCESS_KEY_ID=$OWNER_AK AWS_SECRET_ACCESS_KEY=$OWNER_SK AWS_SESSION_TOKEN=$OWNER_ST "$@"
}
as_consumer() {
	AWS_ACCESS_KEY_ID=$CONSUMER_AK AWS_SECRET_ACCESS_KEY=$CONSUMER_SK AWS_SESSION_TOKEN=$CONSUMER_ST "$@"
}

# 1. The two inspector roles.
assume "$owner_role" OWNER
assume "$consumer_role" CONSUMER

# 2. Owner account: the secret, its resource policy, its key.
as_owner aws_json secretsmanager describe-secret --secret-id "$secret_arn"
key_id=$(jq -r '.KmsKeyId // ""' <<<"$out")
as_owner aws_maybe secretsmanager get-resource-policy --secret-id "$secret_arn"
if [ -z "$key_id" ]; then
	# No KmsKeyId: the secret uses the AWS managed key aws/secretsmanager. Find it with
	# list-aliases, never describe-key alias/aws/secretsmanager: DescribeKey on a predefined AWS
	# alias with no key "associates the alias with an AWS managed key" — it creates the key (AWS
	# KMS API Reference, DescribeKey) — and a runbook must not change the account it inspects.
	as_owner aws_json kms list-aliases
	key_id=$(jq -r '.Aliases[] | select(.AliasName == "alias/aws/secretsmanager") | .TargetKeyId // empty' <<<"$out")
fi
key_arn=""
if [ -n "$key_id" ]; then
	as_owner aws_json kms describe-key --key-id "$key_id"
	key_arn=$(jq -r .KeyMetadata.Arn <<<"$out")
	as_owner aws_maybe kms get-key-policy --key-id "$key_arn" --policy-name default
	as_owner aws_maybe kms list-grants --key-id "$key_arn"
else
	[ "$quiet" = 1 ] || echo "# no alias/aws/secretsmanager in this region: the AWS managed key does not exist yet"
fi
as_owner aws_maybe organizations describe-organization

# 3. Consumer account: the role (with its path), its inline and attached policies.
case $consumer_arn in
arn:aws:sts::*:assumed-role/*) role_name=$(cut -d/ -f2 <<<"$consumer_arn") ;;
*) role_name=${consumer_arn##*/} ;;
esac
as_consumer aws_json iam get-role --role-name "$role_name"
role_arn=$(jq -r .Role.Arn <<<"$out")
as_consumer aws_json iam list-role-policies --role-name "$role_name"
for name in $(jq -r '.PolicyNames[]' <<<"$out"); do
	as_consumer aws_json iam get-role-policy --role-name "$role_name" --policy-name "$name"
done
as_consumer aws_json iam list-attached-role-policies --role-name "$role_name"
for arn in $(jq -r '.AttachedPolicies[].PolicyArn' <<<"$out"); do
	as_consumer aws_json iam get-policy --policy-arn "$arn"
	version=$(jq -r .Policy.DefaultVersionId <<<"$out")
	as_consumer aws_json iam get-policy-version --policy-arn "$arn" --version-id "$version"
done
as_consumer aws_maybe organizations describe-organization

# 4. The simulator, once per action, with the context Secrets Manager sends on the KMS hop.
as_consumer aws_maybe iam simulate-principal-policy --policy-source-arn "$role_arn" \
	--action-names secretsmanager:GetSecretValue --resource-arns "$secret_arn"
consumer_account=$(cut -d: -f5 <<<"$role_arn")
if [ -n "$key_arn" ]; then
	as_consumer aws_maybe iam simulate-principal-policy --policy-source-arn "$role_arn" \
		--action-names kms:Decrypt --resource-arns "$key_arn" \
		--context-entries \
		"ContextKeyName=kms:ViaService,ContextKeyValues=secretsmanager.$region.amazonaws.com,ContextKeyType=string" \
		"ContextKeyName=kms:CallerAccount,ContextKeyValues=$consumer_account,ContextKeyType=string"
fi

elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "runbook: $calls AWS CLI calls in ${elapsed_ms} ms"
