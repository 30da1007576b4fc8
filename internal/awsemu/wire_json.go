package awsemu

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
)

// awsJson1_1 (Secrets Manager, KMS, Organizations): POST / with X-Amz-Target
// "<targetPrefix>.<Operation>" and a JSON body; the answer is a JSON object, errors carry
// __type and a message ("AWS JSON 1.1 protocol", Smithy docs).

// jsonTargets maps an X-Amz-Target prefix to the service it selects.
var jsonTargets = map[string]service{
	"secretsmanager":            svcSecrets,
	"TrentService":              svcKMS,
	"AWSOrganizationsV20161128": svcOrgs,
}

const jsonContentType = "application/x-amz-json-1.1"

// epoch is a JSON timestamp: epoch seconds, with a fraction only when there is one, as AWS's
// JSON services send them (e.g. "CreationDate": 1.523477145729E9).
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	secs := float64(t.UnixNano()) / 1e9
	if t.Nanosecond() == 0 {
		return []byte(strconv.FormatInt(t.Unix(), 10)), nil
	}
	return []byte(strconv.FormatFloat(math.Round(secs*1000)/1000, 'f', -1, 64)), nil
}

// epochPtr returns nil for the zero time so that omitempty leaves the member out.
func epochPtr(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Response values are built here from plain types; failing to encode one is a bug.
		writeJSONError(w, svcKMS, errorf("InternalFailure", "encode response: %v", err))
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// writeJSONError writes AWS's JSON error shape. KMS spells the member "message", Secrets Manager
// and Organizations "Message" (botocore service models); the SDKs read either.
func writeJSONError(w http.ResponseWriter, svc service, e *apiError) {
	key := "Message"
	if svc == svcKMS {
		key = "message"
	}
	body, _ := json.Marshal(map[string]string{"__type": e.Code, key: e.Message})
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	w.Write(body)
}

// decodeJSON reads an operation's input. Unknown members are ignored (newer SDKs send members
// this emulator does not know); a body that is not a JSON object is AWS's SerializationException.
func decodeJSON(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf("SerializationException", "Start of structure or map found where not expected: %v", err)
	}
	return nil
}
