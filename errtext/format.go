package errtext

import (
	"strings"
)

// Format names. A parsed error's Format joins the layers it came in, outermost first, with "/":
// "cloudwatch/lambda-json/botocore", "stack-trace/java-sdk", "aws-sdk-go-v2".
const (
	FormatAWSMessage  = "aws-message"   // IAM's message (or a KMS message) on its own
	FormatGoV2        = "aws-sdk-go-v2" // "operation error Secrets Manager: GetSecretValue, https response error …"
	FormatBotocore    = "botocore"      // boto3/botocore's ClientError, in a traceback or a log
	FormatAWSCLI      = "aws-cli"       // "An error occurred (…) when calling the … operation: …" on its own
	FormatJava        = "java-sdk"      // "… (Service: SecretsManager, Status Code: 400, …)"
	FormatJS          = "js-sdk"        // "AccessDeniedException: …" with a Node.js stack or $metadata
	FormatECS         = "ecs-resource-initialization"
	FormatStackTrace  = "stack-trace"
	FormatCloudWatch  = "cloudwatch"
	FormatLambdaJSON  = "lambda-json" // a Lambda's {"errorType", "errorMessage", "stackTrace"}
	FormatJSONLog     = "json-log"    // any other JSON log line that carries the message
	FormatCTEvent     = "cloudtrail-event"
	FormatCTRecords   = "cloudtrail-records"
	FormatCTLookup    = "cloudtrail-lookup-events"
	formatSeparator   = "/"
	cloudWatchMaxHead = 80
)

// wrappers names the layers around the message m in text.
func wrappers(text string, m match) string {
	var layers []string
	line := lineAround(text, m.start)
	if cloudWatchPrefix(line) {
		layers = append(layers, FormatCloudWatch)
	}
	if isStackTrace(text) {
		layers = append(layers, FormatStackTrace)
	}
	if strings.Contains(text, "ResourceInitializationError") {
		layers = append(layers, FormatECS)
	}
	layers = append(layers, client(text))
	return strings.Join(layers, formatSeparator)
}

// client names the SDK or tool whose wrapper is around the message.
func client(text string) string {
	switch {
	case strings.Contains(text, "operation error ") && strings.Contains(text, "https response error"):
		return FormatGoV2
	case strings.Contains(text, "An error occurred (") && strings.Contains(text, " operation: "):
		if strings.Contains(text, "ClientError") || strings.Contains(text, "botocore") || strings.Contains(text, "Traceback (most recent call last)") {
			return FormatBotocore
		}
		return FormatAWSCLI
	case strings.Contains(text, "(Service: ") && strings.Contains(text, "Status Code: "):
		return FormatJava
	case strings.Contains(text, "$metadata") || strings.Contains(text, "$fault") ||
		strings.Contains(text, "node_modules") || strings.Contains(text, "@aws-sdk/") || strings.Contains(text, "aws-sdk/lib/"):
		return FormatJS
	}
	return FormatAWSMessage
}

// isStackTrace tells a stack trace: Python's traceback, Java's and Node's "at …" frames, Go's
// goroutine dump.
func isStackTrace(text string) bool {
	if strings.Contains(text, "Traceback (most recent call last)") || strings.Contains(text, "\ngoroutine ") {
		return true
	}
	for line := range strings.Lines(text) {
		t := strings.TrimLeft(line, " \t")
		if len(t) < len(line) && strings.HasPrefix(t, "at ") {
			return true
		}
	}
	return false
}

// lineAround returns the line of text that holds offset i.
func lineAround(text string, i int) string {
	i = min(max(i, 0), len(text))
	lo := strings.LastIndexByte(text[:i], '\n') + 1
	hi := strings.IndexByte(text[i:], '\n')
	if hi < 0 {
		return text[lo:]
	}
	return text[lo : i+hi]
}

// cloudWatchPrefix tells the head of a CloudWatch Logs line: a timestamp ("2026-03-01T12:00:00.000Z",
// "2026-03-01 12:00:00") or a Lambda level tag ("[ERROR]").
func cloudWatchPrefix(line string) bool {
	head := strings.TrimLeft(line, " \t")
	if len(head) > cloudWatchMaxHead {
		head = head[:cloudWatchMaxHead]
	}
	for _, tag := range []string{"[ERROR]", "[WARN]", "[WARNING]", "[INFO]"} {
		if strings.HasPrefix(head, tag) {
			return true
		}
	}
	// YYYY-MM-DD followed by T or a space.
	if len(head) >= 11 {
		for i, c := range head[:10] {
			digit := c >= '0' && c <= '9'
			if (i == 4 || i == 7) != (c == '-') || (i != 4 && i != 7 && !digit) {
				return false
			}
		}
		return head[10] == 'T' || head[10] == ' '
	}
	return false
}
