package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/handler"
	"github.com/credaudit/credaudit/lambda/org"
)

// A differential test of the two settings surfaces users configure: the CDK
// app's context settings (LoadSettings here) and the function's CREDAUDIT_*
// environment (handler.LoadSettings), each against a model written from the
// README's "Context settings", "Organisation settings" and Lambda
// "Settings" tables and issues 4–6, over generated combinations of valid,
// boundary and invalid values (fixed PCG seed). A valid combination must
// give the model's values; an invalid one an error naming exactly the
// model's bad keys, each with its bad value. Every context setting infra
// accepts must reach the function as a variable it parses to the same
// meaning, and the README's tables and the code must name the same settings.
//
// Where the README is silent the model takes the code's reading and says so
// (marked "docs silent").

const diffSeed1, diffSeed2 = 20261123, 6

// option is one generated value of a setting: raw is what the context or
// environment holds (absent when unset), ok whether the README takes it,
// val its meaning when ok, named the text an error must show when not.
type option struct {
	raw   any
	unset bool
	ok    bool
	val   any
	named string
}

func good(raw, val any) option         { return option{raw: raw, ok: true, val: val} }
func bad(raw any, named string) option { return option{raw: raw, named: named} }
func unset(val any) option             { return option{unset: true, ok: true, val: val} }

// asJSON shows a context or an environment as cdk.json would hold it, so
// that blanks and JSON types are visible.
func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func pick[T any](r *rand.Rand, l []T) T { return l[r.IntN(len(l))] }

// ---- the context settings model (README "Context settings", "Organisation settings") ----

// numberOptions: a whole number lo–hi (from cdk.json a JSON number, from
// -c a string; blank is the default), at and one past each end.
func numberOptions(r *rand.Rand, def, lo, hi int) []option {
	var out []option
	for _, n := range []int{lo - 1, lo, lo + 1, hi - 1, hi, hi + 1, def, lo + r.IntN(hi-lo+1)} {
		named := strconv.Itoa(n)
		for _, raw := range []any{float64(n), strconv.Itoa(n), " " + strconv.Itoa(n) + " "} {
			if n >= lo && n <= hi {
				out = append(out, good(raw, n))
			} else {
				out = append(out, bad(raw, named))
			}
		}
	}
	return append(out, unset(def), good("", def), good("  ", def),
		bad(1.5, "1.5"), bad(strconv.Itoa(lo)+".0", strconv.Itoa(lo)+".0"), bad("lots", "lots"), bad(true, "true"),
		bad(float64(1<<40), ""), bad("0x10", "0x10"))
}

// enumOptions: one of values as the README writes them. With canon (the
// case the README writes them in: strings.ToUpper or strings.ToLower) the
// code also takes them in any case and means the value in that case (the
// README says so for notify; docs silent for the others), and names a
// wrong value in that case too (docs silent); without, only as written.
func enumOptions(def string, values []string, canon func(string) string, wrong ...string) []option {
	out := []option{unset(def), good("", def), good("   ", def)}
	for _, v := range values {
		out = append(out, good(v, v), good(" "+v+"\t", v))
		for _, c := range []string{strings.ToUpper(v), strings.ToLower(v), strings.ToUpper(v[:1]) + strings.ToLower(v[1:])} {
			if c == v {
				continue
			}
			if canon != nil {
				out = append(out, good(c, v))
			} else {
				out = append(out, bad(c, c))
			}
		}
	}
	for _, w := range wrong {
		if canon != nil {
			out = append(out, bad(w, canon(w)))
			continue
		}
		out = append(out, bad(w, w))
	}
	return append(out, bad(3.0, "3"))
}

func flagOptions(def bool) []option {
	out := []option{unset(def), good("", def), good(true, true), good(false, false)}
	for _, w := range []string{"on", "On", " ON ", "true", "True", "TRUE"} {
		out = append(out, good(w, true))
	}
	for _, w := range []string{"off", "OFF", "false", " False "} {
		out = append(out, good(w, false))
	}
	for _, w := range []string{"yes", "no", "1", "0", "enabled"} {
		out = append(out, bad(w, w))
	}
	return append(out, bad(1.0, "1"))
}

var (
	validRegions   = []string{"eu-west-1", "us-east-1", "ap-southeast-5", "il-central-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1"}
	invalidRegions = []string{"EU-WEST-1", "eu-west", "europe", "eu-west-1a", "us-east-1:x", "e-west-1", "eu_west_1", "eu-west-1 x"}
	validZones     = []string{"Etc/UTC", "UTC", "Europe/Berlin", "America/New_York", "America/Argentina/Buenos_Aires", "America/Port-au-Prince", "Etc/GMT+5", "Etc/GMT-14", "EST5EDT", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "Antarctica/DumontDUrville"}
	invalidZones   = []string{"Local", "localtime", "posixrules", "europe/berlin", "EUROPE/BERLIN", "Europe/Berln", "Europe/Berlin/", "/Europe/Berlin", "posix/Europe/Berlin", "right/UTC", "UTC+1", "Etc/GMT+15", "Mars/Olympus", "Europe/ Berlin"}
	validAccounts  = []string{"111111111111", "222222222222", "000000000000", "123456789012"}
	badAccounts    = []string{"11111111111", "1111111111111", "11111111111a", "o-abcdefghij", "r-ab12", "1111 1111 1111"}
	validOUs       = []string{"r-ab12", "r-0123456789abcdefghijklmnopqrstuv", "ou-ab12-cdef3456", "ou-ab12-0123456789abcdefghijklmnopqrstuv", "ou-0123456789abcdefghijklmnopqrstuv-cdef3456"}
	badOUs         = []string{"r-ab1", "ou-ab12-cdef345", "OU-AB12-CDEF3456", "ou-ab12", "o-abcdefghij", "111111111111", "r-AB12", "ou-ab12-cdef3456-x"}
	validEmails    = []string{"secops@example.com", "iam-owners@example.org", "a.b+tag@sub.example.co.uk"}
	badEmails      = []string{"not-an-address", "Sec Ops <secops@example.com>", "<secops@example.com>", "secops@", "@example.com", "a b@example.com"}
	validBuckets   = []string{"abc", "credaudit-config-bucket", "cfg.example", "a-b.c-d", "0bucket9", strings.Repeat("b", 63),
		"cfg-ab12cd34ef56gh78ij90klmnopqrst-s3alias", "cfg--ol-s3", "cfg--use1-az4--x-s3"} // aliases and directory buckets
	badBuckets = []string{"ab", strings.Repeat("b", 64), "Bucket", "bucket_name", "-bucket", "bucket-", ".bucket", "bucket.", "a..b", "buck et",
		"192.168.5.4", "xn--bucket", "sthree-bucket", "amzn-s3-demo-bucket"}
)

// listOptions: a list of IDs (README: a JSON list in cdk.json, or
// comma-separated with -c), with repeats and blank items; a list given as a
// string that names nothing is refused, as is (docs: "leave the key out, or
// write [] in cdk.json") a JSON list that names nothing.
func listOptions(r *rand.Rand, valid, invalid []string) []option {
	var out []option
	for range 12 {
		var items, want []string
		var named string
		for range 1 + r.IntN(4) {
			switch r.IntN(6) {
			case 0:
				items = append(items, pick(r, []string{"", " ", "  "}))
			case 1:
				if named == "" {
					named = pick(r, invalid)
					items = append(items, named)
					continue
				}
				fallthrough
			default:
				id := pick(r, valid)
				if len(want) > 0 && r.IntN(3) == 0 {
					id = want[0] // a repeat
				}
				items = append(items, pick(r, []string{id, " " + id, id + " "}))
				if !slices.Contains(want, id) {
					want = append(want, id)
				}
			}
		}
		jsonList := make([]any, len(items))
		for i, s := range items {
			jsonList[i] = s
		}
		asString := strings.Join(items, pick(r, []string{",", ", ", " ,"}))
		switch {
		case named != "":
			out = append(out, bad(jsonList, named), bad(asString, named))
		case len(want) == 0:
			// Shown as written: [""], not the [] the error says to write.
			out = append(out, bad(jsonList, "="+asJSON(jsonList)+":"), bad(asString, strings.TrimSpace(asString)))
		default:
			out = append(out, good(jsonList, want), good(asString, want))
		}
	}
	return append(out, unset([]string(nil)), good([]any{}, []string(nil)),
		bad("", ""), bad(",", ","), bad(" , ", ""), bad([]any{valid[0], 7.0}, asJSON([]any{valid[0], 7.0})), bad(3.0, "3"), bad(true, "true"))
}

// cronOption generates a Scheduler cron expression from the EventBridge
// Scheduler guide's table (fields, ranges, wildcards per field; exactly one
// of the day fields ?), valid or with one documented fault.
func cronOption(r *rand.Rand) option {
	type field struct {
		min, max int
		names    []string
		step     bool // "/" allowed
	}
	fields := []field{
		{0, 59, nil, true}, {0, 23, nil, true}, {1, 31, nil, true},
		{1, 12, []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}, true},
		{1, 7, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, false},
		{1970, 2199, nil, true},
	}
	value := func(f field, n int) string {
		if f.names != nil && r.IntN(2) == 0 {
			return f.names[n-f.min]
		}
		return strconv.Itoa(n)
	}
	between := func(f field) int { return f.min + r.IntN(f.max-f.min+1) }
	validField := func(i int) string {
		f := fields[i]
		ends := []int{f.min, f.max, between(f)}
		switch r.IntN(7) {
		case 0:
			return "*"
		case 1:
			return value(f, pick(r, ends))
		case 2:
			a, b := pick(r, ends), pick(r, ends)
			return value(f, min(a, b)) + "-" + value(f, max(a, b))
		case 3:
			var l []string
			for range 2 + r.IntN(3) {
				l = append(l, value(f, pick(r, ends)))
			}
			return strings.Join(l, ",")
		case 4:
			if f.step {
				base := pick(r, []string{"*", strconv.Itoa(f.min), strconv.Itoa(f.min) + "-" + strconv.Itoa(f.max)})
				return base + "/" + strconv.Itoa(1+r.IntN(f.max-f.min))
			}
		case 5:
			if i == 2 {
				return pick(r, []string{"L", "LW", strconv.Itoa(1+r.IntN(31)) + "W", "1W", "31W"})
			}
			if i == 4 {
				return pick(r, []string{"L", strconv.Itoa(between(f)) + "L", strconv.Itoa(between(f)) + "#" + strconv.Itoa(1+r.IntN(5)), "7#5", "1#1"})
			}
		}
		return value(f, between(f))
	}
	out := make([]string, 6)
	for i := range out {
		out[i] = validField(i)
	}
	out[pick(r, []int{2, 4})] = "?"
	expr := func() string { return "cron(" + strings.Join(out, " ") + ")" }
	if r.IntN(3) > 0 {
		return good(expr(), expr())
	}
	// One fault the guide's table rules out.
	i := r.IntN(6)
	f := fields[i]
	switch r.IntN(9) {
	case 0:
		out[i] = strconv.Itoa(f.min - 1)
	case 1:
		out[i] = strconv.Itoa(f.max + 1)
	case 2:
		out[i] = strconv.Itoa(f.min) + "-" + strconv.Itoa(f.max+1)
	case 3: // ? in both day fields or neither
		if out[2] == "?" {
			out[4] = pick(r, []string{"?", "*", "MON"})
		} else {
			out[2] = pick(r, []string{"?", "*", "1"})
		}
	case 4: // ? outside the day fields
		out[pick(r, []int{0, 1, 3, 5})] = "?"
	case 5: // a wildcard the field does not take
		j := pick(r, []int{0, 1, 3, 5, 4, 2})
		switch j {
		case 4:
			out[4] = pick(r, []string{"*/2", "1/2", "1W", "8L", "0L", "2#6", "2#0", "#2"})
		case 2:
			out[2] = pick(r, []string{"0W", "32W", "1#2", "32L"})
		default:
			out[j] = pick(r, []string{"L", "1W", "1#2"})
		}
	case 6:
		if f.step {
			out[i] = "*/0"
		} else {
			out[i] = "*/1"
		}
	case 7: // a field too few or too many
		if r.IntN(2) == 0 {
			out = out[:5]
		} else {
			out = append(out, "*")
		}
	case 8:
		out[i] = pick(r, []string{"x", "", "1,,2", "1-", "-1", "1--2", "**"})
	}
	// The fault may have undone the day rule or made the day fields ?:
	// both are faults as well, so the expression stays invalid.
	return bad(expr(), expr())
}

// rateOption generates rate(value unit): a positive whole number, unit
// minute(s)/hour(s)/day(s), singular for 1 and plural above.
func rateOption(r *rand.Rand) option {
	n := pick(r, []int{1, 1, 2, 5, 12, 59, 60, 1000, 0, -1})
	unit := pick(r, []string{"minute", "hour", "day"})
	plural := r.IntN(2) == 0
	if r.IntN(8) == 0 {
		unit = pick(r, []string{"week", "second", "month", "Day"})
	}
	if plural {
		unit += "s"
	}
	expr := fmt.Sprintf("rate(%d %s)", n, unit)
	singular := !strings.HasSuffix(unit, "s")
	ok := n >= 1 && slices.Contains([]string{"minute", "hour", "day", "minutes", "hours", "days"}, unit) && singular == (n == 1)
	if ok {
		return good(expr, expr)
	}
	return bad(expr, expr)
}

func scheduleOptions(r *rand.Rand) []option {
	out := []option{unset(DefaultSchedule), good("", DefaultSchedule), good(" rate(1 day) ", "rate(1 day)"), good("cron(0 6 * * ? *)", "cron(0 6 * * ? *)"),
		bad("cron(0 6 * * *)", "cron(0 6 * * *)"), bad("at(2026-01-01T00:00:00)", "at(2026-01-01T00:00:00)"), bad("0 6 * * ? *", "0 6 * * ? *"),
		bad("rate(1day)", "rate(1day)"), bad("rate()", "rate()"), bad("cron()", "cron()"), bad(5.0, "5")}
	for range 40 {
		out = append(out, cronOption(r))
	}
	for range 10 {
		out = append(out, rateOption(r))
	}
	return out
}

func configOptions(wrap func(string) option) []option {
	var out []option
	for _, b := range validBuckets {
		if strings.HasSuffix(b, "-s3alias") || strings.HasSuffix(b, "--ol-s3") || strings.HasSuffix(b, "--x-s3") {
			// A valid name, of no bucket the stack's grant covers.
			out = append(out, wrap("s3://"+b+"/credaudit.yaml"))
			continue
		}
		out = append(out, good("s3://"+b+"/credaudit.yaml", "s3://"+b+"/credaudit.yaml"), good("s3://"+b+"/dir/sub/c.yaml", "s3://"+b+"/dir/sub/c.yaml"))
	}
	for _, b := range badBuckets {
		out = append(out, wrap("s3://"+b+"/credaudit.yaml"))
	}
	for _, p := range []string{"/credaudit/config", "credaudit-config", "/a_b.c-d/E9", "/" + strings.Repeat("p", 200)} {
		out = append(out, good("ssm:"+p, "ssm:"+p))
	}
	for _, v := range []string{"s3://bucket", "s3://bucket/", "s3:/bucket/k", "S3://bucket/k", "https://example.com/c.yaml", "ssm:", "ssm:/",
		"ssm://double", "ssm:/a//b", "ssm:/a b", "ssm:/a/", "SSM:/x", "/credaudit/config", "bucket/key"} {
		out = append(out, wrap(v))
	}
	return out
}

func stringOptions(def string, valid, invalid []string) []option {
	out := []option{unset(def), good("", def), good("  ", def)}
	for _, v := range valid {
		out = append(out, good(v, v), good(" "+v+" ", v))
	}
	for _, v := range invalid {
		out = append(out, bad(v, v))
	}
	return append(out, bad(7.0, "7"))
}

// contextOptions are every context key's generated values.
func contextOptions(r *rand.Rand) map[string][]option {
	role64 := strings.Repeat("Ab9+=,.@_-", 7)[:64]
	return map[string][]option{
		KeyStackName: stringOptions(DefaultStackName, []string{"credaudit", "A", "a-1-B", "x" + strings.Repeat("y", 75), "x" + strings.Repeat("y", 127)},
			[]string{"9lives", "-x", "has_underscore", "with space", "x" + strings.Repeat("y", 128), "stäck"}),
		KeySchedule:          scheduleOptions(r),
		KeyTimeZone:          stringOptions(DefaultTimeZone, validZones, invalidZones),
		KeyEmails:            emailOptions(r),
		KeyProfile:           enumOptions("", Profiles, nil, "cis-1.3", "cis-9.9", "recommended,all", "none"),
		KeyConfig:            append(configOptions(func(v string) option { return bad(v, v) }), unset(""), good("", ""), good(" ssm:/x ", "ssm:/x")),
		KeyNotify:            enumOptions(DefaultNotify, []string{"changes", "always", "never"}, strings.ToLower, "sometimes", "Change", "ON"),
		KeySecurityHub:       flagOptions(true),
		KeySecurityHubRegion: stringOptions("", validRegions, invalidRegions),
		KeyRefreshDays:       numberOptions(r, DefaultRefreshDays, 1, 89),
		KeyLogRetention:      retentionOptions(),
		KeyLogLevel:          enumOptions(DefaultLogLevel, []string{"DEBUG", "INFO", "WARN", "ERROR"}, strings.ToUpper, "TRACE", "WARNING", "FATAL", "verbose"),
		KeyMemory:            numberOptions(r, DefaultMemoryMiB, 128, 10240),
		KeyTimeout:           numberOptions(r, int(DefaultTimeout/time.Second), 60, 900),
		KeyAsset:             stringOptions(DefaultAsset, []string{"bin/lambda", "/tmp/build out"}, nil),

		KeyOrg:   flagOptions(false),
		KeyOrgID: stringOptions("", []string{"o-abcdefghij", "o-a1b2c3d4e5f6", "o-" + strings.Repeat("z", 32)}, []string{"o-abcdefghi", "o-" + strings.Repeat("z", 33), "O-ABCDEFGHIJ", "o-ABCDEFGHIJ", "o_abcdefghij", "r-ab12"}),
		KeyMemberRole: stringOptions(DefaultMemberRole, []string{"credaudit-member", "A", "OrgAudit@Member", role64},
			[]string{role64 + "x", "role/with/slashes", "role name", "rôle", "role:x"}),
		KeyStackSetTargets:      listOptions(r, validOUs, badOUs),
		KeyStackSetCallAs:       enumOptions(DefaultCallAs, []string{"SELF", "DELEGATED_ADMIN"}, strings.ToUpper, "ORG", "delegated-admin", "SERVICE_MANAGED"),
		KeyOrgIncludeAccounts:   listOptions(r, validAccounts, badAccounts),
		KeyOrgExcludeAccounts:   listOptions(r, validAccounts, badAccounts),
		KeyOrgIncludeOUs:        listOptions(r, validOUs, badOUs),
		KeyOrgExcludeOUs:        listOptions(r, validOUs, badOUs),
		KeyMaxConcurrency:       numberOptions(r, DefaultMaxConcurrency, 1, 1000),
		KeyToleratedFailurePerc: numberOptions(r, DefaultToleratedFailure, 0, 100),
	}
}

func retentionOptions() []option {
	documented := []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
	out := []option{unset(DefaultLogRetention), good("", DefaultLogRetention)}
	for _, n := range documented {
		out = append(out, good(float64(n), n), good(strconv.Itoa(n), n))
	}
	for _, n := range []int{0, -1, 2, 4, 366, 364, 3654, 10000} {
		out = append(out, bad(float64(n), strconv.Itoa(n)), bad(strconv.Itoa(n), strconv.Itoa(n)))
	}
	return append(out, bad("never", "never"), bad(30.5, "30.5"))
}

func emailOptions(r *rand.Rand) []option {
	out := listOptions(r, validEmails, badEmails)
	// An email list naming nothing is no subscription, not a filter: the
	// README's refusal is for the account and OU filters only.
	for i, o := range out {
		if !o.ok && namesNothing(o.raw) {
			out[i] = good(o.raw, []string(nil))
		}
	}
	return out
}

// namesNothing is whether raw is a string or a JSON list of strings with
// only blank items.
// hasEmptyItem is whether the comma list s has an empty item among others.
func hasEmptyItem(s string) bool {
	return !namesNothing(s) && slices.ContainsFunc(strings.Split(s, ","), func(item string) bool { return strings.TrimSpace(item) == "" })
}

func namesNothing(raw any) bool {
	switch raw := raw.(type) {
	case string:
		return strings.Trim(raw, ", ") == ""
	case []any:
		for _, v := range raw {
			if s, ok := v.(string); !ok || strings.TrimSpace(s) != "" {
				return false
			}
		}
		return true
	}
	return false
}

// defaultOf is the option that leaves the setting at its default: unset
// in a context, empty in an environment.
func defaultOf(opts []option) option {
	for _, o := range opts {
		if o.ok && (o.unset || o.raw == "") {
			return o
		}
	}
	panic("no default option")
}

// ctxModel is the README's verdict on a context: the settings, or the bad
// keys and the text each error must show.
func ctxModel(chosen map[string]option) (Settings, map[string][]string) {
	// The organisation settings are "Read only with org=true": otherwise
	// they are as if unset, whatever they hold.
	if o := chosen[KeyOrg]; !o.ok || o.val != true {
		chosen = maps.Clone(chosen)
		for k, def := range map[string]any{
			KeyOrgID: "", KeyStackSetTargets: []string(nil), KeyMemberRole: DefaultMemberRole, KeyStackSetCallAs: DefaultCallAs,
			KeyOrgIncludeAccounts: []string(nil), KeyOrgExcludeAccounts: []string(nil), KeyOrgIncludeOUs: []string(nil),
			KeyOrgExcludeOUs: []string(nil), KeyMaxConcurrency: DefaultMaxConcurrency, KeyToleratedFailurePerc: DefaultToleratedFailure,
		} {
			chosen[k] = unset(def)
		}
	}
	badKeys := map[string][]string{}
	val := func(key string) any {
		o := chosen[key]
		if !o.ok {
			badKeys[key] = append(badKeys[key], o.named)
			return nil
		}
		return o.val
	}
	str := func(key string) string { v, _ := val(key).(string); return v }
	num := func(key string) int { v, _ := val(key).(int); return v }
	flag := func(key string) bool { v, _ := val(key).(bool); return v }
	list := func(key string) []string { v, _ := val(key).([]string); return v }
	s := Settings{
		StackName: str(KeyStackName), Schedule: str(KeySchedule), TimeZone: str(KeyTimeZone), Emails: list(KeyEmails),
		Profile: str(KeyProfile), Config: str(KeyConfig), Notify: str(KeyNotify), SecurityHub: flag(KeySecurityHub),
		HubRegion: str(KeySecurityHubRegion), RefreshDays: num(KeyRefreshDays), LogRetentionDays: num(KeyLogRetention),
		LogLevel: str(KeyLogLevel), MemoryMiB: num(KeyMemory), Timeout: time.Duration(num(KeyTimeout)) * time.Second, Asset: str(KeyAsset),
		Org: flag(KeyOrg), OrgID: str(KeyOrgID), MemberRole: str(KeyMemberRole), StackSetTargets: list(KeyStackSetTargets),
		StackSetCallAs: str(KeyStackSetCallAs), IncludeAccounts: list(KeyOrgIncludeAccounts), ExcludeAccounts: list(KeyOrgExcludeAccounts),
		IncludeOUs: list(KeyOrgIncludeOUs), ExcludeOUs: list(KeyOrgExcludeOUs), MaxConcurrency: num(KeyMaxConcurrency),
		ToleratedFailurePercent: num(KeyToleratedFailurePerc),
	}
	// "Without orgIncludeAccounts and orgIncludeOus, a run audits the
	// accounts that have the member role. If stackSetTargets are all OUs,
	// orgIncludeOus defaults to them and, with stackSetCallAs=SELF,
	// orgIncludeAccounts to the stack's own account"; with a root among
	// them "there is no filter".
	if s.Org && len(s.IncludeAccounts) == 0 && len(s.IncludeOUs) == 0 &&
		!slices.ContainsFunc(s.StackSetTargets, func(id string) bool { return strings.HasPrefix(id, "r-") }) {
		s.IncludeOUs = s.StackSetTargets
		s.IncludeOwnAccount = s.StackSetCallAs == "SELF"
	}
	if chosen[KeyOrg].ok && s.Org {
		if chosen[KeyOrgID].ok && s.OrgID == "" {
			badKeys[KeyOrgID] = append(badKeys[KeyOrgID], "")
		}
		if chosen[KeyStackSetTargets].ok && len(s.StackSetTargets) == 0 {
			badKeys[KeyStackSetTargets] = append(badKeys[KeyStackSetTargets], "")
		}
		if chosen[KeyStackName].ok && len(s.StackName) > 76 {
			badKeys[KeyStackName] = append(badKeys[KeyStackName], s.StackName)
		}
	}
	// "this plus the longest gap between runs must stay under 90 days:
	// synth refuses" it, "with securityHub on"; judged only when
	// refreshDays, the schedule, the zone and securityHub are all good
	// (docs silent). The README gives no gaps; the model takes
	// LongestGap's, which TestLongestGap holds to gaps worked out by hand.
	if chosen[KeyRefreshDays].ok && chosen[KeySchedule].ok && chosen[KeyTimeZone].ok && chosen[KeySecurityHub].ok && s.SecurityHub {
		zone, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			panic(err)
		}
		if gap, ok, _ := LongestGap(s.Schedule, zone); ok && time.Duration(s.RefreshDays)*24*time.Hour+gap >= 90*24*time.Hour {
			badKeys[KeyRefreshDays] = append(badKeys[KeyRefreshDays], strconv.Itoa(s.RefreshDays))
		}
	}
	return s, badKeys
}

var contextErrLine = regexp.MustCompile(`^context ([A-Za-z]+)=`)

// checkNamed compares an error's lines, each "<prefix><key>=<value>: …",
// with the model's bad keys and values.
func checkNamed(t *testing.T, what string, err error, line *regexp.Regexp, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	lines := strings.Split(err.Error(), "\n")
	if lines[0] != "invalid settings:" {
		t.Errorf("%s: error does not start with the heading: %q", what, lines[0])
	}
	for _, l := range lines[1:] {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("%s: error line names no setting: %q", what, l)
			continue
		}
		got[m[1]] = append(got[m[1]], l)
	}
	for key, named := range want {
		if len(got[key]) == 0 {
			t.Errorf("%s: %s is bad (%q), the error does not name it:\n%v", what, key, named, err)
			continue
		}
		for _, n := range named {
			if !slices.ContainsFunc(got[key], func(l string) bool { return strings.Contains(l, n) }) {
				t.Errorf("%s: the error names %s but not its bad value %q:\n%v", what, key, n, err)
			}
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: the error names %s, which the README takes:\n%v", what, key, err)
		}
	}
}

// ---- the function's environment model (README "The scheduled run", Settings) ----

type envMeaning struct {
	StateBucket, TopicARN string
	SecurityHub           bool
	HubRegion, Profile    string
	Config                string
	Notify                string
	RefreshDays           int
	MemberRole            string
	IncludeAccounts       []string
	ExcludeAccounts       []string
	IncludeOUs            []string
	ExcludeOUs            []string
}

func meaningOf(s handler.Settings) envMeaning {
	return envMeaning{
		StateBucket: s.StateBucket, TopicARN: s.TopicARN, SecurityHub: s.SecurityHub, HubRegion: s.HubRegion, Profile: s.Profile,
		Config: s.Config.String(), Notify: s.Notify.String(), RefreshDays: int(s.RefreshAfter / (24 * time.Hour)), MemberRole: s.MemberRole,
		IncludeAccounts: set(s.Accounts.IncludeAccounts), ExcludeAccounts: set(s.Accounts.ExcludeAccounts),
		IncludeOUs: set(s.Accounts.IncludeOUs), ExcludeOUs: set(s.Accounts.ExcludeOUs),
	}
}

// set sorts and de-duplicates l (nil for none): the README says nothing of
// a list's order or repeats.
func set(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return slices.Compact(slices.Sorted(slices.Values(l)))
}

// envOptions are each variable's generated values; a string option's
// named text is the value as the error quotes it.
func envOptions(r *rand.Rand) map[string][]option {
	q := strconv.Quote
	envBad := func(v string) option { return bad(v, q(strings.TrimSpace(v))) }
	envStr := func(def string, valid, invalid []string) []option {
		out := []option{good("", def), good(" ", def)}
		for _, v := range valid {
			out = append(out, good(v, v), good(" "+v+"\n", v))
		}
		for _, v := range invalid {
			out = append(out, envBad(v))
		}
		return out
	}
	envEnum := func(def string, values []string, wrong ...string) []option {
		out := []option{good("", def)}
		for _, v := range values {
			// docs silent on case: the function takes any case.
			for _, c := range []string{v, strings.ToUpper(v), " " + strings.ToUpper(v[:1]) + v[1:] + " "} {
				out = append(out, good(c, v))
			}
		}
		for _, w := range wrong {
			out = append(out, envBad(w))
		}
		return out
	}
	envList := func(valid, invalid []string) []option {
		var out []option
		for _, o := range listOptions(r, valid, invalid) {
			s, isString := o.raw.(string)
			if !isString {
				continue
			}
			switch {
			case o.ok && hasEmptyItem(s):
				// The CDK app drops an empty item from a -c list; the
				// function refuses one in its variable (README).
				out = append(out, envBad(s))
			case o.ok:
				out = append(out, o)
			case strings.TrimSpace(s) == "":
				out = append(out, good(s, []string(nil))) // empty is no filter
			case namesNothing(s):
				out = append(out, envBad(s))
			default:
				out = append(out, bad(s, o.named))
			}
		}
		return out
	}
	days := []option{good("", 30), good(" 7 ", 7), good("  ", 30)}
	for _, n := range []int{0, 1, 2, 30, 88, 89, 90, -1, 365} {
		if n >= 1 && n <= 89 {
			days = append(days, good(strconv.Itoa(n), n))
		} else {
			days = append(days, envBad(strconv.Itoa(n)))
		}
	}
	days = append(days, envBad("30d"), envBad("1.0"), envBad("thirty"), envBad("0x1e"))
	var buckets, badBucketVals []string
	for _, b := range validBuckets {
		buckets = append(buckets, b)
	}
	badBucketVals = append(append(badBucketVals, badBuckets...), "")
	topics := []string{"arn:aws:sns:eu-west-1:123456789012:credaudit", "arn:aws:sns:us-east-1:123456789012:" + strings.Repeat("t", 256),
		"arn:aws:sns:eu-west-1:123456789012:t.fifo", "arn:aws:sns:eu-west-1:123456789012:a_b-C9"}
	badTopics := []string{"", "arn:aws:sqs:eu-west-1:123456789012:q", "arn:aws:sns:eu-west-1:12345678901:t", "arn:aws:sns:eu-west-1:123456789012:with space",
		"arn:aws:sns:eu-west-1:123456789012:", "arn:aws:sns:eu-west-1:123456789012:" + strings.Repeat("t", 257),
		"arn:aws:sns:eu-west-1:123456789012:credaudit:0a1b2c3d-sub", "credaudit", "arn:aws:sns:eu-west-1:123456789012:t.FIFO.x"}
	role64 := strings.Repeat("Ab9+=,.@_-", 7)[:64]
	stateBucket := envStr("", buckets, badBucketVals)
	topic := envStr("", topics, badTopics)
	// Required: blank is bad, not the default.
	for _, l := range []*[]option{&stateBucket, &topic} {
		for i, o := range *l {
			if o.ok && o.val == "" {
				(*l)[i] = envBad(o.raw.(string))
			}
		}
	}
	return map[string][]option{
		handler.EnvStateBucket:     stateBucket,
		handler.EnvTopicARN:        topic,
		handler.EnvSecurityHub:     envEnum("on", []string{"on", "off"}, "true", "false", "yes", "0", "enabled"),
		handler.EnvHubRegion:       envStr("", validRegions, invalidRegions), // "" is the function's region; partition checked in envModel
		handler.EnvProfile:         envStr("", Profiles, []string{"Recommended", "CIS-5.0", "cis-1.3", "none"}),
		handler.EnvConfig:          append(configOptions(envBad), good("", "")),
		handler.EnvNotify:          envEnum("changes", []string{"changes", "always", "never"}, "sometimes", "change", "on"),
		handler.EnvRefreshDays:     days,
		handler.EnvMemberRole:      envStr(org.DefaultMemberRole, []string{"credaudit-member", "A", "OrgAudit@Member", role64}, []string{role64 + "x", "role/with/slashes", "role name", "rôle"}),
		handler.EnvIncludeAccounts: envList(validAccounts, badAccounts),
		handler.EnvExcludeAccounts: envList(validAccounts, badAccounts),
		handler.EnvIncludeOUs:      envList(validOUs, badOUs),
		handler.EnvExcludeOUs:      envList(validOUs, badOUs),
	}
}

// envModel is the README's verdict on an environment.
func envModel(region string, chosen map[string]option) (envMeaning, map[string][]string) {
	badVars := map[string][]string{}
	val := func(name string) any {
		o := chosen[name]
		if !o.ok {
			badVars[name] = append(badVars[name], o.named)
			return nil
		}
		return o.val
	}
	str := func(name string) string { v, _ := val(name).(string); return v }
	list := func(name string) []string { v, _ := val(name).([]string); return set(v) }
	regionOK := slices.Contains(validRegions, region)
	if !regionOK {
		badVars[handler.EnvRegion] = []string{strconv.Quote(region)}
	}
	m := envMeaning{
		StateBucket: str(handler.EnvStateBucket), TopicARN: str(handler.EnvTopicARN), SecurityHub: val(handler.EnvSecurityHub) == "on",
		HubRegion: str(handler.EnvHubRegion), Profile: str(handler.EnvProfile), Config: str(handler.EnvConfig), Notify: str(handler.EnvNotify),
		MemberRole: str(handler.EnvMemberRole), IncludeAccounts: list(handler.EnvIncludeAccounts), ExcludeAccounts: list(handler.EnvExcludeAccounts),
		IncludeOUs: list(handler.EnvIncludeOUs), ExcludeOUs: list(handler.EnvExcludeOUs),
	}
	m.RefreshDays, _ = val(handler.EnvRefreshDays).(int)
	if m.HubRegion == "" {
		m.HubRegion = region // the function's region
	} else if regionOK && partition(m.HubRegion) != partition(region) {
		// "it must be in the function's partition"
		badVars[handler.EnvHubRegion] = append(badVars[handler.EnvHubRegion], strconv.Quote(m.HubRegion))
	}
	return m, badVars
}

var envErrLine = regexp.MustCompile(`^([A-Z_]+)=`)

// ---- the differential tests ----

// pickWithin picks one of opts, a valid one once faults (the invalid
// options still allowed) is spent.
func pickWithin(r *rand.Rand, opts []option, faults *int) option {
	o := pick(r, opts)
	for !o.ok && *faults == 0 {
		o = pick(r, opts)
	}
	if !o.ok {
		*faults--
	}
	return o
}

// checkMix fails when fewer than a fifth or more than four fifths of the
// runs were valid: the generator would then test one side only.
func checkMix(t *testing.T, what string, accepted, runs int) {
	t.Helper()
	t.Logf("%d of %d %s valid", accepted, runs, what)
	if accepted < runs/5 || accepted > runs*4/5 {
		t.Errorf("%d of %d %s valid: the generator's mix is off", accepted, runs, what)
	}
}

// listsAsSets makes s's lists sets, as their order and repeats mean
// nothing.
func listsAsSets(s *Settings) {
	for _, p := range []*[]string{&s.Emails, &s.StackSetTargets, &s.IncludeAccounts, &s.ExcludeAccounts, &s.IncludeOUs, &s.ExcludeOUs} {
		*p = set(*p)
	}
}

func TestContextSettingsAgainstTheReadme(t *testing.T) {
	r := rand.New(rand.NewPCG(diffSeed1, diffSeed2))
	opts := contextOptions(r)
	keys := slices.Sorted(maps.Keys(opts))
	const runs = 3000
	accepted := 0
	for i := range runs {
		chosen := map[string]option{}
		ctx := map[string]any{}
		// Mostly one setting away from the defaults or a valid
		// organisation, so that each fault is seen alone as well as with
		// others.
		faults := pick(r, []int{0, 0, 1, 1, 1, 2, 5})
		orgValid := r.IntN(2) == 0
		for _, k := range keys {
			o := unset(nil)
			switch {
			case r.IntN(3) == 0:
				o = pickWithin(r, opts[k], &faults)
			case orgValid && k == KeyOrg:
				o = good(true, true)
			case orgValid && k == KeyOrgID:
				o = good("o-abcdefghij", "o-abcdefghij")
			case orgValid && k == KeyStackSetTargets:
				o = good("r-ab12", []string{"r-ab12"})
			default:
				o = defaultOf(opts[k])
			}
			chosen[k] = o
			if !o.unset {
				ctx[k] = o.raw
			}
		}
		want, badKeys := ctxModel(chosen)
		what := fmt.Sprintf("context #%d %s", i, asJSON(ctx))
		got, err := LoadSettings(lookupIn(ctx))
		if len(badKeys) == 0 {
			if err != nil {
				t.Errorf("%s: refused, the README takes it: %v", what, err)
				continue
			}
			accepted++
			listsAsSets(&got)
			listsAsSets(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-README +code):\n%s", what, diff)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted, the README refuses %v", what, badKeys)
			continue
		}
		checkNamed(t, what, err, contextErrLine, badKeys)
	}
	checkMix(t, "contexts", accepted, runs)
}

func TestFunctionEnvironmentAgainstTheReadme(t *testing.T) {
	r := rand.New(rand.NewPCG(diffSeed1, diffSeed2+1))
	opts := envOptions(r)
	names := slices.Sorted(maps.Keys(opts))
	const runs = 3000
	accepted := 0
	for i := range runs {
		region := pick(r, validRegions)
		if r.IntN(40) == 0 {
			region = pick(r, append(invalidRegions, ""))
		}
		chosen := map[string]option{}
		env := map[string]string{handler.EnvRegion: region}
		faults := pick(r, []int{0, 0, 1, 1, 2, 4})
		for _, n := range names {
			var o option
			switch {
			case r.IntN(3) == 0:
				o = pickWithin(r, opts[n], &faults)
			case n == handler.EnvStateBucket:
				o = good("credaudit-state-123456789012", "credaudit-state-123456789012")
			case n == handler.EnvTopicARN:
				o = good("arn:aws:sns:eu-west-1:123456789012:credaudit", "arn:aws:sns:eu-west-1:123456789012:credaudit")
			default:
				o = defaultOf(opts[n])
			}
			chosen[n] = o
			env[n] = o.raw.(string)
		}
		want, badVars := envModel(region, chosen)
		what := fmt.Sprintf("environment #%d %s", i, asJSON(env))
		got, err := handler.LoadSettings(func(k string) string { return env[k] })
		if len(badVars) == 0 {
			if err != nil {
				t.Errorf("%s: refused, the README takes it: %v", what, err)
				continue
			}
			accepted++
			if diff := cmp.Diff(want, meaningOf(got)); diff != "" {
				t.Errorf("%s (-README +code):\n%s", what, diff)
			}
			if got.Region != region {
				t.Errorf("%s: region %q", what, got.Region)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted, the README refuses %v", what, badVars)
			continue
		}
		checkNamed(t, what, err, envErrLine, badVars)
	}
	checkMix(t, "environments", accepted, runs)
}

// functionEnvModel is what the README says each function gets from the
// settings: "<setting>: CREDAUDIT_…" in the context tables, and "both
// functions get the same CREDAUDIT_* environment as the single-account
// function"; the orchestrator the account filter too. stackRegion and
// stackAccount stand for the stack's region and account.
func functionEnvModel(s Settings, stackRegion, stackAccount string, orchestrator bool) map[string]string {
	env := map[string]string{
		"CREDAUDIT_SECURITY_HUB":        map[bool]string{true: "on", false: "off"}[s.SecurityHub],
		"CREDAUDIT_SECURITY_HUB_REGION": s.HubRegion,
		"CREDAUDIT_PROFILE":             s.Profile,
		"CREDAUDIT_CONFIG":              s.Config,
		"CREDAUDIT_NOTIFY":              s.Notify,
		"CREDAUDIT_REFRESH_DAYS":        strconv.Itoa(s.RefreshDays),
	}
	if s.HubRegion == "" {
		env["CREDAUDIT_SECURITY_HUB_REGION"] = stackRegion
	}
	if s.Org {
		env["CREDAUDIT_MEMBER_ROLE"] = s.MemberRole
	}
	if s.Org && orchestrator {
		env["CREDAUDIT_ORG_INCLUDE_ACCOUNTS"] = strings.Join(includedAccounts(s, stackAccount), ",")
		env["CREDAUDIT_ORG_EXCLUDE_ACCOUNTS"] = strings.Join(s.ExcludeAccounts, ",")
		env["CREDAUDIT_ORG_INCLUDE_OUS"] = strings.Join(s.IncludeOUs, ",")
		env["CREDAUDIT_ORG_EXCLUDE_OUS"] = strings.Join(s.ExcludeOUs, ",")
	}
	return env
}

// includedAccounts are the accounts the orchestrator's filter includes by
// ID: the settings', and "the stack's own account" when orgIncludeAccounts
// defaults to it (stackAccount stands for it).
func includedAccounts(s Settings, stackAccount string) []string {
	if s.IncludeOwnAccount {
		return append(slices.Clone(s.IncludeAccounts), stackAccount)
	}
	return s.IncludeAccounts
}

// The environment model is what the stacks write: checked on the
// synthesized variants (no synth of its own).
func TestFunctionEnvironmentModelIsTheStacks(t *testing.T) {
	for _, variant := range []string{"default", "custom", "hub-off", "org", "org-ous", "org-custom"} {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			settings := s.base().Settings
			fns := map[string]map[string]any{}
			if s.st != nil {
				fns["function"] = s.only(t, "AWS::Lambda::Function")
			} else {
				all := s.resources("AWS::Lambda::Function")
				fns["auditor"] = all[s.org.logicalID(s.org.Auditor.Function)]["Properties"].(map[string]any)
				fns["orchestrator"] = all[s.org.logicalID(s.org.Orchestrator.Function)]["Properties"].(map[string]any)
			}
			for name, fn := range fns {
				got := map[string]any{}
				for k, v := range fn["Environment"].(map[string]any)["Variables"].(map[string]any) {
					if k == handler.EnvStateBucket || k == handler.EnvTopicARN {
						continue // the stack's own bucket and topic, checked in stack_test and org_test
					}
					got[k] = v
				}
				want := map[string]any{}
				for k, v := range functionEnvModel(settings, "\x00region", "\x00account", name == "orchestrator") {
					want[k] = v
					switch v {
					case "\x00region":
						want[k] = map[string]any{"Ref": "AWS::Region"}
					case "\x00account":
						want[k] = map[string]any{"Ref": "AWS::AccountId"}
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s environment (-model +stack):\n%s", name, diff)
				}
			}
		})
	}
}

// Every context setting infra accepts reaches the function as a value the
// function parses to the same meaning, in any region of the home region's
// partition.
func TestContextSettingsMeanTheSameInTheFunction(t *testing.T) {
	r := rand.New(rand.NewPCG(diffSeed1, diffSeed2+2))
	opts := contextOptions(r)
	topics := map[string]string{}
	for _, region := range validRegions {
		topics[region] = fmt.Sprintf("arn:%s:sns:%s:123456789012:credaudit", partition(region), region)
	}
	const stackAccount = "444455556666"
	checked, defaulted := 0, 0
	for i := 0; checked < 1500 && i < 20000; i++ {
		ctx := map[string]any{KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "r-ab12"}
		for _, k := range []string{KeyProfile, KeyConfig, KeyNotify, KeySecurityHub, KeySecurityHubRegion, KeyRefreshDays, KeyMemberRole,
			KeyStackSetTargets, KeyStackSetCallAs, KeyOrgIncludeAccounts, KeyOrgExcludeAccounts, KeyOrgIncludeOUs, KeyOrgExcludeOUs} {
			if o := pick(r, opts[k]); o.ok && !o.unset {
				ctx[k] = o.raw
			}
		}
		s, err := LoadSettings(lookupIn(ctx))
		if err != nil {
			continue
		}
		checked++
		if s.IncludeOwnAccount {
			defaulted++
		}
		region := pick(r, validRegions)
		if s.HubRegion != "" {
			// The function runs in the stack's region; synth refuses a
			// home region outside its partition when it knows the region.
			for partition(region) != partition(s.HubRegion) {
				region = pick(r, validRegions)
			}
		}
		env := functionEnvModel(s, region, stackAccount, true)
		env[handler.EnvRegion] = region
		env[handler.EnvStateBucket] = "credaudit-state-123456789012"
		env[handler.EnvTopicARN] = topics[region]
		got, err := handler.LoadSettings(func(k string) string { return env[k] })
		if err != nil {
			t.Errorf("context %s → environment %s: the function refuses it: %v", asJSON(ctx), asJSON(env), err)
			continue
		}
		hub := s.HubRegion
		if hub == "" {
			hub = region
		}
		want := envMeaning{
			StateBucket: "credaudit-state-123456789012", TopicARN: topics[region], SecurityHub: s.SecurityHub, HubRegion: hub,
			Profile: s.Profile, Config: s.Config, Notify: s.Notify, RefreshDays: s.RefreshDays, MemberRole: s.MemberRole,
			IncludeAccounts: set(includedAccounts(s, stackAccount)), ExcludeAccounts: set(s.ExcludeAccounts), IncludeOUs: set(s.IncludeOUs), ExcludeOUs: set(s.ExcludeOUs),
		}
		if diff := cmp.Diff(want, meaningOf(got)); diff != "" {
			t.Errorf("context %s → environment %s (-infra +function):\n%s", asJSON(ctx), asJSON(env), diff)
		}
		// A home region outside the function's partition is refused,
		// naming the variable and the region.
		if s.HubRegion != "" {
			for _, other := range validRegions {
				if partition(other) == partition(s.HubRegion) {
					continue
				}
				env[handler.EnvRegion], env[handler.EnvTopicARN] = other, topics[other]
				_, err := handler.LoadSettings(func(k string) string { return env[k] })
				if err == nil || !strings.Contains(err.Error(), handler.EnvHubRegion+"="+strconv.Quote(s.HubRegion)) {
					t.Errorf("home region %s for a function in %s: %v, want it refused", s.HubRegion, other, err)
				}
				break
			}
		}
	}
	if checked < 1500 {
		t.Errorf("only %d valid contexts generated", checked)
	}
	// The stack's own account reaches the function as an account ID too.
	if defaulted == 0 {
		t.Errorf("no valid context defaulted the include filter to the member role's accounts")
	}
	t.Logf("%d of %d contexts defaulted the include filter", defaulted, checked)
}

// readmeTable returns the first column (unquoted) and the second of every
// row of the Markdown table after heading in the README.
func readmeTable(t *testing.T, heading string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), heading)
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	rows := map[string]string{}
	inTable := false
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		rows[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2]) + " | " + strings.TrimSpace(cells[3])
	}
	return rows
}

// The README's tables and the parsers name the same settings, both ways;
// the defaults the README gives are the parsers'; and every context setting
// the README maps to a variable ("`CREDAUDIT_…`: …") is the one the stacks
// set from it, which the function's table lists.
func TestSettingsTablesAreWhatTheCodeReads(t *testing.T) {
	envRows := readmeTable(t, "**Settings** — environment variables")
	read := map[string]bool{}
	if _, err := handler.LoadSettings(func(k string) string { read[k] = true; return "" }); err == nil {
		t.Fatal("an empty environment was accepted")
	}
	delete(read, handler.EnvRegion)   // Lambda's own: "the function's region"
	delete(read, handler.EnvLogLevel) // Lambda's own: the stack's logLevel
	if diff := cmp.Diff(slices.Sorted(maps.Keys(envRows)), slices.Sorted(maps.Keys(read))); diff != "" {
		t.Errorf("the README's variables (-) and those the function reads (+):\n%s", diff)
	}
	def, err := handler.LoadSettings(func(k string) string {
		return map[string]string{handler.EnvRegion: "eu-west-1", handler.EnvStateBucket: "b-b", handler.EnvTopicARN: "arn:aws:sns:eu-west-1:123456789012:t"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		handler.EnvSecurityHub: "on", handler.EnvNotify: def.Notify.String(), handler.EnvRefreshDays: strconv.Itoa(int(def.RefreshAfter.Hours() / 24)),
		handler.EnvMemberRole: def.MemberRole,
	} {
		if !def.SecurityHub && name == handler.EnvSecurityHub {
			want = "off"
		}
		if got, _, _ := strings.Cut(envRows[name], " | "); got != "`"+want+"`" {
			t.Errorf("README: %s defaults to %s, the function to %q", name, got, want)
		}
	}
	if def.Notify != audit.NotifyChanges {
		t.Errorf("the function's default notify mode is %v", def.Notify)
	}

	ctxRows := readmeTable(t, "### Context settings")
	for k, v := range readmeTable(t, "### Organisation settings") {
		ctxRows[k] = v
	}
	// With org=true: the organisation settings are read only then.
	looked := map[string]bool{}
	org := lookupIn(map[string]any{KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "r-ab12"})
	if _, err := LoadSettings(func(k string) any { looked[k] = true; return org(k) }); err != nil {
		t.Fatal(err)
	}
	for k := range ctxRows {
		if !looked[k] {
			t.Errorf("README documents context %s, which LoadSettings never reads", k)
		}
	}
	for k := range looked {
		if _, ok := ctxRows[k]; !ok {
			t.Errorf("LoadSettings reads context %s, which the README does not document", k)
		}
	}
	// "`CREDAUDIT_X`: …" in a context row: the stacks set X from it.
	s, err := LoadSettings(lookupIn(map[string]any{KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "r-ab12"}))
	if err != nil {
		t.Fatal(err)
	}
	mapped := functionEnvModel(s, "region", "account", true)
	varOf := regexp.MustCompile("^`(CREDAUDIT_[A-Z_]+)`:")
	for k, row := range ctxRows {
		_, meaning, _ := strings.Cut(row, " | ")
		m := varOf.FindStringSubmatch(meaning)
		if m == nil {
			continue
		}
		if _, ok := envRows[m[1]]; !ok {
			t.Errorf("README: context %s sets %s, which the function's table does not list", k, m[1])
		}
		if _, ok := mapped[m[1]]; !ok {
			t.Errorf("README: context %s sets %s, which no function gets", k, m[1])
		}
	}
	for v := range envRows {
		if _, ok := mapped[v]; !ok && v != handler.EnvStateBucket && v != handler.EnvTopicARN {
			t.Errorf("the function reads %s, which the organisation stack does not set", v)
		}
	}
}
