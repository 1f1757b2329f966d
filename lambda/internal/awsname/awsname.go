// Package awsname checks the AWS names that settings and flags take, for
// the function and the command line alike: regions, the partition a region
// is in, SNS topic ARNs and S3 bucket names.
package awsname

import (
	"errors"
	"fmt"
	"strings"

	"github.com/credaudit/credaudit/lambda/internal/lazyre"
)

var (
	region   = lazyre.New(`^[a-z]{2,4}(-[a-z]+)+-[0-9]+$`)
	topicARN = lazyre.New(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	ipv4     = lazyre.New(`^[0-9]+(\.[0-9]+){3}$`)
)

// IsRegion reports whether s has the form of an AWS region (eu-west-1,
// us-gov-west-1, eusc-de-east-1).
func IsRegion(s string) bool { return region().MatchString(s) }

// IsTopicARN reports whether s is an SNS topic's ARN.
func IsTopicARN(s string) bool { return topicARN().MatchString(s) }

// TopicRegion is the region of the SNS topic arn (IsTopicARN), whose client
// must be in it: SNS refuses a topic of another region ("Invalid parameter:
// TopicArn"); "" when arn is no topic's.
func TopicRegion(arn string) string {
	if !IsTopicARN(arn) {
		return ""
	}
	return strings.Split(arn, ":")[3]
}

// reservedBucketPrefixes are the prefixes S3 keeps for itself: no bucket
// has one. The reserved suffixes are left alone: an access point's alias
// (-s3alias), an Object Lambda access point's (--ol-s3) and a directory
// bucket (--x-s3) stand in a request's Bucket as a bucket's name does.
var reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}

// CheckBucket says what makes name no general purpose bucket's name under
// S3's naming rules (the S3 User Guide's "General purpose bucket naming
// rules"), or returns nil: 3 to 63 lowercase letters, digits, periods and
// hyphens, beginning and ending with a letter or digit, no two adjacent
// periods, not formatted as an IP address, and none of the reserved
// prefixes.
func CheckBucket(name string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("bucket name %q %s", name, fmt.Sprintf(format, args...))
	}
	if name == "" {
		return errors.New("no bucket name")
	}
	if len(name) < 3 || len(name) > 63 {
		return bad("is %d characters long; S3 bucket names have 3 to 63", len(name))
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("has %q; S3 bucket names have only lowercase letters, digits, periods and hyphens", string(c))
		}
	}
	if first, last := name[0], name[len(name)-1]; first == '.' || first == '-' || last == '.' || last == '-' {
		return bad("does not begin and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bad("has two adjacent periods")
	}
	if ipv4().MatchString(name) {
		return bad("is formatted as an IP address")
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return bad("begins with %q, which S3 reserves", p)
		}
	}
	return nil
}

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
