package handler

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/internal/awsname"
	"github.com/credaudit/credaudit/lambda/internal/lazyre"
	"github.com/credaudit/credaudit/lambda/org"
	"github.com/credaudit/credaudit/lambda/rules"
)

// The function's environment variables (README "Lambda settings").
const (
	EnvStateBucket = "CREDAUDIT_STATE_BUCKET"
	EnvTopicARN    = "CREDAUDIT_TOPIC_ARN"
	EnvSecurityHub = "CREDAUDIT_SECURITY_HUB"
	EnvHubRegion   = "CREDAUDIT_SECURITY_HUB_REGION"
	EnvProfile     = "CREDAUDIT_PROFILE"
	EnvConfig      = "CREDAUDIT_CONFIG"
	EnvNotify      = "CREDAUDIT_NOTIFY"
	EnvRefreshDays = "CREDAUDIT_REFRESH_DAYS"
	EnvRegion      = "AWS_REGION"
	// EnvLogLevel is the application log level Lambda filters the
	// function's JSON lines by (the stack's logLevel).
	EnvLogLevel = "AWS_LAMBDA_LOG_LEVEL"

	// The organisation settings: the member role's name (per-account
	// requests name the whole ARN; listing builds it from this name) and
	// the account filter of list_accounts, as comma-separated lists.
	EnvMemberRole      = "CREDAUDIT_MEMBER_ROLE"
	EnvIncludeAccounts = "CREDAUDIT_ORG_INCLUDE_ACCOUNTS"
	EnvExcludeAccounts = "CREDAUDIT_ORG_EXCLUDE_ACCOUNTS"
	EnvIncludeOUs      = "CREDAUDIT_ORG_INCLUDE_OUS"
	EnvExcludeOUs      = "CREDAUDIT_ORG_EXCLUDE_OUS"
)

// Settings is the function's validated configuration.
type Settings struct {
	StateBucket string
	TopicARN    string
	SecurityHub bool
	// HubRegion is where findings are imported: the home region.
	HubRegion string
	// Profile overrides the configuration file's profile when set.
	Profile string
	// Config is where the configuration file is: an S3 object or an SSM
	// parameter; zero when there is none.
	Config       ConfigSource
	Notify       audit.NotifyMode
	RefreshAfter time.Duration
	// Region is the function's own region.
	Region string
	// MemberRole is the name of the role assumed in each member account
	// (org.DefaultMemberRole unless set).
	MemberRole string
	// Accounts selects the organisation's accounts to audit.
	Accounts org.Filter
	// MetricsLevel is the level the run's metrics line carries: Lambda
	// drops a line below the application log level, and reads one without
	// a level as INFO, so at WARN or ERROR the metrics need that level to
	// reach CloudWatch.
	MetricsLevel string
}

// ConfigSource locates the configuration file.
type ConfigSource struct {
	Bucket, Key string // s3://Bucket/Key
	Parameter   string // ssm:Parameter
}

// String is the location as written in CREDAUDIT_CONFIG; errors in the file
// name it.
func (c ConfigSource) String() string {
	switch {
	case c.Parameter != "":
		return "ssm:" + c.Parameter
	case c.Bucket != "":
		return "s3://" + c.Bucket + "/" + c.Key
	}
	return ""
}

// MaxRefreshDays keeps a refresh before Security Hub's 90-day expiry.
const MaxRefreshDays = 89

var ssmName = lazyre.New(`^(/?[A-Za-z0-9_.-]+)+$`)

// LoadSettings reads and validates the environment, naming every bad value
// in the error, one per line.
func LoadSettings(getenv func(string) string) (Settings, error) {
	var errs []error
	bad := func(name, value, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s=%q: %s", name, value, fmt.Sprintf(format, args...)))
	}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	s := Settings{SecurityHub: true, RefreshAfter: 30 * 24 * time.Hour, Region: get(EnvRegion), MetricsLevel: "INFO"}
	// Lambda sets the level; TRACE and DEBUG let INFO through.
	if v := strings.ToUpper(get(EnvLogLevel)); v == "WARN" || v == "ERROR" || v == "FATAL" {
		s.MetricsLevel = v
	}

	if !awsname.IsRegion(s.Region) {
		bad(EnvRegion, s.Region, "not an AWS region (Lambda sets it; set it when running elsewhere)")
	}
	s.StateBucket = get(EnvStateBucket)
	if s.StateBucket == "" {
		bad(EnvStateBucket, s.StateBucket, "required: the name of the S3 bucket that keeps each account's state")
	} else if err := awsname.CheckBucket(s.StateBucket); err != nil {
		bad(EnvStateBucket, s.StateBucket, "%v; want the name of the S3 bucket that keeps each account's state", err)
	}
	s.TopicARN = get(EnvTopicARN)
	if !awsname.IsTopicARN(s.TopicARN) {
		bad(EnvTopicARN, s.TopicARN, "required: an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>) for the digest and alerts")
	}
	switch v := get(EnvSecurityHub); strings.ToLower(v) {
	case "", "on":
	case "off":
		s.SecurityHub = false
	default:
		bad(EnvSecurityHub, v, "want on or off")
	}
	s.HubRegion = get(EnvHubRegion)
	if s.HubRegion == "" {
		s.HubRegion = s.Region
	} else if !awsname.IsRegion(s.HubRegion) {
		bad(EnvHubRegion, s.HubRegion, "not an AWS region (e.g. eu-west-1)")
	} else if p := awsname.Partition(s.HubRegion); awsname.IsRegion(s.Region) && p != awsname.Partition(s.Region) {
		bad(EnvHubRegion, s.HubRegion, "in partition %s, not the function's (%s): the function can import only into its own partition", p, awsname.Partition(s.Region))
	}
	s.Profile = get(EnvProfile)
	if s.Profile != "" && !slices.Contains(rules.ProfileNames(), s.Profile) {
		bad(EnvProfile, s.Profile, "want one of %s", strings.Join(rules.ProfileNames(), ", "))
	}
	if v := get(EnvConfig); v != "" {
		src, err := parseConfigSource(v)
		if err != nil {
			bad(EnvConfig, v, "%v", err)
		}
		s.Config = src
	}
	if v := get(EnvNotify); v != "" {
		mode, err := audit.ParseNotifyMode(v)
		if err != nil {
			bad(EnvNotify, v, "want changes, always or never")
		}
		s.Notify = mode
	}
	if v := get(EnvRefreshDays); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxRefreshDays {
			bad(EnvRefreshDays, v, "want a whole number of days from 1 to %d (findings expire 90 days after their last update)", MaxRefreshDays)
		}
		s.RefreshAfter = time.Duration(n) * 24 * time.Hour
	}
	s.MemberRole = get(EnvMemberRole)
	if s.MemberRole == "" {
		s.MemberRole = org.DefaultMemberRole
	} else if !org.IsRoleName(s.MemberRole) {
		bad(EnvMemberRole, s.MemberRole, org.RoleNameRule)
	}
	for _, l := range []struct {
		name string
		list *[]string
		ous  bool
	}{
		{EnvIncludeAccounts, &s.Accounts.IncludeAccounts, false}, {EnvExcludeAccounts, &s.Accounts.ExcludeAccounts, false},
		{EnvIncludeOUs, &s.Accounts.IncludeOUs, true}, {EnvExcludeOUs, &s.Accounts.ExcludeOUs, true},
	} {
		v := get(l.name)
		list, err := org.SplitList(v)
		if err != nil {
			bad(l.name, v, "%v", err)
			continue
		}
		*l.list = list
		if v != "" && len(*l.list) == 0 {
			// An include list that names nothing would audit every account.
			bad(l.name, v, "names nothing; leave it empty for no filter")
			continue
		}
		check := org.Filter{IncludeAccounts: *l.list}
		if l.ous {
			check = org.Filter{IncludeOUs: *l.list}
		}
		if err := check.Check(); err != nil {
			bad(l.name, v, "%v", err)
		}
	}
	if len(errs) > 0 {
		return Settings{}, fmt.Errorf("invalid settings:\n%w", errors.Join(errs...))
	}
	return s, nil
}

func parseConfigSource(v string) (ConfigSource, error) {
	switch {
	case strings.HasPrefix(v, "s3://"):
		bucket, key, _ := strings.Cut(strings.TrimPrefix(v, "s3://"), "/")
		if err := awsname.CheckBucket(bucket); err != nil {
			return ConfigSource{}, fmt.Errorf("%w; want s3://<bucket>/<key>", err)
		}
		if err := UnreadableBucket(bucket); err != nil {
			return ConfigSource{}, err
		}
		if key == "" {
			return ConfigSource{}, errors.New("no object key; want s3://<bucket>/<key>")
		}
		return ConfigSource{Bucket: bucket, Key: key}, nil
	case strings.HasPrefix(v, "ssm:"):
		name := strings.TrimPrefix(v, "ssm:")
		if len(name) > 2048 || !ssmName().MatchString(name) {
			return ConfigSource{}, errors.New("want ssm:<parameter name>, e.g. ssm:/credaudit/config")
		}
		return ConfigSource{Parameter: name}, nil
	}
	return ConfigSource{}, errors.New("want s3://<bucket>/<key> or ssm:<parameter name>")
}

// UnreadableBucket refuses a name that stands in for a bucket, which the
// stack's s3:GetObject on arn:<partition>:s3:::<bucket>/<key> does not
// cover: a read through an access point is authorised on the access
// point's ARN, and a directory bucket's on s3express:CreateSession. The
// stack checks configLocation with the same words (infra/settings.go).
func UnreadableBucket(bucket string) error {
	var what string
	switch {
	case strings.HasSuffix(bucket, "-s3alias"):
		what = "an access point's alias"
	case strings.HasSuffix(bucket, "--ol-s3"):
		what = "an Object Lambda access point's alias"
	case strings.HasSuffix(bucket, "--x-s3"):
		what = "a directory bucket"
	default:
		return nil
	}
	return fmt.Errorf("%q is %s, which the function's s3:GetObject on the bucket's objects does not cover; "+
		"keep the file in a general purpose bucket, named as itself, or in an SSM parameter", bucket, what)
}
