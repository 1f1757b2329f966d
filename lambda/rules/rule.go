package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
)

// Severity is the ASFF severity label of a failing result.
type Severity int

// Severities, lowest first, so they compare with < and >=.
const (
	Informational Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

func (s Severity) String() string {
	if s < Informational || s > Critical {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.ToLower(strings.Join(severityNames[:], ", ")))
}

// Status is a result's verdict. It is one byte, so that a Result (some
// 100,000 per run for a large account) carries no string for it; as text
// (JSON, state records) it is its name, as Security Hub's
// Compliance.Status spells it. The zero Status is no verdict.
type Status uint8

const (
	Passed Status = iota + 1
	Failed
	NotAvailable
)

var statusNames = [...]string{Passed: "PASSED", Failed: "FAILED", NotAvailable: "NOT_AVAILABLE"}

func (s Status) String() string {
	if !s.valid() {
		return fmt.Sprintf("Status(%d)", uint8(s))
	}
	return statusNames[s]
}

func (s Status) valid() bool { return s >= Passed && s <= NotAvailable }

// MarshalText writes the status's name; a Status that is none of the three
// is an error rather than text no reader would take back.
func (s Status) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("no status name for %v", s)
	}
	return []byte(statusNames[s]), nil
}

// UnmarshalText reads a status name, exactly as MarshalText writes it.
func (s *Status) UnmarshalText(text []byte) error {
	for st := Passed; st <= NotAvailable; st++ {
		if string(text) == statusNames[st] {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("unknown status %q (want PASSED, FAILED or NOT_AVAILABLE)", text)
}

// Scope says which rows a rule covers.
type Scope uint8

const (
	// ScopeRoot rules cover the account, through the root row.
	ScopeRoot Scope = iota
	// ScopeUsers rules cover every IAM user and never the root row.
	ScopeUsers
	// ScopeRows rules (custom rules) cover the rows their own filter selects,
	// root included.
	ScopeRows
)

// Frameworks maps a rule to the controls it implements. Control numbers are
// strings as each framework version writes them ("1.13", not 1.13).
type Frameworks struct {
	// CIS maps a CIS AWS Foundations Benchmark version ("1.2", "1.4", "3.0",
	// "5.0") to the control number in that version.
	CIS map[string]string
	// SecurityHub lists Security Hub control IDs ("IAM.4").
	SecurityHub []string
	// NIST80053 lists NIST SP 800-53 rev. 5 controls ("AC-2(1)").
	NIST80053 []string
	// PCIDSS lists PCI DSS requirements with their version ("v4.0.1/8.4.2").
	PCIDSS []string
	// Other lists further RelatedRequirements strings, written out in full
	// ("NIST.800-171.r2 3.1.2", "SOC 2 CC6.1").
	Other []string
}

// Threshold is a rule's configurable number, with its default.
type Threshold struct {
	Name    string // as written in the configuration file, e.g. "days"
	Default int
	Doc     string // the boundary wording, e.g. "fails at 45 days or more"
	// Alias is another name the configuration file accepts for it: the
	// one the catalog's specification gives (root_use_days), where it
	// names one.
	Alias string
	// Grace marks a grace period: 0, its default, grants none and leaves
	// the rule as CIS states it; any other threshold is at least 1 day.
	// A title never names a grace period.
	Grace bool
}

// Account holds facts about the account beyond the report, for rules that need
// them (ROOT-03). A nil *Account means they could not be read (a report file),
// and such rules are NOT_AVAILABLE.
type Account struct {
	// RootVirtualMFA is true when a virtual MFA device is assigned to root
	// (ListVirtualMFADevices, matched on User.Arn).
	RootVirtualMFA bool
	// RootMFAEnabled is GetAccountSummary's AccountMFAEnabled.
	RootMFAEnabled bool
	// RootPasswordPresent is GetAccountSummary's AccountPasswordPresent.
	RootPasswordPresent bool
}

// Env is everything a rule's evaluation may read besides the row: the clock
// is the report's as-of time, never time.Now.
type Env struct {
	AsOf      time.Time
	AccountID string
	Account   *Account
	// AccountUnread: Account is nil because reading it failed (Input).
	AccountUnread bool
	Thresholds    Values // every threshold of the rule, resolved (defaults or configured)

	// reasons holds the evaluating goroutine's reason texts; set by Evaluate
	// and EvaluateEach, nil when a rule is called on its own.
	reasons *reasonBlocks
}

// Value is a threshold's resolved value.
type Value struct {
	Name  string
	Value int
}

// Values are a rule's resolved thresholds. A rule has one or two, so a slice
// searched in order beats a map in the per-row hot path.
type Values []Value

// Get returns the value of the named threshold.
func (vs Values) Get(name string) (int, bool) {
	for _, v := range vs {
		if v.Name == name {
			return v.Value, true
		}
	}
	return 0, false
}

// AgeDays returns floor((AsOf − t) / 24h), never below 0.
func (env Env) AgeDays(t time.Time) int { return credreport.WholeDays(t, env.AsOf) }

// daysUntil returns floor((t − AsOf) / 24h), never below 0.
func (env Env) daysUntil(t time.Time) int { return credreport.WholeDays(env.AsOf, t) }

// Verdict is what a rule decides about one resource.
type Verdict struct {
	Status Status
	Reason string // one sentence naming the fact ("access key 2 is 131 days old")
}

// Rule is one check. Built-in rules are values in the catalog; custom rules are
// built from the configuration file and behave the same.
type Rule struct {
	ID          string
	Title       string // ≤ 256 characters (ASFF Title)
	Description string // ≤ 1024 characters (ASFF Description)
	Remediation string // 1–512 characters (ASFF Remediation.Recommendation.Text)
	URL         string // AWS documentation for the remediation
	Severity    Severity
	Scope       Scope
	Frameworks  Frameworks
	Thresholds  []Threshold
	// Custom marks rules from the configuration file.
	Custom bool
	// Event, for a rule whose failure is an event that can happen again
	// (root was used), is the time of the latest such event on the row,
	// zero when there is none: a newer one on a still-failing finding is
	// reported as new, not as changed, even when its reason reads the same
	// (two root uses hours apart are both "less than a day ago"). Nil for
	// other rules.
	Event func(e *credreport.Entry) time.Time

	// WithoutAccount, for a rule that reads Env.Account, says what it does
	// when the facts could not be read, as the run's warning ends "Root
	// account facts could not be read, so …" ("ROOT-03 is NOT_AVAILABLE");
	// "" for a rule that never reads them. A live run reads the facts only
	// when a selected rule does (AccountEffects).
	WithoutAccount string

	// Applies selects the rows a ScopeRows rule covers; nil for other scopes.
	Applies func(e *credreport.Entry, env Env) (bool, error)
	// Evaluate decides one resource. For ScopeRoot rules e is the root row.
	Evaluate func(e *credreport.Entry, env Env) (Verdict, error)
}
