package door

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xsdoctor/xsdoctor"
)

// A failed read is named for what it is (SPEC §3): a denial names the action the inspector
// lacks; throttling and server errors say they outlasted the SDK's retries; a timeout says so and
// how long it waited; an endpoint that never answered is unreachable. The advice follows the
// class: only a denial asks for a permission.

// readErrText says what happened to one read, in words that name its failure class.
func readErrText(e *xsdoctor.ReadError) string {
	s := e.Call
	if e.Account != "" {
		s += " in " + e.Account
	}
	switch e.Class {
	case xsdoctor.FailureDenied:
		s += " was denied (" + first(e.Code, "access denied") + ")"
		if e.Action != "" {
			s += ": the inspector needs " + e.Action
		}
	case xsdoctor.FailureThrottled:
		s += " was throttled (" + first(e.Code, "throttling") + ") past the SDK's retries" + attempts(e.Attempts)
	case xsdoctor.FailureServerError:
		s += " failed with a server error (" + first(e.Code, "5xx") + ") past the SDK's retries" + attempts(e.Attempts)
	case xsdoctor.FailureTimeout:
		s += " was cut by the timeout"
		if e.WaitedMS > 0 {
			s += " after waiting " + millis(e.WaitedMS)
		}
	case xsdoctor.FailureUnreachable:
		s += " got no answer: the endpoint was unreachable" + attempts(e.Attempts)
		if e.Message != "" {
			s += " (" + e.Message + ")"
		}
	default:
		if e.Code != "" {
			s += " failed with " + e.Code
		} else {
			s += " failed"
		}
		if e.Action != "" {
			s += " (the inspector needs " + e.Action + ")"
		}
	}
	return s
}

func attempts(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%d attempts)", n)
}

func millis(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(time.Millisecond).String()
}

// deniedRead reports whether e asks for a permission: a denial, or a failure recorded before failure
// classes existed whose code is an access denial.
func deniedRead(e *xsdoctor.ReadError) bool {
	if e == nil {
		return false
	}
	return e.Class == xsdoctor.FailureDenied || e.Class == "" && strings.Contains(e.Code, "AccessDenied")
}

// advice is the next step for a door left unknown by the failed reads errs: grant when one of
// them was denied (or none was classified), otherwise what fits the failure — wait out
// throttling and server errors, give the run more time, check the network. Never "grant a
// permission" for a read that was not denied.
func (c *check) advice(grant string, errs ...*xsdoctor.ReadError) string {
	var classes []xsdoctor.FailureClass
	seen := map[xsdoctor.FailureClass]bool{}
	for _, e := range errs {
		if e == nil {
			continue
		}
		if deniedRead(e) && e.Action != "" && !strings.Contains(grant, e.Action) {
			// The read that was denied is not one the door's usual advice names (DescribeSecret
			// hid the key): ask for that one, in its own account.
			return fmt.Sprintf("Give the inspector role in account %s %s (it was denied).", first(e.Account, "of the failed call"), e.Action)
		}
		if deniedRead(e) || e.Class == "" || e.Class == xsdoctor.FailureRejected {
			return grant
		}
		if !seen[e.Class] {
			seen[e.Class] = true
			classes = append(classes, e.Class)
		}
	}
	if len(classes) == 0 {
		return grant
	}
	var out []string
	for _, cl := range classes {
		switch cl {
		case xsdoctor.FailureThrottled:
			out = append(out, "AWS throttled the inspector's reads past the SDK's retries: run xsdoctor again in a minute, or allow more retries (AWS_MAX_ATTEMPTS).")
		case xsdoctor.FailureServerError:
			out = append(out, "AWS answered with a server error past the SDK's retries: run xsdoctor again later (the AWS Health Dashboard shows service events).")
		case xsdoctor.FailureTimeout:
			t := "the --timeout"
			if c.f.TimeoutMS > 0 {
				t += " of " + millis(c.f.TimeoutMS)
			}
			out = append(out, "The reads were cut by "+t+": run xsdoctor again with a longer --timeout.")
		case xsdoctor.FailureUnreachable:
			out = append(out, "The AWS endpoint did not answer: check the network, any proxy, and AWS_ENDPOINT_URL.")
		}
	}
	return strings.Join(out, " ") + " No permission is missing."
}

// assumeReadError is an AssumeFailure as the ReadError of its sts:AssumeRole.
func assumeReadError(af *xsdoctor.AssumeFailure) *xsdoctor.ReadError {
	if af == nil {
		return nil
	}
	re := &xsdoctor.ReadError{Call: "sts:AssumeRole", Account: af.Account, Code: af.Code, Message: af.Message, Failure: af.Failure}
	if af.Class == xsdoctor.FailureDenied {
		re.Action = "sts:AssumeRole"
	}
	return re
}

// assumeText says why an inspector role could not be assumed, naming the failure class.
func assumeText(af *xsdoctor.AssumeFailure) string {
	re := assumeReadError(af)
	re.Account = ""
	re.Action = ""
	return "the " + af.Purpose + " inspector role " + af.Role + " could not be assumed: " + readErrText(re)
}

// timeoutFinding is PROBE_TIMEOUT: the --timeout expired and cut reads. It names each cut read
// and how long the run waited; the doors those reads decide are unknown through their own
// findings. Nil when the timeout cut nothing.
//
// Its effect is unknown (SPEC §4), even when the doors were decided without the cut reads: the
// run did not finish, so the verdict is inconclusive (exit 3) rather than a clean "open".
func (c *check) timeoutFinding() *xsdoctor.Finding {
	var cut []string
	var ev []xsdoctor.Evidence
	seen := map[string]bool{}
	add := func(e *xsdoctor.ReadError) {
		if e == nil || e.Class != xsdoctor.FailureTimeout || seen[e.Call+" "+e.Account] {
			return
		}
		seen[e.Call+" "+e.Account] = true
		cut = append(cut, e.Call)
		ev = append(ev, xsdoctor.Evidence{Source: e.Call, Note: readErrText(e)})
	}
	f := c.f
	for _, e := range []*xsdoctor.ReadError{f.Secret.Err, f.Secret.PolicyErr, f.Key.Err, f.Key.PolicyErr, f.Key.GrantsErr,
		f.Role.Err, f.SimulationErr, f.Owner.OrgErr, f.Consumer.OrgErr} {
		add(e)
	}
	if f.KeyOwner != nil {
		add(f.KeyOwner.OrgErr)
	}
	for i := range f.Role.PolicyErrs {
		add(&f.Role.PolicyErrs[i])
	}
	for i := range f.AssumeFailures {
		add(assumeReadError(&f.AssumeFailures[i]))
	}
	if len(cut) == 0 && f.TimeoutMS == 0 {
		return nil
	}
	waited := "the --timeout"
	if f.TimeoutMS > 0 {
		waited += " of " + millis(f.TimeoutMS)
	}
	summary := fmt.Sprintf("The probe stopped when %s expired", waited)
	if len(cut) > 0 {
		summary += fmt.Sprintf("; it cut %s, so the doors those reads decide are unknown", strings.Join(cut, ", "))
	}
	return &xsdoctor.Finding{
		Code:     xsdoctor.ProbeTimeout,
		Effect:   xsdoctor.EffectUnknown,
		Summary:  summary,
		Detail:   "Run xsdoctor again with a longer --timeout. A timeout is not a missing permission.",
		Evidence: ev,
	}
}

// iamGapAdvice is the next step for an unreadable consumer-iam door: the actions of the reads
// that were denied, each in its own account (only those: a read that succeeded needs nothing), or
// the advice for the class of the failures when none was denied.
func (c *check) iamGapAdvice(errs []xsdoctor.ReadError) string {
	byAccount := map[string][]string{}
	var accounts []string
	ptrs := make([]*xsdoctor.ReadError, 0, len(errs))
	for i := range errs {
		e := &errs[i]
		ptrs = append(ptrs, e)
		if !deniedRead(e) || e.Action == "" {
			continue
		}
		acct := first(e.Account, c.consumer)
		if _, ok := byAccount[acct]; !ok {
			accounts = append(accounts, acct)
		}
		if !slices.Contains(byAccount[acct], e.Action) {
			byAccount[acct] = append(byAccount[acct], e.Action)
		}
	}
	grant := fmt.Sprintf("Give the inspector role in account %s iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy and iam:GetPolicyVersion.", c.consumer)
	if len(accounts) > 0 {
		var parts []string
		for _, a := range accounts {
			parts = append(parts, fmt.Sprintf("the inspector role in account %s %s", a, strings.Join(byAccount[a], ", ")))
		}
		grant = "Give " + strings.Join(parts, "; ") + " (the reads that were denied)."
	}
	return c.advice(grant, ptrs...)
}

func withoutAccount(e *xsdoctor.ReadError) *xsdoctor.ReadError {
	c := *e
	c.Account, c.Action = "", ""
	return &c
}
