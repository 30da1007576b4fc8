package awsemu

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
)

// The ids AWS generates at random are derived here from a SHA-256 of what names the object, so
// the same scenario always answers with the same ids (tests compare whole reports) while two
// objects never share one. Each has AWS's shape, so clients that validate ids accept them.

func digest(kind string, parts ...string) []byte {
	h := sha256.New()
	h.Write([]byte(kind))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// uniqueID is an IAM unique id: a four-letter prefix (AROA role, ANPA managed policy) and 17
// characters of upper-case base32, as IAM issues them (IAM User Guide: "Unique identifiers").
func uniqueID(prefix, kind string, parts ...string) string {
	return prefix + base32.StdEncoding.EncodeToString(digest(kind, parts...))[:17]
}

// RoleID derives a role's RoleId (AROA…) from its account and name.
func RoleID(account, name string) string { return uniqueID("AROA", "role", account, name) }

// PolicyID derives a managed policy's PolicyId (ANPA…) from its ARN.
func PolicyID(arn string) string { return uniqueID("ANPA", "policy", arn) }

const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// SecretSuffix derives the six characters Secrets Manager appends to a secret's ARN
// (Secrets Manager User Guide: "Troubleshoot": "-" and six random characters).
func SecretSuffix(account, region, name string) string {
	sum := digest("secret-suffix", account, region, name)
	out := make([]byte, 6)
	for i := range out {
		out[i] = suffixAlphabet[int(sum[i])%len(suffixAlphabet)]
	}
	return string(out)
}

// uuid formats 16 bytes of a digest as a version-4 UUID, the shape of KMS key ids and Secrets
// Manager version ids.
func uuid(kind string, parts ...string) string {
	b := digest(kind, parts...)[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// KeyID derives a key id for a key the scenario names by something other than a key id (and for
// the AWS managed key) from its account, region and name.
func KeyID(account, region, name string) string { return uuid("key", account, region, name) }

// VersionID derives the AWSCURRENT version id of a secret from its ARN.
func VersionID(secretARN string) string { return uuid("version", secretARN) }

// GrantID derives a grant id. KMS grant ids are 64 hexadecimal digits (KMS API reference:
// CreateGrant, GrantId), so the whole digest is used.
func GrantID(keyARN string, index int, name, grantee string) string {
	return hex.EncodeToString(digest("grant", keyARN, fmt.Sprint(index), name, grantee))
}
