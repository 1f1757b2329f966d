package finding

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/credaudit/credaudit/lambda/rules"
)

func TestID(t *testing.T) {
	longPath := "/" + strings.Repeat("team/", 100)
	tests := []struct {
		name                    string
		account, rule, resource string
		want                    string
	}{
		{"user finding", acct, "KEY-01", "arn:aws:iam::" + acct + ":user/ops/alice",
			"credaudit/123456789012/KEY-01/arn:aws:iam::123456789012:user/ops/alice"},
		{"account finding", acct, "ROOT-04", rules.AccountResourceID(acct),
			"credaudit/123456789012/ROOT-04/AWS::::Account:123456789012"},
		{"custom rule", acct, "ACME-SVC-01", "arn:aws-us-gov:iam::" + acct + ":user/svc",
			"credaudit/123456789012/ACME-SVC-01/arn:aws-us-gov:iam::123456789012:user/svc"},
		// Pinned: changing the scheme would orphan every finding already
		// in Security Hub.
		{"long path is cut and hashed", acct, "KEY-01", "arn:aws:iam::" + acct + ":user" + longPath + "alice",
			"credaudit/123456789012/KEY-01/arn:aws:iam::123456789012:user" + longPath[:479-len("credaudit/123456789012/KEY-01/arn:aws:iam::123456789012:user")] +
				"#" + "eebce835683af1d164c3a68dccfea674"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ID(tt.account, tt.rule, tt.resource)
			if got != tt.want {
				t.Errorf("ID = %q\nwant %q", got, tt.want)
			}
			if len(got) > MaxIDLength {
				t.Errorf("ID is %d bytes, over %d", len(got), MaxIDLength)
			}
		})
	}
}

func TestIDLengthLimit(t *testing.T) {
	prefix := IDPrefix + acct + "/KEY-01/"
	for n := MaxIDLength - len(prefix) - 2; n <= MaxIDLength-len(prefix)+2; n++ {
		res := strings.Repeat("x", n)
		id := ID(acct, "KEY-01", res)
		full := prefix + res
		switch {
		case len(full) <= MaxIDLength && id != full:
			t.Errorf("%d-byte ID was changed to %q", len(full), id)
		case len(full) > MaxIDLength && len(id) != MaxIDLength:
			t.Errorf("%d-byte ID became %d bytes, want exactly %d", len(full), len(id), MaxIDLength)
		}
	}
}

func TestLongIDsStayUnique(t *testing.T) {
	base := "arn:aws:iam::" + acct + ":user/" + strings.Repeat("p/", 300)
	a, b := ID(acct, "KEY-01", base+"alice"), ID(acct, "KEY-01", base+"alicf")
	if a == b {
		t.Errorf("two long resources share the ID %q", a)
	}
	if a != ID(acct, "KEY-01", base+"alice") {
		t.Errorf("a long ID is not stable")
	}
	if !strings.HasPrefix(a, IDPrefix+acct+"/KEY-01/arn:aws:iam::") {
		t.Errorf("long ID %q lost its readable start", a)
	}
}

func TestLongIDIsCutAtACharacterBoundary(t *testing.T) {
	for pad := range 4 {
		res := strings.Repeat("x", pad) + strings.Repeat("é", 400)
		id := ID(acct, "KEY-01", res)
		if !utf8.ValidString(id) {
			t.Errorf("pad %d: ID is not valid UTF-8: %q", pad, id)
		}
		if len(id) > MaxIDLength {
			t.Errorf("pad %d: ID is %d bytes", pad, len(id))
		}
	}
}

func TestIDsAreStableAcrossRuns(t *testing.T) {
	k1 := &rules.Key01
	res := func(reason string) []rules.Result {
		return []rules.Result{fail(k1, alice, reason), fail(&rules.Root04, rootRow, "root was last used 3 days ago (password)")}
	}
	first := Diff(nil, res("access key 1 is 131 days old"), acct, day(0), 0)
	// A later run with other facts in the reasons names the same findings.
	second := Diff(next(nil, first, day(0)), res("access key 2 is 95 days old"), acct, day(9), 0)
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("got %d and %d changes, want 2 each", len(first), len(second))
	}
	for i := range first {
		if first[i].ID() != second[i].ID() {
			t.Errorf("ID changed between runs: %q then %q", first[i].ID(), second[i].ID())
		}
		if second[i].Prev == nil {
			t.Errorf("%s: second run has no previous record, want the same finding", second[i].ID())
		}
	}
}
