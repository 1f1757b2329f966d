package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The README's settings tables list every context key with the default
// the code uses: "Context settings" the single-account stack's (which the
// organisation stack reads too), "Organisation settings" the organisation
// stack's own. No key is listed twice.
func TestReadmeContextTable(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, heading := range []string{"### Context settings", "### Organisation settings"} {
		_, section, ok := strings.Cut(string(raw), "\n"+heading+"\n")
		if !ok {
			t.Errorf("README has no %q section", heading)
			continue
		}
		section, _, _ = strings.Cut(section, "\n#")
		for _, line := range strings.Split(section, "\n") {
			cells := strings.Split(line, "|")
			if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
				continue
			}
			key := strings.Trim(strings.TrimSpace(cells[1]), "`")
			if _, dup := got[key]; dup {
				t.Errorf("README lists %s twice", key)
			}
			got[key] = strings.TrimSpace(cells[2])
		}
	}
	code := func(v any) string { return fmt.Sprintf("`%v`", v) }
	want := map[string]string{
		KeyStackName:         code(DefaultStackName),
		KeySchedule:          code(DefaultSchedule),
		KeyTimeZone:          code(DefaultTimeZone),
		KeyEmails:            "none",
		KeyProfile:           "the configuration file's, else `recommended`",
		KeyConfig:            "none",
		KeyNotify:            code(DefaultNotify),
		KeySecurityHub:       code("on"),
		KeySecurityHubRegion: "the stack's region",
		KeyRefreshDays:       code(DefaultRefreshDays),
		KeyLogRetention:      code(DefaultLogRetention),
		KeyLogLevel:          code(DefaultLogLevel),
		KeyMemory:            code(DefaultMemoryMiB),
		KeyTimeout:           code(int(DefaultTimeout.Seconds())),
		KeyAsset:             code(DefaultAsset),

		KeyOrg:                  code(false),
		KeyOrgID:                "required with `org`",
		KeyStackSetTargets:      "required with `org`",
		KeyMemberRole:           code(DefaultMemberRole),
		KeyStackSetCallAs:       code(DefaultCallAs),
		KeyOrgIncludeAccounts:   "the accounts with the member role (below)", // defaultIncludes
		KeyOrgExcludeAccounts:   "none",
		KeyOrgIncludeOUs:        "the accounts with the member role (below)",
		KeyOrgExcludeOUs:        "none",
		KeyMaxConcurrency:       code(DefaultMaxConcurrency),
		KeyToleratedFailurePerc: code(DefaultToleratedFailure),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README settings tables (-code +README):\n%s", diff)
	}
	// LoadContext refuses any other key of their shape.
	if diff := cmp.Diff(slices.Sorted(maps.Keys(want)), slices.Sorted(slices.Values(SettingKeys))); diff != "" {
		t.Errorf("SettingKeys (-README's +SettingKeys):\n%s", diff)
	}
}
