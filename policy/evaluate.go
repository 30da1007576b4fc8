package policy

// Evaluate decides req against set following AWS's policy evaluation logic.
// PLACEHOLDER: implemented by the policy engine work (issue 2).
func Evaluate(req Request, set Set) Result {
	return Result{Decision: ImplicitDeny}
}
