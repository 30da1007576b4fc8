package door

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
	"github.com/xsdoctor/xsdoctor/policy"
)

// The version being read, the replicas, and the facts that were not read (SPEC §3, "How a door's
// state is decided"; aws-semantics §3.6, §3.7).

// versionKeyMismatch reports whether AWSCURRENT is encrypted under a key other than the secret's
// configured one: the probe then read the version's own key, and the key-policy door is judged
// on it (aws-semantics §3.6: changing the key does not always re-encrypt old versions).
func (c *check) versionKeyMismatch() bool {
	return c.keyARN != "" && c.f.Secret.KMSKeyARN != "" && c.keyARN != c.f.Secret.KMSKeyARN
}

// versionFindings adds to the key-policy door what the versions say: VERSION_KEY_MISMATCH when
// AWSCURRENT is under another key than the configured one (closes when that key's door is
// closed, info otherwise), and an unknown door when the versions could not be listed.
func (c *check) versionFindings(d *xsdoctor.Door) {
	s := c.f.Secret
	if s.Err != nil || s.NotFound {
		return
	}
	if s.VersionsErr != nil && xsdoctor.DoorState(d.Findings) != xsdoctor.StateClosed {
		d.Findings = append(d.Findings, c.keyUnreadable("secretsmanager:ListSecretVersionIds could not be read, so the key that encrypts AWSCURRENT cannot be told from the configured key ("+readErrText(s.VersionsErr)+")", s.VersionsErr))
		return
	}
	if !c.versionKeyMismatch() {
		return
	}
	effect := xsdoctor.EffectInfo
	if xsdoctor.DoorState(d.Findings) == xsdoctor.StateClosed {
		effect = xsdoctor.EffectCloses
	}
	conf := s.KMSKeyARN
	ev := []xsdoctor.Evidence{
		{Source: "secretsmanager:DescribeSecret " + c.secretARN, Note: describeKeyID(s.KMSKeyID), Expected: conf},
		{Source: "secretsmanager:ListSecretVersionIds " + c.secretARN, Note: "AWSCURRENT version " + s.VersionID + " KmsKeyIds = " + strings.Join(c.currentKeyIDs(), ", "), Actual: c.keyARN},
	}
	for _, v := range s.Versions {
		if v.ID != s.VersionID && len(v.Stages) > 0 && len(v.KMSKeyIDs) > 0 {
			ev = append(ev, xsdoctor.Evidence{Source: "secretsmanager:ListSecretVersionIds " + c.secretARN,
				Note: fmt.Sprintf("version %s (%s) KmsKeyIds = %s", v.ID, strings.Join(v.Stages, ", "), strings.Join(v.KMSKeyIDs, ", "))})
		}
	}
	mismatch := xsdoctor.Finding{
		Code:   xsdoctor.VersionKeyMismatch,
		Effect: effect,
		Summary: fmt.Sprintf("AWSCURRENT of %s is encrypted under %s, not under the configured key %s; the key-policy door is judged on the version's key",
			c.secretARN, c.keyARN, conf),
		Detail:   "Changing a secret's key does not re-encrypt its versions unless the caller may decrypt with the old key and encrypt with the new one; until AWSCURRENT is re-encrypted, reads fail with \"This version of secret is not encrypted with the current KMS key\".",
		Evidence: ev,
		Fix: &xsdoctor.Fix{
			Account: c.owner,
			Where:   "secret " + c.secretARN,
			Steps: []string{
				"Have AWSCURRENT encrypted under the configured key " + conf + ": rotate the secret (aws secretsmanager rotate-secret --secret-id " + c.secretARN + "), which writes a new version under the configured key;",
				"or, as a principal of account " + c.owner + " allowed kms:Decrypt on " + c.keyARN + " and kms:Encrypt and kms:GenerateDataKey on " + conf + ", run aws secretsmanager update-secret --secret-id " + c.secretARN + " --kms-key-id " + conf + ": Secrets Manager then re-encrypts AWSCURRENT, AWSPENDING and AWSPREVIOUS under it.",
				"Check with aws secretsmanager list-secret-version-ids --secret-id " + c.secretARN + " --include-deprecated that AWSCURRENT lists " + conf + " in KmsKeyIds.",
			},
		},
	}
	for i := range d.Findings {
		if f := &d.Findings[i]; f.Code == xsdoctor.KeyAWSManaged {
			// The secret already names a customer managed key: creating another one is not the
			// fix; re-encrypting AWSCURRENT under the configured key is.
			f.Detail = "AWSCURRENT is still under the AWS managed key although the secret is configured with " + conf + ". The AWS managed key's policy cannot be edited and only trusts its own account: re-encrypt AWSCURRENT under the configured key."
			f.Fix = mismatch.Fix
		}
	}
	d.Findings = append(d.Findings, mismatch)
}

// currentKeyIDs are the keys ListSecretVersionIds lists for AWSCURRENT.
func (c *check) currentKeyIDs() []string {
	for _, v := range c.f.Secret.Versions {
		if v.ID == c.f.Secret.VersionID {
			return v.KMSKeyIDs
		}
	}
	return nil
}

// noCurrentVersion is SECRET_NO_CURRENT_VERSION: a secret with no version staged AWSCURRENT
// (created without a value, as Terraform does without aws_secretsmanager_secret_version) cannot
// be read whatever the doors say: GetSecretValue fails with ResourceNotFoundException (Secrets
// Manager API reference, GetSecretValue).
func (c *check) noCurrentVersion() *xsdoctor.Finding {
	s := c.f.Secret
	if !s.NoCurrentVersion || s.Err != nil || s.NotFound {
		return nil
	}
	return &xsdoctor.Finding{
		Code:     xsdoctor.SecretNoCurrentVersion,
		Effect:   xsdoctor.EffectCloses,
		Summary:  fmt.Sprintf("%s has no version staged AWSCURRENT, so GetSecretValue fails with ResourceNotFoundException whatever the doors say", c.secretARN),
		Detail:   "The secret was created without a value. Store one, and the doors below decide the read.",
		Evidence: []xsdoctor.Evidence{{Source: "secretsmanager:ListSecretVersionIds " + c.secretARN, Note: fmt.Sprintf("%d version(s), none staged AWSCURRENT", len(s.Versions))}},
		Fix: &xsdoctor.Fix{
			Account: c.owner,
			Where:   "secret " + c.secretARN,
			Steps: []string{
				"In account " + c.owner + ", store the value: aws secretsmanager put-secret-value --secret-id " + c.secretARN + " --secret-string file://value.json (or add an aws_secretsmanager_secret_version resource to the Terraform that creates the secret).",
			},
		},
	}
}

// unreadFinding is the finding for a door whose answer depends on a context key left unknown
// because a read failed (request.Unread): unknown, naming the read — never DOOR_CONDITIONAL,
// which is for context nobody can know offline (SPEC §3). nil when no such key decides.
func (c *check) unreadFinding(door string, code xsdoctor.Code, req policy.Request, res policy.Result) *xsdoctor.Finding {
	keys, ev := c.conditional(res)
	var unread, texts []string
	var errs []*xsdoctor.ReadError
	for _, k := range keys {
		for _, u := range c.unread {
			onReq := u.OnGetSecret && req.Action == c.getSecret.Action || u.OnDecrypt && req.Action == c.decrypt.Action
			if !onReq || !keyMatches(u.Key, k) {
				continue
			}
			unread = append(unread, k)
			errs = append(errs, u.Err)
			texts = append(texts, readErrText(u.Err))
			break
		}
	}
	if len(unread) == 0 {
		return nil
	}
	for i := range ev {
		ev[i].Actual = "(unknown: the fact that fills it was not read)"
	}
	for _, e := range errs {
		ev = append(ev, xsdoctor.Evidence{Source: e.Call, Note: readErrText(e)})
	}
	return &xsdoctor.Finding{
		Code:   code,
		Effect: xsdoctor.EffectUnknown,
		Summary: fmt.Sprintf("%s cannot be decided for %s: it depends on %s, and %s",
			door, c.principal(), strings.Join(unread, ", "), strings.Join(dedupe(texts), "; ")),
		Detail:   "Give the inspector the read named above, then run xsdoctor again.",
		Evidence: sortEvidence(ev),
	}
}

// keyMatches reports whether an unread key (or "prefix*") covers the condition key k.
func keyMatches(unread, k string) bool {
	if p, ok := strings.CutSuffix(unread, "*"); ok {
		return len(k) >= len(p) && strings.EqualFold(k[:len(p)], p)
	}
	return strings.EqualFold(unread, k)
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// guessedRoleMiss is the finding for a resource-policy door that looks closed only because the
// role's path is unknown: the consumer was given as a session ARN, iam:GetRole could not be read,
// and a statement names a role of the same account and name with a path. The role ARN the
// request carries was guessed without the path, so the door is unknown, not closed (SPEC §3).
func (c *check) guessedRoleMiss(door string, code xsdoctor.Code, res policy.Result) *xsdoctor.Finding {
	if !c.roleGuessed {
		return nil
	}
	guess, ok := arn.Split(c.roleARN)
	if !ok {
		return nil
	}
	var ev []xsdoctor.Evidence
	for _, m := range res.Misses {
		if m.Element != "Principal" {
			continue
		}
		for _, p := range m.Expected {
			a, ok := arn.Split(p)
			if ok && a.IsRole() && a.Account == guess.Account && a.RoleName() == guess.RoleName() && p != c.roleARN {
				e := c.refEvidence(m.Statement, "")
				e.Expected, e.Actual = p, c.roleARN+" (path unknown)"
				ev = append(ev, e)
			}
		}
	}
	if len(ev) == 0 {
		return nil
	}
	why := "iam:GetRole was not read"
	if re := c.f.Role.Err; re != nil {
		why = readErrText(re)
		ev = append(ev, xsdoctor.Evidence{Source: re.Call, Note: why})
	}
	return &xsdoctor.Finding{
		Code:   code,
		Effect: xsdoctor.EffectUnknown,
		Summary: fmt.Sprintf("%s cannot be decided for %s: a statement names the role %s with a path, and the consumer's path is unknown because %s",
			door, c.principal(), ev[0].Expected, why),
		Detail:   "A session ARN does not carry the role's path. Give the consumer account's inspector iam:GetRole, or pass --consumer as the role ARN with its path.",
		Evidence: sortEvidence(ev),
	}
}

// staleWouldAdmit reports whether the statement at index, with its unique-id principal replaced
// by the consumer's role, would let the consumer in: only then is a dangling id the reason the
// door is closed (SPEC §4, SECRET_POLICY_STALE_PRINCIPAL).
func (c *check) staleWouldAdmit(index int) bool {
	doc := c.parsed[secretPolicyName].doc
	if doc == nil {
		return false
	}
	for _, st := range doc.Statements {
		if st.Index != index {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(st.Text), &raw); err != nil {
			return false
		}
		delete(raw, "NotPrincipal")
		raw["Principal"] = map[string]any{"AWS": c.roleARN}
		b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{raw}})
		if err != nil {
			return false
		}
		d, err := policy.Parse(string(b))
		if err != nil {
			return false
		}
		res := policy.Evaluate(c.getSecret, policy.Set{
			Identity: []policy.Named{{Name: assumedIdentity, Doc: allowAllIdentity}},
			Resource: &policy.Named{Name: secretPolicyName, Doc: d},
		})
		return res.Decision == policy.Allow || len(res.Conditional) > 0
	}
	return false
}

// replicaFindings is REPLICA_KEY_DIFFERS (info) for every replica region whose key door would be
// closed for this consumer: each replica is judged in its own region with its own key, as a read
// of the replica ARN would be (aws-semantics §3.7).
func (c *check) replicaFindings() []xsdoctor.Finding {
	var out []xsdoctor.Finding
	for _, r := range c.f.Secret.Replicas {
		if r.Key == nil {
			continue
		}
		rf := c.f
		secretARN, ok := arn.Split(c.secretARN)
		if !ok {
			continue
		}
		rf.Secret.ARN, rf.Secret.Region = secretARN.InRegion(r.Region).String(), r.Region
		rf.Secret.KMSKeyID, rf.Secret.KMSKeyARN, rf.Secret.Replicas = r.KMSKeyID, r.Key.ARN, nil
		rf.Key = *r.Key
		rc := newCheck(rf)
		kd := rc.keyDoor()
		if xsdoctor.DoorState(kd.Findings) != xsdoctor.StateClosed {
			continue
		}
		key := r.Key.ARN
		if key == "" {
			key = "the AWS managed key aws/secretsmanager of " + r.Region
		}
		ev := []xsdoctor.Evidence{{Source: "secretsmanager:DescribeSecret " + c.secretARN, Note: fmt.Sprintf("ReplicationStatus: %s, KmsKeyId %q, status %s", r.Region, r.KMSKeyID, r.Status)}}
		for _, f := range kd.Findings {
			if f.Effect == xsdoctor.EffectCloses {
				ev = append(ev, xsdoctor.Evidence{Source: string(f.Code), Note: f.Summary})
			}
		}
		out = append(out, xsdoctor.Finding{
			Code:     xsdoctor.ReplicaKeyDiffers,
			Effect:   xsdoctor.EffectInfo,
			Summary:  fmt.Sprintf("The replica %s uses %s, whose key-policy door is closed for %s: reads of the replica fail", rf.Secret.ARN, key, c.principal()),
			Detail:   "A replica is read with its own region's key. Check the replica ARN with xsdoctor to see the fix for that region.",
			Evidence: ev,
		})
	}
	return out
}
