package door

import (
	"fmt"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
)

// awsManagedAlias is the alias of the AWS managed key Secrets Manager uses when a secret is
// created without a key (Secrets Manager User Guide, "Secret encryption and decryption").
const awsManagedAlias = "alias/aws/secretsmanager"

// keyDoor decides the key-policy door: is the key customer managed and enabled, and does its
// key policy or a grant let the consumer kms:Decrypt in the request Secrets Manager makes on the
// consumer's behalf? This is the key (resource) side only: the consumer's own kms:Decrypt
// permission is the consumer-iam door's business. Note that the owner-account root statement
// ("Enable IAM User Permissions") delegates to IAM in the key's own account only; it never opens
// the door for a consumer in another account (AWS KMS Developer Guide, "Default key policy").
func (c *check) keyDoor() xsdoctor.Door {
	d := xsdoctor.Door{Door: xsdoctor.DoorKeyPolicy}
	k, s := c.f.Key, c.f.Secret

	if c.awsManaged() {
		d.Findings = append(d.Findings, c.awsManagedFinding())
		return d
	}
	if k.State != "" && k.State != "Enabled" && k.State != "Updating" {
		// KMS Developer Guide, "Key states of AWS KMS keys": only Enabled (and Updating)
		// keys decrypt.
		d.Findings = append(d.Findings, c.keyNotEnabledFinding())
		return d
	}
	if s.NotFound {
		d.Findings = append(d.Findings, c.keyUnreadable("the secret was not found, so the key that encrypts it is unknown", nil))
		return d
	}
	if c.keyARN == "" {
		why := "the key that encrypts the secret could not be identified"
		var re *xsdoctor.ReadError
		switch {
		case k.Err != nil:
			re = k.Err
		case s.Err != nil:
			re = s.Err
		}
		if re != nil {
			why += ": " + readErrText(re)
		}
		d.Findings = append(d.Findings, c.keyUnreadable(why, re))
		return d
	}
	if af := c.assumeFailure("key"); af != nil && k.Policy == "" {
		d.Findings = append(d.Findings, c.keyUnreadable("the key account's inspector role "+af.Role+" could not be assumed ("+af.Code+")", nil))
		return d
	}

	kp, why := c.keyPolicy()
	grants := c.grants()
	if kp == nil {
		// A grant can allow, but only the key policy can deny: without it the door is unknown
		// whatever the grants say (AWS KMS Developer Guide, "Grants in AWS KMS").
		d.Findings = append(d.Findings, c.keyUnreadable(why, k.PolicyErr))
		return d
	}

	res := policy.Evaluate(c.decrypt, policy.Set{
		Identity: []policy.Named{{Name: assumedIdentity, Doc: allowAllIdentity}},
		Resource: kp,
		Grants:   grants,
	})
	switch res.Decision {
	case policy.ExplicitDeny:
		d.Findings = append(d.Findings, c.keyExplicitDeny(res))
		return d
	case policy.ImplicitDeny:
		if f := c.guessedRoleMiss("The key-policy door", xsdoctor.KeyPolicyUnreadable, res); f != nil {
			d.Findings = append(d.Findings, *f)
			return d
		}
		if k.GrantsErr != nil {
			d.Findings = append(d.Findings, c.keyUnreadable("no key-policy statement allows the consumer and the grants, which could, were not read: "+readErrText(k.GrantsErr), k.GrantsErr))
			return d
		}
		d.Findings = append(d.Findings, c.keyNoAllow(res))
		return d
	}

	if k.State == "" {
		// The policy would let the consumer in, but a disabled or pending-deletion key would
		// still keep it out: without DescribeKey the door is unknown.
		why := "kms:DescribeKey was not read, so the key state is unknown"
		if k.Err != nil {
			why = readErrText(k.Err) + ", so the key state is unknown"
		}
		d.Findings = append(d.Findings, c.keyUnreadable(why, k.Err))
		return d
	}
	if f := c.unreadFinding("The key-policy door", xsdoctor.KeyPolicyUnreadable, c.decrypt, res); f != nil {
		d.Findings = append(d.Findings, *f)
	} else if f := c.conditionalFinding("The key-policy door", res); f != nil {
		d.Findings = append(d.Findings, *f)
	} else {
	}
	if ev := c.matched(res, "Allow", policy.TypeGrant); len(ev) > 0 {
		only := len(c.matched(res, "Allow", policy.TypeResource)) == 0
		sum := fmt.Sprintf("A KMS grant on %s lets %s decrypt", c.keyARN, c.principal())
		if only {
			sum += "; no key-policy statement does"
		}
		d.Findings = append(d.Findings, xsdoctor.Finding{
			Code:     xsdoctor.KeyGrantAllows,
			Effect:   xsdoctor.EffectInfo,
			Summary:  sum,
			Detail:   "Grants are easy to lose (retired, revoked, recreated keys); a key-policy statement is the durable way to share the key.",
			Evidence: ev,
		})
	}
	return d
}

// awsManaged says whether the secret is encrypted with the AWS managed key: DescribeSecret
// omits KmsKeyId for it, the secret may name its alias, or DescribeKey says KeyManager AWS.
func (c *check) awsManaged() bool {
	k, s := c.f.Key, c.f.Secret
	// The alias/aws/ prefix is reserved for AWS managed keys (KMS Developer Guide, "Create
	// aliases"), so the alias outranks a KeyManager that an emulator may get wrong (moto reports
	// CUSTOMER for the key behind alias/aws/secretsmanager).
	// The configured KmsKeyId speaks for the key only when AWSCURRENT is under it.
	configured := !c.versionKeyMismatch()
	if k.Manager == "AWS" || configured && strings.HasSuffix(s.KMSKeyID, awsManagedAlias) || strings.HasSuffix(k.Alias, awsManagedAlias) {
		return true
	}
	if k.Manager == "CUSTOMER" {
		return false
	}
	// KmsKeyId absent from a secret that DescribeSecret did return (Secrets Manager API
	// reference, DescribeSecret: "If the secret is encrypted with the AWS managed key
	// aws/secretsmanager, this field is omitted").
	return configured && s.Err == nil && !s.NotFound && s.ARN != "" && s.KMSKeyID == "" && k.ARN == "" && c.assumeFailure("owner") == nil
}

func (c *check) keyName() string {
	if c.keyARN != "" {
		return c.keyARN
	}
	// The alias ARN of the AWS managed key in the secret's account and region.
	return "arn:" + c.partition + ":kms:" + c.region + ":" + c.owner + ":" + awsManagedAlias
}

func (c *check) awsManagedFinding() xsdoctor.Finding {
	ev := []xsdoctor.Evidence{{
		Source: "secretsmanager:DescribeSecret " + c.secretARN,
		Note:   describeKeyID(c.f.Secret.KMSKeyID),
	}}
	if c.f.Key.Manager != "" {
		ev = append(ev, xsdoctor.Evidence{Source: "kms:DescribeKey " + c.keyName(), Note: "KeyManager = " + c.f.Key.Manager})
	}
	newKey := "arn:" + c.partition + ":kms:" + c.region + ":" + c.owner + ":key/NEW-KEY-ID"
	st := c.keyStatement()
	st.Sid = "AllowDecryptViaSecretsManagerFor" + sidWord(c.roleARN)
	root := fixStatement{
		Sid: "EnableIAMUserPermissions", Effect: "Allow",
		Principals: []string{"arn:" + c.partition + ":iam::" + c.owner + ":root"},
		Actions:    []string{"kms:*"}, Resources: []string{"*"},
	}
	secretName := c.f.Secret.Name
	if secretName == "" {
		secretName = "shared_secret"
	}
	tf := "# Account " + c.owner + ": a customer managed key for " + c.secretARN + "\n" +
		"data \"aws_iam_policy_document\" \"secret_key_policy\" {\n" +
		root.TerraformStatement("  ") + "\n" + st.TerraformStatement("  ") + "}\n\n" +
		"resource \"aws_kms_key\" \"secret_key\" {\n" +
		"  description         = " + jsonString("Encrypts "+secretName+" for cross-account readers") + "\n" +
		"  enable_key_rotation = true\n" +
		"  policy              = data.aws_iam_policy_document.secret_key_policy.json\n}\n\n" +
		"resource \"aws_secretsmanager_secret\" " + jsonString(tfName(secretName)) + " {\n" +
		"  name       = " + jsonString(secretName) + "\n" +
		"  kms_key_id = aws_kms_key.secret_key.arn # was unset: the AWS managed key\n}\n"
	return xsdoctor.Finding{
		Code:   xsdoctor.KeyAWSManaged,
		Effect: xsdoctor.EffectCloses,
		Summary: fmt.Sprintf("%s is encrypted with the AWS managed key aws/secretsmanager, whose key policy only trusts account %s: %s can never decrypt it",
			c.secretARN, c.owner, c.principal()),
		Detail:   "The AWS managed key's policy cannot be edited and pins kms:CallerAccount to its own account, so no key policy, grant or IAM change opens this door. Re-encrypt the secret with a customer managed key that trusts the consumer.",
		Evidence: ev,
		Fix: &xsdoctor.Fix{
			Account:   c.owner,
			Where:     "the KMS key of " + c.secretARN,
			Statement: st.JSON(),
			Terraform: tf,
			Steps: []string{
				"In account " + c.owner + ", create a customer managed symmetric key whose key policy keeps the account-root statement and adds the statement shown (aws kms create-key --policy file://key-policy.json).",
				"Point the secret at it: aws secretsmanager update-secret --secret-id " + c.secretARN + " --kms-key-id " + newKey + " (use the new key's ARN).",
				"Make sure AWSCURRENT is encrypted under the new key: update-secret alone may leave existing versions under the old key, so write a new version (aws secretsmanager put-secret-value --secret-id " + c.secretARN + " with the current value, or aws secretsmanager rotate-secret --secret-id " + c.secretARN + ").",
				"In account " + c.consumer + ", allow " + c.roleARN + " kms:Decrypt on the new key's ARN (not an alias).",
			},
		},
	}
}

func describeKeyID(id string) string {
	if id == "" {
		return "KmsKeyId is absent: the secret uses the AWS managed key aws/secretsmanager"
	}
	return "KmsKeyId = " + id
}

func (c *check) keyNotEnabledFinding() xsdoctor.Finding {
	k := c.f.Key
	var steps []string
	tf := "# Account " + c.keyAcct + ": the key " + c.keyARN + "\nresource \"aws_kms_key\" \"secret_key\" {\n  # ... existing arguments ...\n  is_enabled = true\n}\n"
	switch k.State {
	case "PendingDeletion", "PendingReplicaDeletion":
		steps = []string{
			"Cancel the scheduled deletion: aws kms cancel-key-deletion --key-id " + c.keyARN + ".",
			"The key comes back Disabled: aws kms enable-key --key-id " + c.keyARN + ".",
			"If Terraform scheduled the deletion (the resource was removed), restore the aws_kms_key resource, or terraform import it, before the next apply.",
		}
	case "Disabled":
		steps = []string{"Enable the key: aws kms enable-key --key-id " + c.keyARN + "."}
	case "PendingImport":
		steps = []string{"Import the key material again (aws kms get-parameters-for-import, then aws kms import-key-material --key-id " + c.keyARN + ")."}
		tf = ""
	case "Unavailable":
		steps = []string{"Reconnect the key's custom key store (aws kms connect-custom-key-store)."}
		tf = ""
	default:
		steps = []string{"Wait until the key is Enabled, or enable it: aws kms enable-key --key-id " + c.keyARN + "."}
	}
	return xsdoctor.Finding{
		Code:     xsdoctor.KeyNotEnabled,
		Effect:   xsdoctor.EffectCloses,
		Summary:  fmt.Sprintf("KMS key %s is %s, so it cannot decrypt %s for anyone", c.keyARN, k.State, c.secretARN),
		Detail:   "Only an Enabled key can decrypt; the key state decides before any policy is looked at.",
		Evidence: []xsdoctor.Evidence{{Source: "kms:DescribeKey " + c.keyARN, Expected: "Enabled", Actual: k.State, Note: "KeyState"}},
		Fix:      &xsdoctor.Fix{Account: c.keyAcct, Where: "key " + c.keyARN, Terraform: tf, Steps: steps},
	}
}

func (c *check) keyUnreadable(why string, re *xsdoctor.ReadError) xsdoctor.Finding {
	f := xsdoctor.Finding{
		Code:    xsdoctor.KeyPolicyUnreadable,
		Effect:  xsdoctor.EffectUnknown,
		Summary: fmt.Sprintf("The key-policy door cannot be decided for %s: %s", c.keyName(), why),
		Detail:  fmt.Sprintf("Give the inspector role in account %s kms:DescribeKey, kms:GetKeyPolicy and kms:ListGrants (GetKeyPolicy only works from the key's own account), and make sure the key policy delegates to IAM or names the inspector.", c.keyAcct),
	}
	if re != nil && re.Call == "kms:GetKeyPolicy" && strings.Contains(re.Code, "AccessDenied") {
		// AWS KMS Developer Guide, "Default key policy": without the account-root statement IAM
		// policies cannot grant access to the key, the inspector's included.
		f.Detail += " An access denial despite the inspector's IAM permission means the key policy neither delegates to IAM (no account-root statement) nor names the inspector role."
	}
	if re != nil {
		f.Evidence = []xsdoctor.Evidence{{Source: re.Call, Note: readErrText(re)}}
	} else {
		f.Evidence = []xsdoctor.Evidence{{Source: "key " + c.keyName(), Note: why}}
	}
	return f
}

func (c *check) keyExplicitDeny(res policy.Result) xsdoctor.Finding {
	ev := c.matched(res, "Deny", policy.TypeResource)
	f := xsdoctor.Finding{
		Code:     xsdoctor.KeyPolicyExplicitDeny,
		Effect:   xsdoctor.EffectCloses,
		Summary:  fmt.Sprintf("The key policy of %s explicitly denies %s kms:Decrypt%s", c.keyARN, c.principal(), sidList(ev)),
		Detail:   "An explicit deny wins over every allow, grants included.",
		Evidence: ev,
	}
	if s, ok := c.firstDeny(keyPolicyName, ev); ok {
		// A network perimeter on a key breaks every AWS service that uses the key for a caller;
		// the documented exemption is aws:ViaAWSService (AWS KMS Developer Guide, "VPC endpoint
		// policies" and "aws:ViaAWSService"). Any other Deny gets an exemption for the role.
		exempt := fixCondition{Op: "ArnNotLike", Key: "aws:PrincipalArn", Values: []string{c.roleARN}}
		for _, k := range s.conditionKeys() {
			if _, key, _ := strings.Cut(k, " "); isNetworkKey(key) {
				exempt = fixCondition{Op: "Bool", Key: "aws:ViaAWSService", Values: []string{"false"}}
				f.Detail += " The Deny is a network perimeter, and Secrets Manager's Decrypt for the consumer does not come from its network."
			}
		}
		f.Evidence = c.withConditions(keyPolicyName, ev, c.decrypt)
		f.Fix = c.denyExemptionFix(c.keyAcct, "key policy of "+c.keyARN, "the key policy", s, exempt,
			"In account "+c.keyAcct+", stop the Deny applying to the consumer's Decrypt through Secrets Manager.")
	}
	return f
}

// keyNoAllow explains an implicit deny: a statement naming the consumer whose condition failed
// (KEY_POLICY_CONDITION_MISMATCH), or no statement naming the consumer at all.
func (c *check) keyNoAllow(res policy.Result) xsdoctor.Finding {
	miss := c.misses(res, conditionMiss, policy.TypeResource, policy.TypeGrant)
	if len(miss) == 0 && len(res.Misses) == 0 {
		miss = c.rawConditionMisses(keyPolicyName, "kms:Decrypt", c.decrypt)
	}
	if len(miss) > 0 {
		detail := "Secrets Manager decrypts with kms:ViaService = " + viaService(c.region) + ", kms:CallerAccount = " + c.consumer + " and the encryption context SecretARN = " + c.secretARN + "."
		if networkCondition(miss) {
			detail += " Network keys (aws:SourceVpce, aws:SourceVpc, aws:SourceIp) are absent on this hop: Secrets Manager makes the Decrypt, not the workload. Condition on kms:ViaService instead."
		}
		f := xsdoctor.Finding{
			Code:   xsdoctor.KeyPolicyConditionMismatch,
			Effect: xsdoctor.EffectCloses,
			Summary: fmt.Sprintf("The key policy of %s names %s for kms:Decrypt%s, but its condition does not match the request Secrets Manager makes",
				c.keyARN, c.consumerNamed(), sidList(miss)),
			Detail:   detail,
			Evidence: miss,
			Fix:      c.keyPolicyFix("In account " + c.keyAcct + ", correct the condition (expected vs actual in the evidence), or add this statement with conditions that match."),
		}
		return f
	}
	ev := append(c.whoIsAllowed(keyPolicyName, "kms:Decrypt"), c.misses(res, []string{"Action", "NotAction"}, policy.TypeResource, policy.TypeGrant)...)
	if len(c.f.Key.Grants) > 0 {
		ev = append(ev, xsdoctor.Evidence{Source: "kms:ListGrants " + c.keyARN, Note: fmt.Sprintf("%d grant(s), none lets %s Decrypt this secret", len(c.f.Key.Grants), c.principal())})
	}
	return xsdoctor.Finding{
		Code:     xsdoctor.KeyPolicyNoAllow,
		Effect:   xsdoctor.EffectCloses,
		Summary:  fmt.Sprintf("No statement in the key policy of %s (and no grant) allows %s kms:Decrypt", c.keyARN, c.principal()),
		Detail:   fmt.Sprintf("The account-root statement of %s delegates to IAM in that account only; a consumer in %s must be named in the key policy.", c.keyAcct, c.consumer),
		Evidence: ev,
		Fix:      c.keyPolicyFix("In account " + c.keyAcct + ", add this statement to the key policy."),
	}
}

// isNetworkKey says whether a condition key describes the caller's network path, which is absent
// from requests an AWS service makes on a caller's behalf (IAM User Guide, "AWS global condition
// context keys").
func isNetworkKey(key string) bool {
	switch strings.ToLower(key) {
	case "aws:sourcevpce", "aws:sourcevpc", "aws:sourceip", "aws:vpcsourceip":
		return true
	}
	return false
}

func networkCondition(ev []xsdoctor.Evidence) bool {
	for _, e := range ev {
		if i := strings.LastIndex(e.Condition, " "); i >= 0 && isNetworkKey(e.Condition[i+1:]) {
			return true
		}
	}
	return false
}

func (c *check) consumerNamed() string {
	if c.consumer != "" {
		return "the consumer (" + c.consumer + ")"
	}
	return "the consumer"
}
