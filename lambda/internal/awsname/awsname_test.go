package awsname

import "testing"

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
}
