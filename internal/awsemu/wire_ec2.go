package awsemu

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// EC2's query protocol (ec2Query, version 2016-11-15): a form-encoded POST with Action and
// Version, as awsQuery, but the answer has no <OpResult> wrapper — the output members are direct
// children of <OpResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"> beside <requestId> —
// and errors are <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
// ("EC2 query protocol", Smithy docs; aws-sdk-go-v2 aws/protocol/ec2query).

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// writeEC2 writes result's fields as the children of <OpResponse>, after <requestId>.
func writeEC2(w http.ResponseWriter, op, requestID string, result ec2Result) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Local: op + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ec2Namespace}}}
	err := enc.EncodeToken(root)
	if err == nil {
		err = enc.EncodeElement(requestID, xml.StartElement{Name: xml.Name{Local: "requestId"}})
	}
	if err == nil {
		err = result.encodeEC2(enc)
	}
	if err == nil {
		err = enc.EncodeToken(root.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		writeEC2Error(w, requestID, errorf("InternalError", "encode response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// ec2Result is an EC2 operation's output: it writes its members into the open <OpResponse>.
type ec2Result interface {
	encodeEC2(enc *xml.Encoder) error
}

type ec2ErrorBody struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

func writeEC2Error(w http.ResponseWriter, requestID string, e *apiError) {
	code, msg := ec2Code(e.Code), e.Message
	if code == "UnauthorizedOperation" && strings.HasPrefix(msg, "User: ") {
		msg = "You are not authorized to perform this operation. " + msg
	}
	body, _ := xml.Marshal(ec2ErrorBody{Code: code, Message: msg, RequestID: requestID})
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(body)))
	w.WriteHeader(ec2Status(code, e.Status))
	w.Write([]byte(xml.Header))
	w.Write(body)
}

// ec2Code spells an error the way EC2 does ("Error codes for the Amazon EC2 API"): access denial
// is UnauthorizedOperation, throttling RequestLimitExceeded, bad credentials AuthFailure.
func ec2Code(code string) string {
	switch code {
	case "AccessDenied", "AccessDeniedException":
		return "UnauthorizedOperation"
	case "Throttling", "ThrottlingException":
		return "RequestLimitExceeded"
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "MissingAuthenticationToken", "UnrecognizedClientException":
		return "AuthFailure"
	case "InternalFailure", "InternalServiceError":
		return "InternalError"
	case "ServiceUnavailable", "ServiceUnavailableException":
		return "Unavailable"
	case "ValidationError", "ValidationException":
		return "MissingParameter"
	}
	return code
}

func ec2Status(code string, status int) int {
	switch code {
	case "UnauthorizedOperation":
		return http.StatusForbidden
	case "AuthFailure":
		return http.StatusUnauthorized
	case "RequestLimitExceeded", "Unavailable":
		return http.StatusServiceUnavailable
	case "InternalError":
		return http.StatusInternalServerError
	}
	return status
}
