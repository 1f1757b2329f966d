// Package awsname checks the AWS names that settings and flags take, for
// the function and the command line alike: regions, the partition a region
// is in, and SNS topic ARNs.
package awsname

import (
	"strings"

	"github.com/credaudit/credaudit/lambda/internal/lazyre"
)

var (
	region   = lazyre.New(`^[a-z]{2,4}(-[a-z]+)+-[0-9]+$`)
	topicARN = lazyre.New(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
)

// IsRegion reports whether s has the form of an AWS region (eu-west-1,
// us-gov-west-1, eusc-de-east-1).
func IsRegion(s string) bool { return region().MatchString(s) }

// IsTopicARN reports whether s is an SNS topic's ARN.
func IsTopicARN(s string) bool { return topicARN().MatchString(s) }

// partitions maps region prefixes to the partitions outside the commercial
// one, longest prefix first where one extends another (us-isob- before
// us-iso-).
var partitions = []struct{ prefix, partition, region string }{
	{"us-gov-", "aws-us-gov", "us-gov-west-1"},
	{"cn-", "aws-cn", "cn-north-1"},
	{"us-isob-", "aws-iso-b", "us-isob-east-1"},
	{"us-isof-", "aws-iso-f", "us-isof-south-1"},
	{"us-iso-", "aws-iso", "us-iso-east-1"},
	{"eu-isoe-", "aws-iso-e", "eu-isoe-west-1"},
	{"eusc-", "aws-eusc", "eusc-de-east-1"},
}

// Partition returns the partition a region is in: aws-us-gov for
// us-gov-west-1, aws-cn for cn-north-1, aws for eu-west-1 and any region
// of no partition Known lists.
func Partition(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// Known reports whether Partition and DefaultRegion know the partition.
func Known(partition string) bool { return DefaultRegion(partition) != "" }

// DefaultRegion returns the region to use in a partition when none is
// configured: us-east-1 in aws, us-gov-west-1 in aws-us-gov, cn-north-1 in
// aws-cn; "" for a partition it does not know.
func DefaultRegion(partition string) string {
	if partition == "aws" {
		return "us-east-1"
	}
	for _, p := range partitions {
		if p.partition == partition {
			return p.region
		}
	}
	return ""
}
