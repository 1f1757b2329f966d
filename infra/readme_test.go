package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The README's "Context settings" table lists every context key with the
// default the code uses.
func TestReadmeContextTable(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n### Context settings\n")
	if !ok {
		t.Fatal("README has no \"### Context settings\" section")
	}
	section, _, _ = strings.Cut(section, "\n#")
	got := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		got[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
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
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README context table (-code +README):\n%s", diff)
	}
}
