package awsemu

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// awsQuery (IAM 2010-05-08, STS 2011-06-15): a form-encoded POST with Action and Version; the
// answer is <OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata>…</ResponseMetadata>
// </OpResponse> and errors are <ErrorResponse><Error><Type/><Code/><Message/></Error>
// <RequestId/></ErrorResponse> ("AWS query protocol", Smithy docs; IAM and STS API references).

var queryVersions = map[string]service{
	"2010-05-08": svcIAM,
	"2011-06-15": svcSTS,
	"2016-11-15": svcEC2,
}

func (s service) namespace() string {
	if s == svcSTS {
		return "https://sts.amazonaws.com/doc/2011-06-15/"
	}
	return "https://iam.amazonaws.com/doc/2010-05-08/"
}

// isoTime is an XML timestamp: ISO-8601 in UTC, as IAM and STS send them.
type isoTime time.Time

func (t isoTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format("2006-01-02T15:04:05Z")), nil
}

func isoPtr(t time.Time) *isoTime {
	if t.IsZero() {
		return nil
	}
	v := isoTime(t)
	return &v
}

// xmlEntry is one entry of an awsQuery map: <entry><key>…</key><value>…</value></entry>.
type xmlEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// writeQuery writes <OpResponse><OpResult>result</OpResult><ResponseMetadata/></OpResponse>.
// A nil result still gets its (empty) <OpResult>: the SDK fails with "deserialization failed,
// EOF" without it (wire.md).
func writeQuery(w http.ResponseWriter, svc service, op, requestID string, result any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Local: op + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: svc.namespace()}}}
	err := enc.EncodeToken(root)
	if err == nil {
		resName := xml.StartElement{Name: xml.Name{Local: op + "Result"}}
		if result == nil {
			err = enc.EncodeToken(resName)
			if err == nil {
				err = enc.EncodeToken(resName.End())
			}
		} else {
			err = enc.EncodeElement(result, resName)
		}
	}
	if err == nil {
		err = enc.EncodeElement(responseMetadata{RequestID: requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(root.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		writeQueryError(w, svc, requestID, errorf("InternalFailure", "encode response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

type queryErrorBody struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func writeQueryError(w http.ResponseWriter, svc service, requestID string, e *apiError) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(queryErrorBody{Xmlns: svc.namespace(), Type: typ, Code: e.Code, Message: e.Message, RequestID: requestID})
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(e.Status)
	w.Write([]byte(xml.Header))
	w.Write(body)
}

// form is an awsQuery request's parameters.
type form url.Values

func (f form) get(name string) string { return url.Values(f).Get(name) }

// list reads a query list: Name.member.1, Name.member.2, … until the first gap.
func (f form) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		k := name + ".member." + strconv.Itoa(i)
		v, ok := f[k]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// structs reads a list of structures: Name.member.N.Field…; each element is returned as a form
// whose keys are the field paths below the member.
func (f form) structs(name string) []form {
	var out []form
	for i := 1; ; i++ {
		prefix := name + ".member." + strconv.Itoa(i) + "."
		el := form{}
		for k, v := range f {
			if rest, ok := strings.CutPrefix(k, prefix); ok {
				el[rest] = v
			}
		}
		if len(el) == 0 {
			return out
		}
		out = append(out, el)
	}
}

// maxItems reads MaxItems (IAM) and caps it at the emulator's page size, so that clients must
// follow Marker whatever they ask for.
func (f form) maxItems(pageSize int) (int, *apiError) {
	s := f.get("MaxItems")
	if s == "" {
		return pageSize, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, errorf("ValidationError", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", s)
	}
	return min(n, pageSize), nil
}
