// Package probe is the only part of xsdoctor that talks to AWS. Gather reads, with each side's
// own read-only credentials, everything the three doors depend on and returns it as
// xsdoctor.Facts; a read that fails is recorded next to the fact it would have produced (a
// *xsdoctor.ReadError with the AWS error code and the IAM action that was missing), it never
// aborts the run.
//
// # API
//
// Gather(ctx, Options) is the whole surface; Options (options.go) documents each field. Gather
// returns an error only for
//   - a usage error, *UsageError: a malformed ARN (one of the partitions aws, aws-cn,
//     aws-us-gov, parsed by package arn), an inspector role in the wrong account, a secret name
//     or partial ARN that the owner account cannot resolve to a full ARN (exit 2);
//   - nothing probed at all, *ProbeError: no base credentials, or the timeout or the network
//     failed every call before a single fact was read (exit 4).
//
// # How the reads are organised
//
// Each reader (secret, secret policy, key, role, organizations, simulation, live) returns its
// own value and publishes it in a future; a reader that needs another's answer waits on that
// future, and finish assembles the facts from them all. No reader writes another's fields.
// The subject — secret ARN, partition, account and region; key ARN and account; the role ARN with
// its path, or Role.PathInferred when GetRole could not tell it — is normalised once here, and
// the simulator is asked about the requests request.Build makes from it: the same requests door
// evaluates.
//
// # Credentials
//
// Credentials come only from the SDK's own chain (config.LoadDefaultConfig: environment, shared
// config and credentials files, SSO, aws-vault and granted exports, IMDS). --owner-profile and
// --consumer-profile select a shared-config profile for that side (config.WithSharedConfigProfile).
// --owner-role, --consumer-role and --key-role are assumed with stscreds.NewAssumeRoleProvider,
// cached with aws.NewCredentialsCache (so each role is assumed once), with --external-id and a
// session name that shows up in the target account's CloudTrail (Options.SessionName; the command
// passes "xsdoctor-<user>" unless --session-name says otherwise; STS AssumeRole: RoleSessionName). The owner and key roles start
// from the owner side's base credentials, the consumer role from the consumer side's. The region
// is the secret ARN's (a --region that contradicts it is a usage error); AWS_ENDPOINT_URL is honoured by the SDK, and
// Options.Endpoint sets the same BaseEndpoint explicitly.
//
// Each side is read with its own credentials, because cross-account reads are partial on AWS
// (GetKeyPolicy only works from the key's account) and absent on moto: the secret and its policy
// with the owner's, the key with the key account's (the owner's when the key lives there), the
// role, its policies, the simulator and the consumer's organization with the consumer's.
//
// # Read-only by construction
//
// Every client the probe builds carries an allowlist middleware in the Initialize step: an
// operation that is not one of the reads below (plus sts:AssumeRole and sts:GetCallerIdentity)
// fails before it is serialized, signed or sent. secretsmanager:GetSecretValue is allowed only
// on the one client --live builds, and its value is discarded unread.
//
// # What the facts mean (for door/ and report/)
//
//   - A read that was not made because something it needed failed first carries that failure:
//     every owner-side fact of an owner role that could not be assumed has a ReadError with
//     Call "sts:AssumeRole"; Key.Err of a secret DescribeSecret could not read is DescribeSecret's
//     error. AssumeFailures lists the inspector roles (Purpose "owner", "consumer", "key") that
//     could not be assumed, once each.
//   - Secret.NotFound is set with Secret.Err (code ResourceNotFoundException).
//   - Key.Manager and Key.State are only what kms:DescribeKey said. Key.Alias is the alias the
//     secret names, or alias/aws/secretsmanager when KmsKeyId is absent; an alias/aws/… alias
//     means an AWS managed key whatever DescribeKey says (moto says CUSTOMER).
//   - Code CodeNoCredentials marks a read that needs credentials in an account the probe holds
//     none for (GetKeyPolicy and DescribeOrganization of a key in a third account without
//     --key-role); its Message says which flag to pass.
//   - ReadError.Action is set for access denials only (AccessDenied, AccessDeniedException):
//     the IAM action the inspector lacks, always the call's own name.
//   - A --live consumer that cannot be assumed is Live{skipped} with the AssumeRole code, not an
//     AssumeFailure: it says nothing about the inspectors.
//   - Calls are sorted (account, service, operation, error code, request id); one entry per
//     operation call (retries folded in, each list page its own call). Call.ErrorCode is the AWS
//     code, or Timeout, Canceled, DeserializationError or TransportError when AWS gave none.
//
// # Versions, replicas and the deciding key
//
//   - Secret.Versions is every version ListSecretVersionIds listed (deprecated ones included),
//     with KmsKeyIds as AWS wrote them. Key is the key that encrypts AWSCURRENT: the version's own
//     key when its KmsKeyIds do not name the configured key, else the configured key (also when
//     KmsKeyIds is absent, as on moto). Secret.KMSKeyARN is the configured key's ARN, so door can
//     tell the two apart (VERSION_KEY_MISMATCH).
//   - Secret.NoCurrentVersion is set only when the version list was read and holds no AWSCURRENT.
//   - Secret.Replicas is the primary's ReplicationStatus, each replica's key read in its region.
//     A replica ARN given as the secret is read in its own region like any secret.
//   - Key.Tags (kms:ListResourceTags) and Key.Aliases (kms:ListAliases with KeyId) fill the KMS
//     hop's aws:ResourceTag/* and kms:ResourceAliases; both only answer in the key's account.
//
// # Critical path
//
// Independent reads run concurrently: both accounts at once; DescribeSecret beside
// ListSecretVersionIds; the key policy beside the grants, tags, aliases and the secret policy;
// every role policy at once. The standard case is four dependent round trips: owner AssumeRole →
// DescribeSecret → key reads; consumer AssumeRole → GetRole and the policy lists → each policy →
// GetPolicyVersion, with the simulation waiting for GetRole and the key reads (the key's tags and
// aliases are context keys of the request it is asked about). No call is made twice.
package probe
