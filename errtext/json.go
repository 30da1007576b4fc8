package errtext

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
)

// maxDepth bounds how many times a JSON string is itself decoded as JSON (a LookupEvents result's
// CloudTrailEvent, a log line inside a log line), so that the work stays linear in the input.
const maxDepth = 3

// parseJSON reads text as one JSON value (anything after it is ignored) and finds the error in it.
func parseJSON(text string) (xsdoctor.ErrorText, bool) { return parseJSONDepth(text, 0) }

func parseJSONDepth(text string, depth int) (xsdoctor.ErrorText, bool) {
	t := strings.TrimSpace(text)
	if t == "" || (t[0] != '{' && t[0] != '[') || depth > maxDepth {
		return xsdoctor.ErrorText{}, false
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return xsdoctor.ErrorText{}, false
	}
	return fromValue(v, depth)
}

func fromValue(v any, depth int) (xsdoctor.ErrorText, bool) {
	switch x := v.(type) {
	case map[string]any:
		if recs, ok := x["Records"].([]any); ok {
			return fromEvents(recs, FormatCTRecords, depth)
		}
		if evs, ok := x["Events"].([]any); ok {
			return fromEvents(evs, FormatCTLookup, depth)
		}
		if isEvent(x) {
			return fromEvent(x, FormatCTEvent, depth)
		}
		if msg, ok := x["errorMessage"].(string); ok {
			// A Lambda's error: {"errorType": "ClientError", "errorMessage": "…", "stackTrace": […]}.
			whole := msg
			if typ, _ := x["errorType"].(string); typ != "" {
				whole = typ + ": " + msg
			}
			if e, ok := textOf(whole, depth); ok {
				if e.Format == FormatAWSCLI {
					e.Format = FormatBotocore // the Lambda ran boto3, not the CLI
				}
				e.Format = FormatLambdaJSON + formatSeparator + e.Format
				return e, true
			}
		}
		if e, ok := firstString(x, depth); ok {
			if _, js := x["$metadata"]; js && e.Format == FormatAWSMessage {
				e.Format = FormatJS
			}
			e.Format = FormatJSONLog + formatSeparator + e.Format
			return e, true
		}
	case []any:
		if len(x) > 0 {
			if m, ok := x[0].(map[string]any); ok && (isEvent(m) || m["CloudTrailEvent"] != nil) {
				return fromEvents(x, FormatCTRecords, depth)
			}
		}
		if e, ok := firstString(x, depth); ok {
			e.Format = FormatJSONLog + formatSeparator + e.Format
			return e, true
		}
	}
	return xsdoctor.ErrorText{}, false
}

// textOf reads a string found inside JSON: JSON again, or text.
func textOf(s string, depth int) (xsdoctor.ErrorText, bool) {
	if e, ok := parseJSONDepth(s, depth+1); ok {
		return e, true
	}
	return parseTextDepth(s, depth+1)
}

// preferredKeys are the log fields that usually hold the error, read before the others.
var preferredKeys = []string{"errorMessage", "message", "Message", "msg", "error", "err", "exception", "log", "stack", "stackTrace"}

// firstString returns the error in the first string of v that holds one, visiting the preferred
// keys of an object first, then the others in sorted order (map order is random; the answer must
// not be).
func firstString(v any, depth int) (xsdoctor.ErrorText, bool) {
	switch x := v.(type) {
	case string:
		if len(x) < 20 {
			return xsdoctor.ErrorText{}, false
		}
		return textOf(x, depth)
	case []any:
		for _, el := range x {
			if e, ok := firstString(el, depth); ok {
				return e, true
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			ia, ib := slices.Index(preferredKeys, a), slices.Index(preferredKeys, b)
			if ia < 0 {
				ia = len(preferredKeys)
			}
			if ib < 0 {
				ib = len(preferredKeys)
			}
			if ia != ib {
				return ia - ib
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			if e, ok := firstString(x[k], depth); ok {
				return e, true
			}
		}
	}
	return xsdoctor.ErrorText{}, false
}

// isEvent tells a CloudTrail event by the fields every event has.
func isEvent(m map[string]any) bool {
	_, name := m["eventName"].(string)
	_, src := m["eventSource"].(string)
	return name && src
}

// fromEvents picks the event to read from a list: the first failed call to Secrets Manager, KMS
// or SSM, else the first failed call. A LookupEvents entry carries its event as a JSON string.
func fromEvents(list []any, format string, depth int) (xsdoctor.ErrorText, bool) {
	var first map[string]any
	for _, el := range list {
		ev, _ := el.(map[string]any)
		if s, ok := ev["CloudTrailEvent"].(string); ok && depth < maxDepth {
			var inner any
			dec := json.NewDecoder(strings.NewReader(s))
			dec.UseNumber()
			if dec.Decode(&inner) != nil {
				continue
			}
			ev, _ = inner.(map[string]any)
		}
		if ev == nil || !isEvent(ev) || !failed(ev) {
			continue
		}
		src, _ := ev["eventSource"].(string)
		if relevant(strings.TrimSuffix(src, ".amazonaws.com") + ":") {
			return fromEvent(ev, format, depth)
		}
		if first == nil {
			first = ev
		}
	}
	if first != nil {
		return fromEvent(first, format, depth)
	}
	return xsdoctor.ErrorText{}, false
}

func failed(ev map[string]any) bool {
	code, _ := ev["errorCode"].(string)
	msg, _ := ev["errorMessage"].(string)
	return code != "" || msg != ""
}

// fromEvent reads one CloudTrail event (CloudTrail User Guide: "CloudTrail record contents"):
// userIdentity.arn, eventSource and eventName, errorCode and errorMessage, the secret in
// requestParameters, awsRegion and recipientAccountId.
func fromEvent(ev map[string]any, format string, depth int) (xsdoctor.ErrorText, bool) {
	if !failed(ev) {
		return xsdoctor.ErrorText{}, false
	}
	e := xsdoctor.ErrorText{Format: format}
	ident, _ := ev["userIdentity"].(map[string]any)
	e.Principal, _ = ident["arn"].(string)
	src, _ := ev["eventSource"].(string)
	name, _ := ev["eventName"].(string)
	if svc := strings.TrimSuffix(src, ".amazonaws.com"); svc != "" && name != "" {
		e.Action = svc + ":" + name
	}
	e.ErrorCode, _ = ev["errorCode"].(string)
	if msg, _ := ev["errorMessage"].(string); msg != "" {
		e.Message = clip(msg, 1000)
		if m, ok := scan(msg); ok {
			inner := m.result("")
			e.PolicyType, e.Deny, e.Message = inner.PolicyType, inner.Deny, inner.Message
			if inner.Action != "" && m.e.Action != "" {
				e.Action = inner.Action
			}
			if e.Principal == "" {
				e.Principal = inner.Principal
			}
			e.Resource = inner.Resource
			e.Secret, e.SecretARN, e.Region, e.Account = inner.Secret, inner.SecretARN, inner.Region, inner.Account
		}
	}
	if e.Secret == "" {
		region, _ := ev["awsRegion"].(string)
		account, _ := ident["accountId"].(string) // a name resolves in the caller's own account
		if account == "" {
			account, _ = ev["recipientAccountId"].(string)
		}
		if ref := secretOf(ev); ref != "" {
			partition := "aws"
			if a, ok := arn.Split(e.Principal); ok {
				partition = a.Partition
			}
			if p, ok := strings.CutPrefix(ref, ssmPrefix); ok {
				ref = p
			}
			setSecretFromReference(&e, ref, region, account, partition)
		}
		if e.Region == "" {
			e.Region = region
		}
	}
	if e.Principal == "" && e.Secret == "" && e.Message == "" {
		return xsdoctor.ErrorText{}, false
	}
	return e, true
}

// secretOf returns the secret a failed call named: secretId (Secrets Manager), the
// SecretARN of the encryption context (the kms:Decrypt Secrets Manager makes), the parameter name
// (SSM), or the only entry of BatchGetSecretValue's secretIdList.
func secretOf(ev map[string]any) string {
	rp, _ := ev["requestParameters"].(map[string]any)
	if rp == nil {
		return ""
	}
	if s, _ := rp["secretId"].(string); s != "" {
		return s
	}
	if ec, ok := rp["encryptionContext"].(map[string]any); ok {
		if s, _ := ec["SecretARN"].(string); s != "" {
			return s
		}
	}
	if s, _ := rp["name"].(string); strings.HasPrefix(s, ssmPrefix) {
		return s
	}
	for _, k := range []string{"names", "secretIdList"} {
		if l, ok := rp[k].([]any); ok && len(l) == 1 {
			if s, _ := l[0].(string); s != "" {
				return s
			}
		}
	}
	return ""
}
