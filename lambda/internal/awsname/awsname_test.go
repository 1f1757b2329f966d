package awsname

import (
	"strings"
	"testing"
)

func TestRegionsAndPartitions(t *testing.T) {
	for _, tc := range []struct{ region, partition string }{
		{"eu-west-1", "aws"}, {"us-east-1", "aws"}, {"ap-southeast-5", "aws"}, {"il-central-1", "aws"},
		{"us-gov-west-1", "aws-us-gov"}, {"us-gov-east-1", "aws-us-gov"},
		{"cn-north-1", "aws-cn"}, {"cn-northwest-1", "aws-cn"},
		{"us-iso-east-1", "aws-iso"}, {"us-isob-east-1", "aws-iso-b"}, {"eu-isoe-west-1", "aws-iso-e"}, {"us-isof-south-1", "aws-iso-f"},
		{"eusc-de-east-1", "aws-eusc"},
	} {
		if !IsRegion(tc.region) {
			t.Errorf("IsRegion(%q) = false", tc.region)
		}
		if got := Partition(tc.region); got != tc.partition {
			t.Errorf("Partition(%q) = %q, want %q", tc.region, got, tc.partition)
		}
		if got := Partition(DefaultRegion(tc.partition)); got != tc.partition {
			t.Errorf("DefaultRegion(%q) = %q, which is in %q", tc.partition, DefaultRegion(tc.partition), got)
		}
	}
	if Known("aws-mars") || DefaultRegion("aws-mars") != "" || !Known("aws") {
		t.Errorf("Known: aws-mars %v, aws %v", Known("aws-mars"), Known("aws"))
	}
	for _, s := range []string{"", "us-east-1:x", "not a region!!", "US-EAST-1", "useast1", "eu-west", "e-west-1", "eu-west-1 "} {
		if IsRegion(s) {
			t.Errorf("IsRegion(%q) = true", s)
		}
	}
}

func TestIsTopicARN(t *testing.T) {
	for s, want := range map[string]bool{
		"arn:aws:sns:eu-west-1:123456789012:credaudit":           true,
		"arn:aws-us-gov:sns:us-gov-west-1:123456789012:t.fifo":   true,
		"arn:aws:sqs:eu-west-1:123456789012:q":                   false,
		"arn:aws:sns:eu-west-1:1234:t":                           false,
		"arn:aws:sns:eu-west-1:123456789012:with space":          false,
		"arn:aws:sns:eu-west-1:123456789012:credaudit:subscript": false,
	} {
		if got := IsTopicARN(s); got != want {
			t.Errorf("IsTopicARN(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]string{
		"arn:aws:sns:eu-west-1:123456789012:credaudit":         "eu-west-1",
		"arn:aws-us-gov:sns:us-gov-west-1:123456789012:t.fifo": "us-gov-west-1",
		"arn:aws:sqs:eu-west-1:123456789012:q":                 "",
	} {
		if got := TopicRegion(s); got != want {
			t.Errorf("TopicRegion(%q) = %q, want %q", s, got, want)
		}
	}
}

// S3's naming rules for general purpose buckets, each broken once; the
// error says which.
func TestCheckBucket(t *testing.T) {
	for _, name := range []string{"abc", "credaudit-config-bucket", "cfg.example", "a-b.c-d", "0bucket9", strings.Repeat("b", 63),
		"192.168.5.4x", "1.2.3", "xn-bucket", "sthree", "a.b.c.d",
		// Aliases and directory buckets stand in a request's Bucket.
		"cfg-ab12cd34ef56gh78ij90klmnopqrst-s3alias", "cfg--ol-s3", "cfg--use1-az4--x-s3"} {
		if err := CheckBucket(name); err != nil {
			t.Errorf("CheckBucket(%q) = %v, want nil", name, err)
		}
	}
	for _, tc := range []struct{ name, want string }{
		{"", `no bucket name`},
		{"ab", `bucket name "ab" is 2 characters long; S3 bucket names have 3 to 63`},
		{strings.Repeat("b", 64), `is 64 characters long; S3 bucket names have 3 to 63`},
		{"Bucket", `bucket name "Bucket" has "B"; S3 bucket names have only lowercase letters, digits, periods and hyphens`},
		{"bucket_name", `has "_"`},
		{"buck et", `has " "`},
		{"-bucket", `bucket name "-bucket" does not begin and end with a letter or digit`},
		{"bucket-", `does not begin and end with a letter or digit`},
		{".bucket", `does not begin and end with a letter or digit`},
		{"bucket.", `does not begin and end with a letter or digit`},
		{"a..b", `bucket name "a..b" has two adjacent periods`},
		{"192.168.5.4", `bucket name "192.168.5.4" is formatted as an IP address`},
		{"10.0.0.255", `is formatted as an IP address`},
		{"xn--bucket", `bucket name "xn--bucket" begins with "xn--", which S3 reserves`},
		{"sthree-bucket", `begins with "sthree-", which S3 reserves`},
		{"amzn-s3-demo-bucket", `begins with "amzn-s3-demo-", which S3 reserves`},
	} {
		err := CheckBucket(tc.name)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckBucket(%q) = %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}
