package awsemu

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// EC2 (ec2Query): DescribeVpcEndpoints (Amazon EC2 API reference), for the VPC endpoint policies
// of the consumer's account (SPEC §6 "vpc_endpoints").

// defaultEndpointPolicy is the policy of an endpoint created without one: full access (AWS
// PrivateLink Guide: "Control access to VPC endpoints using endpoint policies", default policy).
const defaultEndpointPolicy = `{
  "Version": "2008-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": "*",
      "Action": "*",
      "Resource": "*"
    }
  ]
}`

// maxEndpointPolicy is the size limit of a VPC endpoint policy (AWS PrivateLink Guide: "Quotas":
// 20,480 characters, whitespace excluded).
const maxEndpointPolicy = 20480

var (
	vpceIDRe  = regexp.MustCompile(`^vpce-[0-9a-z]{1,32}$`)
	vpcIDRe   = regexp.MustCompile(`^vpc-[0-9a-z]{1,32}$`)
	vpceSvcRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}$`)
)

const ec2MaxItems = 1000

func (b *builder) vpcEndpoints(a *Account) {
	seen := map[string]bool{}
	for i, v := range a.VPCEndpoints {
		path := fmt.Sprintf("accounts.%s.vpc_endpoints[%d]", a.ID, i)
		if v == nil {
			b.fail(path, "want an object, got null")
			continue
		}
		v.Account = a.ID
		if !vpceIDRe.MatchString(v.ID) {
			b.fail(path+".id", "%q is not a VPC endpoint id such as vpce-0abc1234def567890", v.ID)
		}
		if seen[v.ID] {
			b.fail(path+".id", "%s is listed twice", v.ID)
		}
		seen[v.ID] = true
		if !vpceSvcRe.MatchString(v.Service) {
			b.fail(path+".service", "required: the service, e.g. secretsmanager")
		}
		if v.VPC == "" {
			v.VPC = "vpc-" + fmt.Sprintf("%x", digest("vpc", a.ID, v.ID))[:17]
		} else if !vpcIDRe.MatchString(v.VPC) {
			b.fail(path+".vpc", "%q is not a VPC id such as vpc-0abc1234", v.VPC)
		}
		if v.Region == "" {
			v.Region = b.s.Region
		} else if !regionRe.MatchString(v.Region) {
			b.fail(path+".region", "%q is not a region name", v.Region)
		}
		if v.Policy == nil {
			v.Policy = &PolicyDoc{Text: []byte(defaultEndpointPolicy)}
		}
		b.parse(path+".policy", v.Policy, maxEndpointPolicy)
	}
}

// ec2Filters reads Filter.N.Name / Filter.N.Value.M.
func ec2Filters(f form) map[string][]string {
	out := map[string][]string{}
	for i := 1; ; i++ {
		name := f.get("Filter." + strconv.Itoa(i) + ".Name")
		if name == "" {
			return out
		}
		for j := 1; ; j++ {
			v, ok := f["Filter."+strconv.Itoa(i)+".Value."+strconv.Itoa(j)]
			if !ok || len(v) == 0 {
				break
			}
			out[name] = append(out[name], v[0])
		}
	}
}

// ec2List reads a flattened EC2 list: Name.1, Name.2, …
func ec2List(f form, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := f[name+"."+strconv.Itoa(i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// endpointFilters are the DescribeVpcEndpoints filters the emulator answers (Amazon EC2 API
// reference: DescribeVpcEndpoints, Filter.N).
var endpointFilters = map[string]func(*VPCEndpoint) string{
	"service-name":       (*VPCEndpoint).ServiceName,
	"vpc-id":             func(v *VPCEndpoint) string { return v.VPC },
	"vpc-endpoint-id":    func(v *VPCEndpoint) string { return v.ID },
	"vpc-endpoint-type":  func(*VPCEndpoint) string { return "Interface" },
	"vpc-endpoint-state": func(*VPCEndpoint) string { return "available" },
}

// describeVpcEndpoints lists the caller's own account's endpoints in the region called, filtered
// and paginated (MaxResults 5-1000, NextToken).
func (s *server) describeVpcEndpoints(c *call, f form) (any, *apiError) {
	filters := ec2Filters(f)
	for name := range filters {
		if endpointFilters[name] == nil {
			return nil, errorf("InvalidParameterValue", "The filter '%s' is invalid", name)
		}
	}
	size := s.opts.PageSize
	if m := f.get("MaxResults"); m != "" {
		// "If the value is greater than 1,000, we return only 1,000 items" (Amazon EC2 API
		// reference: DescribeVpcEndpoints, MaxResults).
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 {
			return nil, errorf("InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid.", m)
		}
		size = min(size, n, ec2MaxItems)
	}
	ids := ec2List(f, "VpcEndpointId")
	var all []*VPCEndpoint
	if a := s.sc.Accounts[c.caller.Account]; a != nil {
		for _, v := range a.VPCEndpoints {
			if v.Region == c.region && endpointMatches(v, ids, filters) {
				all = append(all, v)
			}
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(v *VPCEndpoint) bool { return v.ID == id }) {
			return nil, errorf("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' does not exist", id)
		}
	}
	listing := "DescribeVpcEndpoints\x00" + c.caller.Account + "\x00" + c.region + "\x00" + strings.Join(ids, ",") + "\x00" + fmt.Sprint(filters)
	items, next, ok := page(all, listing, f.get("NextToken"), size)
	if !ok {
		return nil, errorf("InvalidPaginationToken", "Invalid pagination token")
	}
	return vpcEndpointsResult{endpoints: items, next: next}, nil
}

func endpointMatches(v *VPCEndpoint, ids []string, filters map[string][]string) bool {
	if len(ids) > 0 && !slices.Contains(ids, v.ID) {
		return false
	}
	for name, want := range filters {
		if !slices.Contains(want, endpointFilters[name](v)) {
			return false
		}
	}
	return true
}

type vpcEndpointsResult struct {
	endpoints []*VPCEndpoint
	next      string
}

// xmlVpcEndpoint is a VpcEndpoint in EC2's XML (lower-camel member names, lists as <item>s).
type xmlVpcEndpoint struct {
	VpcEndpointID     string   `xml:"vpcEndpointId"`
	VpcEndpointType   string   `xml:"vpcEndpointType"`
	VpcID             string   `xml:"vpcId"`
	ServiceName       string   `xml:"serviceName"`
	State             string   `xml:"state"`
	PolicyDocument    string   `xml:"policyDocument"`
	RouteTableIDSet   []string `xml:"routeTableIdSet>item"`
	SubnetIDSet       []string `xml:"subnetIdSet>item"`
	PrivateDNSEnabled bool     `xml:"privateDnsEnabled"`
	RequesterManaged  bool     `xml:"requesterManaged"`
	CreationTimestamp string   `xml:"creationTimestamp"`
	OwnerID           string   `xml:"ownerId"`
	IPAddressType     string   `xml:"ipAddressType"`
	ServiceRegion     string   `xml:"serviceRegion"`
}

func (r vpcEndpointsResult) encodeEC2(enc *xml.Encoder) error {
	set := xml.StartElement{Name: xml.Name{Local: "vpcEndpointSet"}}
	if err := enc.EncodeToken(set); err != nil {
		return err
	}
	for _, v := range r.endpoints {
		x := xmlVpcEndpoint{VpcEndpointID: v.ID, VpcEndpointType: "Interface", VpcID: v.VPC, ServiceName: v.ServiceName(),
			State: "available", PolicyDocument: v.Policy.String(), PrivateDNSEnabled: true, OwnerID: v.Account,
			CreationTimestamp: Epoch.UTC().Format("2006-01-02T15:04:05.000Z"), IPAddressType: "ipv4", ServiceRegion: v.Region}
		if err := enc.EncodeElement(x, xml.StartElement{Name: xml.Name{Local: "item"}}); err != nil {
			return err
		}
	}
	if err := enc.EncodeToken(set.End()); err != nil {
		return err
	}
	if r.next != "" {
		return enc.EncodeElement(r.next, xml.StartElement{Name: xml.Name{Local: "nextToken"}})
	}
	return nil
}
