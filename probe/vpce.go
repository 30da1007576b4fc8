package probe

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/xsdoctor/xsdoctor"
)

// readVPCEndpoints reads the consumer account's interface endpoints for Secrets Manager in the
// secret's region, with their policies (ec2:DescribeVpcEndpoints, every page). A workload in
// such a VPC reaches Secrets Manager through the endpoint, whose policy filters the call. A KMS
// endpoint there never sees the kms:Decrypt that Secrets Manager makes, so it is not read.
func (g *gatherer) readVPCEndpoints(ctx context.Context, s *session) *xsdoctor.VPCEndpoints {
	v := &xsdoctor.VPCEndpoints{Account: g.consumer.Account, Region: g.region}
	if re := s.ready(ctx); re != nil {
		v.Err = cause(re)
		return v
	}
	// Base credentials may belong to another account than the consumer's: then they would
	// list another account's endpoints. GetCallerIdentity (asked once per credentials) says.
	if s.role == "" {
		got, re := g.callerAccount(ctx, s)
		if re != nil {
			v.Err = re
			return v
		}
		if got != g.consumer.Account {
			v.Err = &xsdoctor.ReadError{Call: "ec2:DescribeVpcEndpoints", Account: g.consumer.Account, Code: CodeNoCredentials,
				Message: "the consumer side's credentials belong to account " + got + ", not " + g.consumer.Account + "; pass --consumer-role or --consumer-profile"}
			return v
		}
	}
	service := "com.amazonaws." + g.region + ".secretsmanager"
	in := &ec2.DescribeVpcEndpointsInput{Filters: []types.Filter{
		{Name: aws.String("service-name"), Values: []string{service}},
		{Name: aws.String("vpc-endpoint-type"), Values: []string{string(types.VpcEndpointTypeInterface)}},
	}}
	for {
		out, err := s.ec2.DescribeVpcEndpoints(ctx, in)
		if err != nil {
			v.Err = readError("ec2:DescribeVpcEndpoints", s.accountID(), err)
			v.Endpoints = nil
			return v
		}
		for _, ep := range out.VpcEndpoints {
			// The filters are the API's; an endpoint of another service or type is dropped
			// here too, for an emulator that ignores them.
			if aws.ToString(ep.ServiceName) != service || ep.VpcEndpointType != "" && ep.VpcEndpointType != types.VpcEndpointTypeInterface {
				continue
			}
			v.Endpoints = append(v.Endpoints, xsdoctor.VPCEndpoint{
				ID: aws.ToString(ep.VpcEndpointId), VPC: aws.ToString(ep.VpcId), Service: service,
				Policy: decodeDocument(aws.ToString(ep.PolicyDocument)),
			})
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	sort.Slice(v.Endpoints, func(i, j int) bool { return v.Endpoints[i].ID < v.Endpoints[j].ID })
	return v
}
