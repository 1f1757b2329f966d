package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cfnLintIgnored are cfn-lint checks the templates are allowed to fail,
// each with its reason.
var cfnLintIgnored = map[string]string{
	// CDK makes a function (and our schedule) depend on its role and the
	// role's policy; the role part repeats the GetAtt. Harmless, and the
	// policy part is what matters: the role must hold its permissions
	// before Lambda and Scheduler validate it.
	"W3005": "redundant DependsOn next to a GetAtt",
}

// cfnLint is the cfn-lint that scripts/venv.sh installs from
// scripts/requirements-test.txt (CREDAUDIT_CFN_LINT overrides it).
func cfnLint(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CREDAUDIT_CFN_LINT")
	if path == "" {
		path = filepath.Join("..", ".venv", "bin", "cfn-lint")
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("cfn-lint not found at %s: it is required in CI (make test installs it into .venv)", path)
		}
		t.Skipf("cfn-lint not found at %s; run make test", path)
	}
	return path
}

// Every template of every variant of both stacks passes cfn-lint: no errors, and no
// warnings beyond cfnLintIgnored.
func TestCfnLint(t *testing.T) {
	lint := cfnLint(t)
	for _, variant := range allVariants() {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			templates, err := filepath.Glob(filepath.Join(s.outdir, "*.template.json"))
			if err != nil || len(templates) == 0 {
				t.Fatalf("no templates in %s (%v)", s.outdir, err)
			}
			if s.org != nil { // the StackSet's template too
				member := filepath.Join(t.TempDir(), "member-role.template.json")
				if err := os.WriteFile(member, []byte(MemberTemplate(s.org.Settings)), 0o644); err != nil {
					t.Fatal(err)
				}
				templates = append(templates, member)
			}
			var args []string
			for check := range cfnLintIgnored {
				args = append(args, "--ignore-checks="+check)
			}
			args = append(args, "--format", "parseable", "--")
			out, err := exec.Command(lint, append(args, templates...)...).CombinedOutput()
			var exit *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &exit):
				// cfn-lint's exit status is a bit set: 2 errors, 4 warnings,
				// 8 informational; 1 means it could not run.
				t.Errorf("cfn-lint exit status %d on %v:\n%s", exit.ExitCode(), templates, out)
			default:
				t.Fatalf("run %s: %v", lint, err)
			}
		})
	}
}
