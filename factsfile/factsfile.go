// Package factsfile writes and reads the facts a check read (`check --facts-out FILE`, `replay
// FILE`): everything probe.Gather returned, so that door.Check can judge them again offline — on
// another machine, by someone with no access to either account, or by a newer xsdoctor.
//
// # Format, schema_version "1"
//
// One JSON object: the header fields, then every field of xsdoctor.Facts at the top level.
//
//	{
//	  "schema_version": "1",             // FactsSchemaVersion; bumped when a field changes meaning
//	  "kind": "xsdoctor-facts",          // tells a facts file from a report or a scenario
//	  "tool_version": "v1.2.3 go1.26",   // the xsdoctor that read the facts
//	  "input":    {…},  // what was asked: secret_arg, secret_arn, resolved, consumer_arg, region,
//	                    // the inspector roles and profiles, and with --from-error "error" (what was
//	                    // parsed from the error: principal, action, resource, policy_type, deny, format)
//	  "owner":    {…},  // the owner account: id, org_id | no_org | org_error
//	  "consumer": {…},  // the consumer account, likewise
//	  "key_owner":{…},  // the key's account when it is a third one
//	  "secret":   {…},  // DescribeSecret and GetResourcePolicy: arn, name, kms_key_id, version_id,
//	                    // tags, deleted_date, not_found, policy, and error / policy_error
//	  "key":      {…},  // DescribeKey, GetKeyPolicy, ListGrants: arn, manager, state, policy,
//	                    // grants, and error / policy_error / grants_error
//	  "role":     {…},  // GetRole and the role's policies: arn, tags, policies, boundary,
//	                    // trust_policy, and error / policy_errors
//	  "simulations": […], "simulation_error": {…},   // iam:SimulatePrincipalPolicy
//	  "assume_failures": […],                        // inspector roles that could not be assumed
//	  "live": {…},                                   // --live: allowed | denied | error | skipped
//	  "calls": […],     // every AWS call: account, service, operation, ms, request_id, error_code
//	  "now": "2026-03-01T12:00:00Z"                  // when the facts were read (aws:CurrentTime)
//	}
//
// A read that failed is recorded next to the fact it would have given, as {"call", "account",
// "code", "message", "action"}: the judgement treats it as unknown, never as absent. Fields other
// parts of xsdoctor add to xsdoctor.Facts (secret versions and replicas, organization guardrails,
// VPC endpoint policies) appear here as they are added, with no change to this package.
//
// A facts file never holds a secret value, an access key, a secret access key or a session token:
// xsdoctor.Facts has no field for any of them.
//
// Compatibility: a reader accepts every schema_version up to its own and refuses a newer one
// (NewerSchemaError), so an old ticket's facts can be judged by a newer xsdoctor. Fields a reader
// does not know are ignored.
package factsfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/xsdoctor/xsdoctor"
)

// FactsSchemaVersion is the version of the facts format this package writes and the newest it
// reads.
const FactsSchemaVersion = "1"

// Kind is the value of "kind" in every facts file.
const Kind = "xsdoctor-facts"

// Header is the part of a facts file that says what it is.
type Header struct {
	SchemaVersion string `json:"schema_version"`
	Kind          string `json:"kind"`
	ToolVersion   string `json:"tool_version"`
}

// file is the whole file: the header and the facts' fields side by side at the top level.
type file struct {
	Header
	xsdoctor.Facts
}

// Write writes f as a facts file: indented JSON and a trailing newline, deterministic for equal
// facts.
func Write(w io.Writer, f xsdoctor.Facts, toolVersion string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(file{Header: Header{SchemaVersion: FactsSchemaVersion, Kind: Kind, ToolVersion: toolVersion}, Facts: f}); err != nil {
		return fmt.Errorf("encode facts: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write facts: %w", err)
	}
	return nil
}

// NotFactsError is a file that is not an xsdoctor facts file.
type NotFactsError struct {
	Reason string // what was found instead
}

func (e *NotFactsError) Error() string {
	return "not an xsdoctor facts file: " + e.Reason
}

// NewerSchemaError is a facts file written by a newer xsdoctor.
type NewerSchemaError struct {
	Version     string // the file's schema_version
	ToolVersion string // the xsdoctor that wrote it
}

func (e *NewerSchemaError) Error() string {
	msg := "facts file has schema_version " + strconv.Quote(e.Version) + ", newer than " + strconv.Quote(FactsSchemaVersion) + ", the newest this xsdoctor reads"
	if e.ToolVersion != "" {
		msg += " (written by xsdoctor " + e.ToolVersion + ")"
	}
	return msg
}

// Read parses a facts file. It returns *NotFactsError for anything that is not one (another JSON
// document, a report, a scenario, text) and *NewerSchemaError for a file from a newer xsdoctor.
func Read(data []byte) (xsdoctor.Facts, Header, error) {
	var h Header
	if err := json.Unmarshal(data, &h); err != nil {
		var probe any
		if json.Unmarshal(data, &probe) != nil {
			return xsdoctor.Facts{}, h, &NotFactsError{Reason: "the file is not JSON"}
		}
		return xsdoctor.Facts{}, h, &NotFactsError{Reason: "its header does not parse: " + err.Error()}
	}
	if h.Kind != Kind {
		reason := "\"kind\" is " + strconv.Quote(h.Kind) + ", want " + strconv.Quote(Kind)
		if h.Kind == "" {
			reason = "it has no \"kind\": " + Kind
			if h.SchemaVersion != "" {
				reason += " (it looks like a report: use the facts file written by --facts-out)"
			}
		}
		return xsdoctor.Facts{}, h, &NotFactsError{Reason: reason}
	}
	n, err := strconv.Atoi(h.SchemaVersion)
	if err != nil || n < 1 {
		return xsdoctor.Facts{}, h, &NotFactsError{Reason: "schema_version " + strconv.Quote(h.SchemaVersion) + " is not a version number"}
	}
	if mine, _ := strconv.Atoi(FactsSchemaVersion); n > mine {
		return xsdoctor.Facts{}, h, &NewerSchemaError{Version: h.SchemaVersion, ToolVersion: h.ToolVersion}
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return xsdoctor.Facts{}, h, &NotFactsError{Reason: "its facts do not parse: " + err.Error()}
	}
	return f.Facts, h, nil
}
