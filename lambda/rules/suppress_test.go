package rules

import "testing"

func TestUserPattern(t *testing.T) {
	tests := []struct{ glob, want string }{
		{"Ci-*", "ci-*"},
		{"[!a-c]x", "[^a-c]x"},
		{"[^a-c]x", "[^a-c]x"},
		{"x[a!]", "x[a!]"},             // ! past the class's start is a character of it
		{`\[!a]`, `\[!a]`},             // an escaped [ opens no class
		{`[\!a]`, `[\!a]`},             // an escaped ! at the start does not negate
		{"[a-z][!0-9]", "[a-z][^0-9]"}, // every class
		{"[!]", "[^]"},                 // an empty negated class: CheckUserGlob refuses it
	}
	for _, tc := range tests {
		if got := userPattern(tc.glob); got != tc.want {
			t.Errorf("userPattern(%q) = %q, want %q", tc.glob, got, tc.want)
		}
	}
}

func TestCheckUserGlob(t *testing.T) {
	for user, ok := range map[string]bool{
		"ci-*":                             true,
		"[!a]*":                            true,
		"[":                                false,
		"[!]":                              false,
		`x\`:                               false,
		"arn:aws:iam::123456789012:user/[": true, // an ARN is no glob
	} {
		if err := CheckUserGlob(user); (err == nil) != ok {
			t.Errorf("CheckUserGlob(%q) = %v, want ok = %v", user, err, ok)
		}
	}
}
