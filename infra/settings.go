package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // validate timeZone the same way on every machine

	"github.com/aws/jsii-runtime-go"
)

// Context keys: every deployment setting is read from CDK context (cdk.json's
// "context", or `cdk deploy -c key=value`). The README's "Context settings"
// table lists them with their defaults; a test keeps the two in step.
const (
	KeyStackName         = "stackName"
	KeySchedule          = "schedule"
	KeyTimeZone          = "timeZone"
	KeyEmails            = "notificationEmails"
	KeyProfile           = "profile"
	KeyConfig            = "configLocation"
	KeyNotify            = "notify"
	KeySecurityHub       = "securityHub"
	KeySecurityHubRegion = "securityHubRegion"
	KeyRefreshDays       = "refreshDays"
	KeyLogRetention      = "logRetentionDays"
	KeyLogLevel          = "logLevel"
	KeyMemory            = "memorySize"
	KeyTimeout           = "timeoutSeconds"
	KeyAsset             = "lambdaAsset"

	// The organisation stack's settings (org.go); only read with org=true.
	KeyOrg                  = "org"
	KeyOrgID                = "orgId"
	KeyMemberRole           = "memberRole"
	KeyStackSetTargets      = "stackSetTargets"
	KeyStackSetCallAs       = "stackSetCallAs"
	KeyOrgIncludeAccounts   = "orgIncludeAccounts"
	KeyOrgExcludeAccounts   = "orgExcludeAccounts"
	KeyOrgIncludeOUs        = "orgIncludeOus"
	KeyOrgExcludeOUs        = "orgExcludeOus"
	KeyMaxConcurrency       = "maxConcurrency"
	KeyToleratedFailurePerc = "toleratedFailurePercent"
)

// SettingKeys are the context keys LoadSettings reads, the README's
// settings tables' (a test keeps the three in step).
var SettingKeys = []string{
	KeyStackName, KeySchedule, KeyTimeZone, KeyEmails, KeyProfile, KeyConfig, KeyNotify,
	KeySecurityHub, KeySecurityHubRegion, KeyRefreshDays, KeyLogRetention, KeyLogLevel,
	KeyMemory, KeyTimeout, KeyAsset,
	KeyOrg, KeyOrgID, KeyMemberRole, KeyStackSetTargets, KeyStackSetCallAs,
	KeyOrgIncludeAccounts, KeyOrgExcludeAccounts, KeyOrgIncludeOUs, KeyOrgExcludeOUs,
	KeyMaxConcurrency, KeyToleratedFailurePerc,
}

// settingShape is the shape of credaudit's context keys (camelCase). The
// keys the CDK itself puts in an app's context have another: feature flags
// (@aws-cdk/…), the CLI's (aws:cdk:…) and cdk.context.json's cached
// lookups (availability-zones:account=…), acknowledged-issue-numbers.
var settingShape = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)

// LoadContext is LoadSettings over an app's whole context, which also
// refuses each key shaped like a setting that is near one, naming the
// settings it may have meant: a misspelt setting would otherwise be
// ignored, and its default deployed without a word (memoryMiB for
// memorySize). A key of that shape near no setting is kept in Ignored, for
// synth to warn of: the CLI puts ~/.cdk.json's context, meant for every
// app, into this one's too.
func LoadContext(context map[string]any) (Settings, error) {
	misspelt, ignored := unknownKeys(context)
	s, err := loadSettings(func(key string) any { return context[key] }, misspelt)
	s.Ignored = ignored
	return s, err
}

// unknownKeys says why each key of context shaped like a setting that is
// not one is refused (misspelt: near a setting) or ignored.
func unknownKeys(context map[string]any) (misspelt []error, ignored []string) {
	for _, k := range slices.Sorted(maps.Keys(context)) {
		if !settingShape.MatchString(k) || slices.Contains(SettingKeys, k) {
			continue
		}
		msg := fmt.Sprintf("context %s=%s: not a credaudit setting", k, written(context[k]))
		if near := nearKeys(k); len(near) > 0 {
			misspelt = append(misspelt, fmt.Errorf("%s; did you mean %s?", msg, strings.Join(near, " or ")))
		} else {
			ignored = append(ignored, msg+`, ignored (see the README's "Context settings")`)
		}
	}
	return misspelt, ignored
}

// nearKeys are the settings key may have meant, compared without case:
// those containing it or contained in it (timeout: timeoutSeconds), else
// those within three edits of it (memoryMiB: memorySize).
func nearKeys(key string) []string {
	k := strings.ToLower(key)
	var within, edits []string
	for _, s := range SettingKeys {
		switch l := strings.ToLower(s); {
		case len(k) >= 4 && strings.Contains(l, k) || len(l) >= 4 && strings.Contains(k, l):
			within = append(within, s)
		case editDistance(k, l) <= 3:
			edits = append(edits, s)
		}
	}
	if len(within) > 0 {
		return within
	}
	return edits
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (lambda/query has its own: infra does not import lambda).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Defaults. Memory and timeout are explained in the README ("Sizing"): the
// run waits on AWS far more than it computes (parse and evaluate of a
// 5,000-user report take ~13 ms of CPU), so memory buys little beyond a
// fast cold start and JSON/gzip phases, and the timeout is the ceiling for
// polling a report that is being generated plus a first full Security Hub
// import at 10 requests/s.
const (
	DefaultStackName    = "credaudit"
	DefaultSchedule     = "cron(0 6 * * ? *)"
	DefaultTimeZone     = "Etc/UTC"
	DefaultNotify       = "changes"
	DefaultRefreshDays  = 30
	DefaultLogRetention = 365
	DefaultLogLevel     = "INFO"
	DefaultMemoryMiB    = 512
	DefaultTimeout      = 900 * time.Second
	DefaultAsset        = "bin/lambda"

	// DefaultMemberRole is the member role's name; the function's own
	// default (lambda/org.DefaultMemberRole, kept equal by a test).
	DefaultMemberRole = "credaudit-member"
	DefaultCallAs     = "SELF"
	// DefaultMaxConcurrency bounds the accounts audited at once: each
	// audit spends the central account's STS budget and Lambda
	// concurrency, and Distributed Map's own default is 10,000.
	DefaultMaxConcurrency = 10
	// DefaultToleratedFailure is 100 %: one account's failure (a missing
	// member role, a throttled report) never stops the other accounts'
	// audits; its failure is in the Map Run's results, which Aggregate reads.
	DefaultToleratedFailure = 100
)

// maxOrgStackName is the longest stack name the organisation stack takes:
// its state machine is named <stackName>-run, and Step Functions takes
// names of 1 to 80 characters (CDK panics at synth beyond that).
const maxOrgStackName = 80 - len(stateMachineSuffix)

// Profiles are the rule profiles the function accepts in CREDAUDIT_PROFILE.
// infra does not import lambda, so the list is repeated here (a test keeps
// it equal to rules.ProfileNames); the function validates it again at cold
// start.
var Profiles = []string{"recommended", "all", "cis-1.2", "cis-1.4", "cis-3.0", "cis-5.0", "fsbp"}

// logRetentions are the values CloudWatch Logs accepts for a log group's
// retention, in days.
var logRetentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Settings is the validated deployment configuration.
type Settings struct {
	StackName string
	// Schedule is an EventBridge Scheduler expression, cron(…) with six
	// fields or rate(…) (as CheckSchedule accepts), evaluated in TimeZone
	// (an IANA name).
	Schedule, TimeZone string
	Emails             []string
	// Profile is the rule profile; "" leaves it to the configuration file
	// (else the function's default, recommended): CREDAUDIT_PROFILE
	// overrides the file's profile when set.
	Profile string
	// Config is the configuration file location as the function reads it
	// from CREDAUDIT_CONFIG: s3://bucket/key, ssm:<parameter name>, or "".
	Config string
	// Notify is changes, always or never, in lower case whatever the
	// context's, as CREDAUDIT_NOTIFY gets it (the function takes any case).
	Notify      string
	SecurityHub bool
	// HubRegion is the Security Hub home region; "" means the stack's own.
	HubRegion        string
	RefreshDays      int
	LogRetentionDays int
	LogLevel         string
	MemoryMiB        int
	Timeout          time.Duration
	// Asset is the directory holding the linux/arm64 `bootstrap` binary that
	// `make build` writes.
	Asset string

	// Org selects the organisation stack (org.go) instead of the
	// single-account one; the fields below are read only then, and
	// otherwise hold their defaults.
	Org bool
	// OrgID is the organisation's ID (o-…): the member role trusts the
	// auditor only from inside it, and the auditor assumes roles only in it.
	OrgID string
	// MemberRole is the fixed name of the role in every member account.
	MemberRole string
	// StackSetTargets are the OU or root IDs the member-role StackSet
	// deploys to; StackSetCallAs is SELF (management account) or
	// DELEGATED_ADMIN.
	StackSetTargets []string
	StackSetCallAs  string
	// The account filter, handed to the orchestrator as comma-separated
	// lists: an empty include list includes every account, an exclusion
	// wins. Without an include list in the context LoadSettings fills in
	// the accounts that have the member role (defaultIncludes).
	IncludeAccounts, ExcludeAccounts []string
	IncludeOUs, ExcludeOUs           []string
	// IncludeOwnAccount adds the stack's own account to IncludeAccounts:
	// its ID is not known at synth, so the orchestrator gets the
	// AWS::AccountId the stack is deployed in.
	IncludeOwnAccount bool
	// MaxConcurrency and ToleratedFailurePercent are the Distributed
	// Map's: accounts audited at once, and the share of failed accounts
	// (0–100) above which the run stops.
	MaxConcurrency          int
	ToleratedFailurePercent int

	// Ignored says why each context key of a setting's shape near no
	// setting was ignored (LoadContext); synth warns of each.
	Ignored []string
}

var (
	stackName  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
	regionName = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]+$`) // as the function's (eusc-de-east-1)
	ipv4       = regexp.MustCompile(`^[0-9]+(\.[0-9]+){3}$`)
	ssmName    = regexp.MustCompile(`^(/?[A-Za-z0-9_.-]+)+$`)
	orgID      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	roleName   = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	accountID  = regexp.MustCompile(`^[0-9]{12}$`)
	// ouID is an organisational unit or root ID, as lambda/org accepts.
	ouID = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$`)
	// zoneName is the shape of the tz database's zone names: each part
	// begins with a capital (Etc/UTC, EST5EDT, America/Port-au-Prince).
	// time.LoadLocation also loads any file of the machine's zoneinfo
	// directory (localtime, posixrules, posix/…, right/…), and on a
	// case-insensitive file system a name in the wrong case, none of which
	// Scheduler takes.
	zoneName = regexp.MustCompile(`^[A-Z][A-Za-z0-9_+-]*(/[A-Z][A-Za-z0-9_+-]*)*$`)
)

// LoadSettings reads the settings through lookup (a CDK context getter that
// returns nil for an unset key) and validates them, naming every bad value
// in one error. Values from cdk.json arrive as JSON types, values from -c as
// strings; both are accepted.
func LoadSettings(lookup func(key string) any) (Settings, error) {
	return loadSettings(lookup, nil)
}

// loadSettings is LoadSettings, its error naming errs first.
func loadSettings(lookup func(key string) any, errs []error) (Settings, error) {
	refused := map[string]bool{} // the keys named in errs
	bad := func(key string, v any, format string, args ...any) {
		refused[key] = true
		errs = append(errs, fmt.Errorf("context %s=%s: %s", key, written(v), fmt.Sprintf(format, args...)))
	}
	str := func(key, def string) string {
		switch v := lookup(key).(type) {
		case nil:
			return def
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return s
			}
			return def
		default:
			bad(key, v, "want a string")
			return def
		}
	}
	flag := func(key string, def bool) bool {
		switch v := lookup(key).(type) {
		case nil:
			return def
		case bool:
			return v
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "":
				return def
			case "on", "true":
				return true
			case "off", "false":
				return false
			}
		}
		bad(key, lookup(key), "want on or off (true or false)")
		return def
	}
	ids := func(key string, valid *regexp.Regexp, what string) []string {
		l, ok := list(lookup(key))
		if !ok {
			bad(key, lookup(key), "want a list of IDs: a JSON list in cdk.json, or comma-separated with -c")
			return nil
		}
		if names(lookup(key)) && len(l) == 0 {
			// -c with an empty shell variable, or a cdk.json list of
			// blanks: for an include list, no filter would audit every
			// account, and the default is not that either (defaultIncludes).
			bad(key, lookup(key), "names nothing; leave it out (or write [] in cdk.json) for its default")
		}
		for _, id := range l {
			if !valid.MatchString(id) {
				bad(key, id, "not %s", what)
			}
		}
		return l
	}
	num := func(key string, def int) int {
		switch v := lookup(key).(type) {
		case nil:
			return def
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<31 {
				return int(v)
			}
		case string:
			if strings.TrimSpace(v) == "" {
				return def
			}
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
		bad(key, lookup(key), "want a whole number")
		return def
	}

	s := Settings{
		StackName:        str(KeyStackName, DefaultStackName),
		Schedule:         str(KeySchedule, DefaultSchedule),
		TimeZone:         str(KeyTimeZone, DefaultTimeZone),
		Profile:          str(KeyProfile, ""),
		Config:           str(KeyConfig, ""),
		Notify:           strings.ToLower(str(KeyNotify, DefaultNotify)),
		HubRegion:        str(KeySecurityHubRegion, ""),
		RefreshDays:      num(KeyRefreshDays, DefaultRefreshDays),
		LogRetentionDays: num(KeyLogRetention, DefaultLogRetention),
		LogLevel:         strings.ToUpper(str(KeyLogLevel, DefaultLogLevel)),
		MemoryMiB:        num(KeyMemory, DefaultMemoryMiB),
		Timeout:          time.Duration(num(KeyTimeout, int(DefaultTimeout/time.Second))) * time.Second,
		Asset:            str(KeyAsset, DefaultAsset),
		SecurityHub:      flag(KeySecurityHub, true),

		Org:                     flag(KeyOrg, false),
		MemberRole:              DefaultMemberRole,
		StackSetCallAs:          DefaultCallAs,
		MaxConcurrency:          DefaultMaxConcurrency,
		ToleratedFailurePercent: DefaultToleratedFailure,
	}
	// The organisation settings are read only with org=true, so that
	// values kept in cdk.json for the organisation stack neither stop nor
	// change the single-account one.
	if s.Org {
		const ouWhat = "an organisational unit ID (ou-…) or root ID (r-…)"
		s.OrgID = str(KeyOrgID, "")
		s.MemberRole = str(KeyMemberRole, DefaultMemberRole)
		s.StackSetTargets = ids(KeyStackSetTargets, ouID, ouWhat)
		s.StackSetCallAs = strings.ToUpper(str(KeyStackSetCallAs, DefaultCallAs))
		s.IncludeAccounts = ids(KeyOrgIncludeAccounts, accountID, "a 12-digit account ID")
		s.ExcludeAccounts = ids(KeyOrgExcludeAccounts, accountID, "a 12-digit account ID")
		s.IncludeOUs = ids(KeyOrgIncludeOUs, ouID, ouWhat)
		s.ExcludeOUs = ids(KeyOrgExcludeOUs, ouID, ouWhat)
		s.MaxConcurrency = num(KeyMaxConcurrency, DefaultMaxConcurrency)
		s.ToleratedFailurePercent = num(KeyToleratedFailurePerc, DefaultToleratedFailure)
	}

	if !stackName.MatchString(s.StackName) {
		bad(KeyStackName, s.StackName, "want a CloudFormation stack name (a letter, then letters, digits and hyphens)")
	} else if s.Org && len(s.StackName) > maxOrgStackName {
		bad(KeyStackName, s.StackName, "want at most %d characters with org=true: the state machine is named <stackName>%s, "+
			"and Step Functions names are at most 80", maxOrgStackName, stateMachineSuffix)
	}
	if err := CheckSchedule(s.Schedule); err != nil {
		bad(KeySchedule, s.Schedule, "%v", err)
	}
	zone, err := time.LoadLocation(s.TimeZone)
	if err != nil || s.TimeZone == "Local" || !zoneName.MatchString(s.TimeZone) {
		bad(KeyTimeZone, s.TimeZone, "want an IANA time zone name such as Etc/UTC or Europe/Berlin")
	}
	s.Emails = emails(lookup(KeyEmails), func(v any, msg string) { bad(KeyEmails, v, "%s", msg) })
	if s.Profile != "" && !slices.Contains(Profiles, s.Profile) {
		bad(KeyProfile, s.Profile, "want one of %s", strings.Join(Profiles, ", "))
	}
	if s.Config != "" {
		if _, _, _, err := ParseConfig(s.Config); err != nil {
			bad(KeyConfig, s.Config, "%v", err)
		}
	}
	if !slices.Contains([]string{"changes", "always", "never"}, s.Notify) {
		bad(KeyNotify, s.Notify, "want changes, always or never")
	}
	if s.HubRegion != "" && !regionName.MatchString(s.HubRegion) {
		bad(KeySecurityHubRegion, s.HubRegion, "want an AWS region such as eu-west-1")
	}
	if s.RefreshDays < 1 || s.RefreshDays > maxRefreshDays {
		bad(KeyRefreshDays, s.RefreshDays, "want 1 to %d (Security Hub deletes a finding %d days after its last update)", maxRefreshDays, expiryDays)
	} else if !refused[KeyRefreshDays] && !refused[KeySchedule] && !refused[KeyTimeZone] && !refused[KeySecurityHub] {
		if msg := refreshTooLate(s, zone); msg != "" {
			bad(KeyRefreshDays, s.RefreshDays, "%s", msg)
		}
	}
	if !slices.Contains(logRetentions, s.LogRetentionDays) {
		bad(KeyLogRetention, s.LogRetentionDays, "want one of CloudWatch Logs' retention values %v", logRetentions)
	}
	if !slices.Contains([]string{"DEBUG", "INFO", "WARN", "ERROR"}, s.LogLevel) {
		bad(KeyLogLevel, s.LogLevel, "want DEBUG, INFO, WARN or ERROR")
	}
	if s.MemoryMiB < 128 || s.MemoryMiB > 10240 {
		bad(KeyMemory, s.MemoryMiB, "want 128 to 10240 MiB")
	}
	if s.Timeout < 60*time.Second || s.Timeout > 900*time.Second {
		bad(KeyTimeout, int(s.Timeout/time.Second), "want 60 to 900 seconds (a run waits for the credential report)")
	}
	if s.Org {
		if s.OrgID == "" {
			bad(KeyOrgID, "", "required with org=true: the organisation's ID (o-…, from aws organizations describe-organization)")
		} else if !orgID.MatchString(s.OrgID) {
			bad(KeyOrgID, s.OrgID, "want an organisation ID: o- and 10 to 32 lower-case letters or digits")
		}
		if !roleName.MatchString(s.MemberRole) {
			bad(KeyMemberRole, s.MemberRole, "want an IAM role name (1 to 64 letters, digits and +=,.@_-)")
		}
		if len(s.StackSetTargets) == 0 {
			bad(KeyStackSetTargets, "", "required with org=true: the OU or root IDs (ou-…, r-…) whose accounts get the member role")
		}
		if !slices.Contains([]string{"SELF", "DELEGATED_ADMIN"}, s.StackSetCallAs) {
			bad(KeyStackSetCallAs, s.StackSetCallAs, "want SELF (the management account) or DELEGATED_ADMIN")
		}
		if s.MaxConcurrency < 1 || s.MaxConcurrency > 1000 {
			bad(KeyMaxConcurrency, s.MaxConcurrency, "want 1 to 1000 accounts at once (Lambda's default concurrency quota is 1,000)")
		}
		if s.ToleratedFailurePercent < 0 || s.ToleratedFailurePercent > 100 {
			bad(KeyToleratedFailurePerc, s.ToleratedFailurePercent, "want 0 to 100 (percent of accounts)")
		}
	}
	if s.Org {
		defaultIncludes(&s)
	}
	if n := envBytes(largestEnvironment(s)); n > lambdaEnvLimit {
		keys := KeyConfig
		if s.Org {
			keys = strings.Join([]string{KeyOrgIncludeAccounts, KeyOrgExcludeAccounts, KeyOrgIncludeOUs, KeyOrgExcludeOUs, KeyConfig}, ", ")
		}
		errs = append(errs, fmt.Errorf("context %s: the function's environment would be up to %d bytes, over Lambda's 4 KB for all its variables (taken as %d): "+
			"deploying would fail; name fewer accounts (an OU includes or excludes all its accounts in one ID)", keys, n, lambdaEnvLimit))
	}
	if len(errs) > 0 {
		return Settings{}, fmt.Errorf("invalid settings:\n%w", errors.Join(errs...))
	}
	return s, nil
}

// lambdaEnvLimit is Lambda's limit on a function's environment, "4 KB"
// for all its variables (Lambda quotas,
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
// taken as 4,000 bytes of their JSON, the strictest reading.
const lambdaEnvLimit = 4000

// largestEnvironment is the largest environment the stack gives a
// function (the orchestrator's in the organisation stack), with the values
// known only at deploy time at their longest: the state bucket's name
// (63), the topic's ARN (arn:<partition>:sns:<region>:<account>:<name of
// at most 256>), the home region, the stack's account.
func largestEnvironment(s Settings) map[string]*string {
	long := func(n int) *string { return jsii.String(strings.Repeat("x", n)) }
	const bucket, region, account = 63, 25, 12
	topic := len("arn:aws-iso-b:sns::") + region + account + 1 + 256
	var extra map[string]*string
	if s.Org {
		extra = filterEnv(s, *long(account))
	}
	return environment(s, long(bucket), long(topic), long(region), extra)
}

// envBytes is the size of env as JSON.
func envBytes(env map[string]*string) int {
	b, _ := json.Marshal(env) // strings only: cannot fail
	return len(b)
}

// defaultIncludes narrows the orchestrator's account filter to the
// accounts that have the member role when the context names no inclusion
// (neither orgIncludeAccounts nor orgIncludeOus) and stackSetTargets are
// OUs only: the StackSet deploys the role below the targets, and with
// stackSetCallAs=SELF the stack creates it in its own account (the
// management account, where StackSets never deploy). Without it, every
// account outside the targets would fail its audit in each run, having no
// role to assume. An inclusion by account adds to the OU inclusion, so the
// run audits the target OUs plus, with SELF, the stack's account. A root
// among the targets gives every account the role: no filter is needed, and
// none is set (nor ListParents granted). An inclusion the context names is
// used as written.
func defaultIncludes(s *Settings) {
	if len(s.IncludeAccounts) > 0 || len(s.IncludeOUs) > 0 || s.rootTarget() {
		return
	}
	s.IncludeOUs = slices.Clone(s.StackSetTargets)
	s.IncludeOwnAccount = s.StackSetCallAs == "SELF"
}

// rootTarget reports whether a root (r-…) is among the StackSet's
// targets: every account of the organisation but the management account
// then has the member role.
func (s *Settings) rootTarget() bool {
	return slices.ContainsFunc(s.StackSetTargets, func(id string) bool { return strings.HasPrefix(id, "r-") })
}

// Security Hub deletes a finding expiryDays after its last update
// ("deleted 90 days after the last update"): findingExpiry. A refresh is
// due at most maxRefreshDays after it.
const (
	day            = 24 * time.Hour
	expiryDays     = 90
	findingExpiry  = expiryDays * day
	maxRefreshDays = expiryDays - 1
)

// refreshTooLate says why, with s and zone (its schedule, time zone and
// refreshDays valid: the caller has checked them), Security Hub can delete
// a still-failing finding before its refresh, or returns "". The finding
// is re-imported at the first run once refreshDays have passed since its
// last update, which can come up to the schedule's longest gap later, so
// refreshDays plus that gap must stay under 90 days. With Security Hub off
// nothing expires; a schedule that runs fewer than twice refreshes nothing.
func refreshTooLate(s Settings, zone *time.Location) string {
	if !s.SecurityHub {
		return ""
	}
	gap, ok, err := LongestGap(s.Schedule, zone)
	if err != nil || !ok || gap < findingExpiry-time.Duration(s.RefreshDays)*day {
		return ""
	}
	of := s.scheduleSetting()
	// The most days r with r days + gap under the expiry.
	most := (findingExpiry - gap - 1) / day
	change := fmt.Sprintf("lower %s to at most %d or run more often", KeyRefreshDays, most)
	if most < 1 {
		change = fmt.Sprintf("run more often (even %s=1 needs runs less than %d days apart)", KeyRefreshDays, maxRefreshDays)
	}
	return fmt.Sprintf("plus the longest gap between runs of %s, %s, reaches Security Hub's %d-day expiry, "+
		"so a still-failing finding can be deleted before its refresh: %s", of, spellDuration(gap), expiryDays, change)
}

// scheduleSetting names the schedule as its settings wrote it, with the
// time zone a cron expression is read in: "schedule=cron(0 6 * * ? *) in
// timeZone=Etc/UTC", "schedule=rate(12 hours)".
func (s Settings) scheduleSetting() string {
	of := KeySchedule + "=" + s.Schedule
	if strings.HasPrefix(s.Schedule, "cron(") {
		of += " in " + KeyTimeZone + "=" + s.TimeZone
	}
	return of
}

// spellDuration writes d in days, hours, minutes and seconds, leaving out
// the units that are zero ("7 days", "13 days 23 hours").
func spellDuration(d time.Duration) string {
	var parts []string
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"day", day}, {"hour", time.Hour}, {"minute", time.Minute}, {"second", time.Second}} {
		switch n := d / u.size; {
		case n == 1:
			parts = append(parts, "1 "+u.name)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", n, u.name))
		}
		d %= u.size
	}
	return strings.Join(parts, " ")
}

// written shows a setting's value as it was written: a list or object from
// cdk.json as JSON (a list of blanks as [""], which %v shows as the [] an
// error may tell the user to write instead), anything else as %v does.
func written(v any) string {
	switch v.(type) {
	case []any, map[string]any:
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // an address as <a@example.com>, not \u003c…
		if enc.Encode(v) == nil {
			return strings.TrimSuffix(b.String(), "\n")
		}
	}
	return fmt.Sprint(v)
}

// emails accepts a list of addresses (see list), each a plain address.
func emails(v any, bad func(v any, msg string)) []string {
	raw, ok := list(v)
	if !ok {
		bad(v, "want a list of email addresses")
		return nil
	}
	var out []string
	for _, e := range raw {
		a, err := mail.ParseAddress(e)
		if err != nil || a.Address != e || a.Name != "" {
			bad(e, "not a plain email address")
			continue
		}
		out = append(out, e)
	}
	return out
}

// list reads a list setting: a JSON list of strings (cdk.json) or one
// comma-separated string (-c key=a,b). Blanks and repeats are dropped;
// ok is false for anything else.
func list(v any) (out []string, ok bool) {
	var raw []string
	switch v := v.(type) {
	case nil:
		return nil, true
	case string:
		raw = strings.Split(v, ",")
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			raw = append(raw, s)
		}
	default:
		return nil, false
	}
	for _, e := range raw {
		if e = strings.TrimSpace(e); e != "" && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, true
}

// names is whether a list setting's value tries to name something: a
// string (-c), or a JSON list with items; not an unset key or [].
func names(v any) bool {
	switch v := v.(type) {
	case string:
		return true
	case []any:
		return len(v) > 0
	}
	return false
}

// ParseConfig splits a configuration location into its kind ("s3" or
// "ssm") and parts: bucket and key, or the parameter name.
func ParseConfig(loc string) (kind, a, b string, err error) {
	switch {
	case strings.HasPrefix(loc, "s3://"):
		bucket, key, _ := strings.Cut(strings.TrimPrefix(loc, "s3://"), "/")
		if err := checkBucket(bucket); err != nil {
			return "", "", "", fmt.Errorf("%w; want s3://<bucket>/<key>", err)
		}
		if err := unreadableBucket(bucket); err != nil {
			return "", "", "", err
		}
		if key == "" {
			return "", "", "", errors.New("no object key; want s3://<bucket>/<key>")
		}
		return "s3", bucket, key, nil
	case strings.HasPrefix(loc, "ssm:"):
		name := strings.TrimPrefix(loc, "ssm:")
		if len(name) > 2048 || !ssmName.MatchString(name) {
			return "", "", "", errors.New("want ssm:<parameter name> such as ssm:/credaudit/config")
		}
		return "ssm", name, "", nil
	}
	return "", "", "", errors.New("want s3://<bucket>/<key> or ssm:<parameter name>")
}

// unreadableBucket refuses a name that stands in for a bucket, which the
// s3:GetObject the stack grants on arn:<partition>:s3:::<bucket>/<key> does
// not cover: a read through an access point is authorised on the access
// point's ARN, and a directory bucket's on s3express:CreateSession. In the
// words of the function's check (handler.UnreadableBucket, which the
// contract test holds it to).
func unreadableBucket(bucket string) error {
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

// reservedBucketPrefixes are the prefixes S3 keeps for itself: no bucket
// has one. The reserved suffixes are left alone: an access point's alias
// (-s3alias), an Object Lambda access point's (--ol-s3) and a directory
// bucket (--x-s3) stand in a request's Bucket as a bucket's name does.
var reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}

// checkBucket says what makes name no general purpose bucket's name under
// S3's naming rules (the S3 User Guide's "General purpose bucket naming
// rules"), or returns nil, in the words of the function's check of
// CREDAUDIT_CONFIG (lambda/internal/awsname.CheckBucket; infra does not
// import lambda, and the settings differential test holds the two to the
// same verdicts).
func checkBucket(name string) error {
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
	if ipv4.MatchString(name) {
		return bad("is formatted as an IP address")
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return bad("begins with %q, which S3 reserves", p)
		}
	}
	return nil
}
