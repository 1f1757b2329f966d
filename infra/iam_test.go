package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// policyOf returns the statements of the AWS::IAM::Policy attached to the
// role with logical ID roleID, by Sid.
func policyOf(t *testing.T, s *synthesized, roleID string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, r := range s.resources("AWS::IAM::Policy") {
		p := r["Properties"].(map[string]any)
		if cmp.Equal(p["Roles"], []any{map[string]any{"Ref": roleID}}) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d policies on role %s, want 1", len(found), roleID)
	}
	byID := map[string]any{}
	for _, st := range found[0]["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		sid, _ := st.(map[string]any)["Sid"].(string)
		if sid == "" {
			t.Errorf("statement without Sid: %v", st)
		}
		if _, dup := byID[sid]; dup {
			t.Errorf("two statements with Sid %s", sid)
		}
		byID[sid] = st
	}
	return byID
}

func allow(sid string, actions []string, resource any, cond ...any) map[string]any {
	st := map[string]any{"Sid": sid, "Effect": "Allow", "Resource": resource}
	if len(actions) == 1 {
		st["Action"] = actions[0]
	} else {
		a := make([]any, len(actions))
		for i, x := range actions {
			a[i] = x
		}
		st["Action"] = a
	}
	if len(cond) == 1 {
		st["Condition"] = cond[0]
	}
	return st
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

func join(parts ...any) map[string]any { return map[string]any{"Fn::Join": []any{"", parts}} }

// The function's role has exactly these statements: every action named,
// every resource as narrow as the action allows.
func TestFunctionPermissions(t *testing.T) {
	for _, tc := range []struct {
		variant string
		// extra statements beyond the common ones; hub: whether the
		// Security Hub statements are there, and the home region.
		hub    bool
		region any
		extra  func(s *synthesized) []map[string]any
	}{
		{"default", true, ref("AWS::Region"), nil},
		{"custom", true, "eu-west-1", func(s *synthesized) []map[string]any {
			return []map[string]any{allow("ReadConfig", []string{"ssm:GetParameter"},
				join("arn:", ref("AWS::Partition"), ":ssm:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":parameter/credaudit/config"))}
		}},
		{"hub-off", false, nil, func(s *synthesized) []map[string]any {
			return []map[string]any{allow("ReadConfig", []string{"s3:GetObject"},
				join("arn:", ref("AWS::Partition"), ":s3:::credaudit-config-bucket/credaudit.yaml"))}
		}},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			bucketArn := s.resolve(t, s.st.Bucket.BucketArn())
			want := []map[string]any{
				allow("WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, s.resolve(t, s.st.LogGroup.LogGroupArn())),
				allow("ReadCredentialReport", []string{
					"iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountSummary",
					"iam:ListVirtualMFADevices", "iam:ListAccountAliases",
				}, "*"),
				allow("PublishDigest", []string{"sns:Publish"}, s.resolve(t, s.st.Topic.TopicArn())),
				allow("SendToFailureQueue", []string{"sqs:SendMessage"}, s.resolve(t, s.st.Queue.QueueArn())),
				allow("EncryptForTopic", []string{"kms:GenerateDataKey", "kms:Decrypt"}, s.resolve(t, s.st.Key.KeyArn()),
					map[string]any{"StringEquals": map[string]any{"kms:ViaService": join("sns.", ref("AWS::Region"), ".", ref("AWS::URLSuffix"))}}),
				allow("ReadWriteState", []string{"s3:GetObject", "s3:PutObject"}, join(bucketArn, "/state/*")),
				// No s3:prefix condition: see stateStatements.
				allow("ListState", []string{"s3:ListBucket"}, bucketArn),
			}
			if tc.hub {
				want = append(want,
					allow("ImportFindings", []string{"securityhub:BatchImportFindings"},
						join("arn:", ref("AWS::Partition"), ":securityhub:", tc.region, ":", ref("AWS::AccountId"), ":product/", ref("AWS::AccountId"), "/default")),
					allow("UpdateFindings", []string{"securityhub:BatchUpdateFindings"}, "*"),
				)
			}
			if tc.extra != nil {
				want = append(want, tc.extra(s)...)
			}
			wantBySid := map[string]any{}
			for _, w := range want {
				wantBySid[w["Sid"].(string)] = w
			}
			got := policyOf(t, s, s.st.logicalID(s.st.Role))
			if diff := cmp.Diff(normalizeJoins(wantBySid), normalizeJoins(got)); diff != "" {
				t.Errorf("function role statements (-want +got):\n%s", diff)
			}
			assertTrust(t, s, s.st.logicalID(s.st.Role), map[string]any{
				"Action": "sts:AssumeRole", "Effect": "Allow",
				"Principal": map[string]any{"Service": "lambda.amazonaws.com"},
			})
		})
	}
}

// The schedule's role may start a run (invoke the function, or start the
// organisation state machine) and dead-letter, nothing else.
func TestSchedulePermissions(t *testing.T) {
	for _, tc := range []struct{ variant, sid, action string }{
		{"default", "InvokeFunction", "lambda:InvokeFunction"},
		{"org", "StartExecution", "states:StartExecution"},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			b := s.base()
			target := s.runTarget(t)
			got := policyOf(t, s, b.logicalID(b.ScheduleRole))
			want := map[string]any{
				tc.sid:       allow(tc.sid, []string{tc.action}, target),
				"DeadLetter": allow("DeadLetter", []string{"sqs:SendMessage"}, s.resolve(t, b.Queue.QueueArn())),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("schedule role statements (-want +got):\n%s", diff)
			}
			assertTrust(t, s, b.logicalID(b.ScheduleRole), serviceTrust("scheduler.amazonaws.com"))
		})
	}
}

// serviceTrust lets service assume a role for this account only.
func serviceTrust(service string) map[string]any {
	return map[string]any{
		"Action": "sts:AssumeRole", "Effect": "Allow",
		"Principal": map[string]any{"Service": service},
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}},
	}
}

// assertTrust checks that the role with logical ID roleID trusts exactly
// the one statement want.
func assertTrust(t *testing.T, s *synthesized, roleID string, want map[string]any) {
	t.Helper()
	role := s.resources("AWS::IAM::Role")[roleID]["Properties"].(map[string]any)
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{want}}
	if diff := cmp.Diff(doc, role["AssumeRolePolicyDocument"]); diff != "" {
		t.Errorf("trust policy of %s (-want +got):\n%s", roleID, diff)
	}
}

// No role in the stack has a managed policy, no policy allows a wildcard
// action, and the only "kms:*" is the key policy's standard statement that
// delegates the key's administration to the account's IAM policies. The
// member role alone has an inline policy: it is the StackSet template's
// role, which is one resource.
func TestNoWildcardActionsOrManagedPolicies(t *testing.T) {
	roleCount := map[string]int{
		"org":        5, // auditor, orchestrator, state machine, schedule, member role
		"org-ous":    5,
		"org-custom": 4, // DELEGATED_ADMIN: no member role of its own
	}
	for _, variant := range allVariants() {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			if n := len(s.resources("AWS::IAM::ManagedPolicy")); n != 0 {
				t.Errorf("%d managed policies, want none", n)
			}
			roles := s.resources("AWS::IAM::Role")
			want, ok := roleCount[variant]
			if !ok {
				want = 2 // function, schedule
			}
			if len(roles) != want {
				t.Errorf("%d roles, want %d", len(roles), want)
			}
			// Every policy document: resources' (PolicyDocument, KeyPolicy)
			// and inline ones, by where they are.
			docs := map[string]map[string]any{}
			for id, r := range roles {
				p := r["Properties"].(map[string]any)
				if p["ManagedPolicyArns"] != nil || (p["Policies"] != nil && (s.org == nil || p["RoleName"] != s.org.Settings.MemberRole)) {
					t.Errorf("role %s: managed %v, inline %v; want only its own AWS::IAM::Policy", id, p["ManagedPolicyArns"], p["Policies"])
				}
				for i, inline := range asAnyList(p["Policies"]) {
					if inline != nil {
						docs[fmt.Sprintf("%s inline policy %d", id, i)] = inline.(map[string]any)
					}
				}
			}
			if s.org != nil {
				var member map[string]any
				if err := json.Unmarshal([]byte(s.only(t, "AWS::CloudFormation::StackSet")["TemplateBody"].(string)), &member); err != nil {
					t.Fatal(err)
				}
				role := member["Resources"].(map[string]any)["MemberRole"].(map[string]any)["Properties"].(map[string]any)
				for i, inline := range role["Policies"].([]any) {
					docs[fmt.Sprintf("StackSet template inline policy %d", i)] = inline.(map[string]any)
				}
			}
			for id, r := range s.doc["Resources"].(map[string]any) {
				if props, ok := r.(map[string]any)["Properties"].(map[string]any); ok {
					docs[id] = props
				}
			}
			for id, props := range docs {
				for _, field := range []string{"PolicyDocument", "KeyPolicy"} {
					doc, ok := props[field].(map[string]any)
					if !ok {
						continue
					}
					for _, st := range doc["Statement"].([]any) {
						st := st.(map[string]any)
						if st["Effect"] != "Allow" {
							continue
						}
						for _, a := range asList(st["Action"]) {
							if !strings.Contains(a, "*") {
								continue
							}
							if field == "KeyPolicy" && a == "kms:*" && isAccountRoot(st["Principal"]) {
								continue
							}
							t.Errorf("%s allows wildcard action %s", id, a)
						}
					}
				}
			}
		})
	}
}

func isAccountRoot(p any) bool {
	want := map[string]any{"AWS": join("arn:", ref("AWS::Partition"), ":iam::", ref("AWS::AccountId"), ":root")}
	return cmp.Equal(p, want)
}

// normalizeJoins flattens {"Fn::Join": ["", [... {"Fn::Join": ["", [...]]} ...]]}
// and merges adjacent literal strings, so that a resource built from a
// token and a suffix compares equal however CDK nested it.
func normalizeJoins(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if j, ok := v["Fn::Join"].([]any); ok && len(j) == 2 && j[0] == "" {
			var parts []any
			var flatten func(any)
			flatten = func(p any) {
				p = normalizeJoins(p)
				if m, ok := p.(map[string]any); ok {
					if inner, ok := m["Fn::Join"].([]any); ok && inner[0] == "" {
						for _, q := range inner[1].([]any) {
							flatten(q)
						}
						return
					}
				}
				if s, ok := p.(string); ok && len(parts) > 0 {
					if prev, ok := parts[len(parts)-1].(string); ok {
						parts[len(parts)-1] = prev + s
						return
					}
				}
				parts = append(parts, p)
			}
			for _, p := range j[1].([]any) {
				flatten(p)
			}
			return map[string]any{"Fn::Join": []any{"", parts}}
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = normalizeJoins(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalizeJoins(x)
		}
		return out
	}
	return v
}

// The policy helpers themselves: a statement list that differs in one
// action must not compare equal.
func TestPolicyComparisonDetectsDifferences(t *testing.T) {
	a := allow("X", []string{"s3:GetObject", "s3:PutObject"}, join(join(ref("B"), "/state"), "/*"))
	b := allow("X", []string{"s3:GetObject", "s3:PutObject"}, join(ref("B"), "/state/*"))
	if !cmp.Equal(normalizeJoins(a), normalizeJoins(b)) {
		t.Error("nested joins of the same resource compare unequal")
	}
	c := allow("X", []string{"s3:GetObject", "s3:DeleteObject"}, join(ref("B"), "/state/*"))
	if cmp.Equal(normalizeJoins(b), normalizeJoins(c)) {
		t.Error("different actions compare equal")
	}
	if !slices.Equal(asList("a"), []string{"a"}) || !slices.Equal(asList([]any{"a", "b"}), []string{"a", "b"}) {
		t.Error("asList")
	}
}
