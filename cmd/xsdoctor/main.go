// Command xsdoctor diagnoses why a role in one AWS account cannot read a Secrets Manager secret in
// another: it checks the three doors (KMS key policy, secret policy, consumer IAM) read-only and
// says which is closed, why, and what to change in which account. Run "xsdoctor help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
