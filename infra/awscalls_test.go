package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The differential test between the AWS calls the deployed functions make
// and the policies this app gives them (moto enforces no IAM, so a missing
// permission would show only as AccessDenied after a deployment).
//
// lambda/handler's TestRecordedAWSCalls runs the real handler against moto
// in scenarios named after this package's synth variants and records, into
// lambda/handler/testdata/aws-calls.json, every permission check its
// requests need: the IAM action and the resource ARN (by the Service
// Authorization Reference's resource type for the action), and the caller:
// the function's own role or the member role it assumed. The recording is
// a golden file there because that package has moto and not Node, this one
// Node and not moto; its test fails when the calls change until the file
// is regenerated (UPDATE_GOLDEN=1), and this test then checks the new
// calls.
//
// Here each scenario's variant is synthesized and each call evaluated
// against the caller's identity policy and the resource's policy (state
// bucket, topic, key, member role trust), with a small evaluator:
//   - the template's intrinsics resolve with partition aws, region
//     us-east-1 and account 123456789012 (moto's); the function's
//     environment binds the bucket and topic resources to the names the
//     recording used (CREDAUDIT_STATE_BUCKET, CREDAUDIT_TOPIC_ARN), and
//     the settings that are literals must equal the recording's;
//   - Allow and Deny statements; Action and Resource with * and ?
//     wildcards; an explicit Deny wins; within the account, the identity
//     policy or the resource policy may allow; sts:AssumeRole needs both
//     the caller's policy and the role's trust; a KMS key's policy must
//     allow the caller, or delegate to the account (kms:* to its root)
//     and the identity policy allow;
//   - the conditions it meets are those of a request over TLS 1.3
//     (aws:SecureTransport true, s3:TlsVersion 1.3), kms:ViaService
//     sns.<region>.amazonaws.com for the data key SNS asks for on a
//     Publish to an encrypted topic (the publisher needs
//     kms:GenerateDataKey and kms:Decrypt), and aws:ResourceOrgID and
//     aws:PrincipalOrgID the variant's organisation for AssumeRole of a
//     member role (every audited account is in it); a condition on any
//     other key is not met, an unknown operator fails the test.

const (
	evalPartition = "aws"
	evalRegion    = "us-east-1"
	evalAccount   = "123456789012"
)

// recordedCall and recordedScenario are lambda/handler's awsCall and
// callScenario.
type recordedCall struct {
	Action, Resource, Caller, Why string
}

type recordedScenario struct {
	Name, Variant, Function string
	Environment             map[string]string
	Calls                   []recordedCall
}

func readRecordedCalls(t *testing.T) []recordedScenario {
	t.Helper()
	raw, err := os.ReadFile("../lambda/handler/testdata/aws-calls.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Scenarios []recordedScenario }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("aws-calls.json: %v", err)
	}
	if len(f.Scenarios) == 0 {
		t.Fatal("aws-calls.json holds no scenario")
	}
	return f.Scenarios
}

// cfnEnv resolves a template's intrinsics in one account.
type cfnEnv struct {
	account   string
	resources map[string]any
	refs      map[string]any // bound Refs: pseudo parameters, parameters, resources
}

func newCfnEnv(account string, resources map[string]any) *cfnEnv {
	return &cfnEnv{account: account, resources: resources, refs: map[string]any{
		"AWS::Partition": evalPartition, "AWS::Region": evalRegion, "AWS::AccountId": account, "AWS::URLSuffix": "amazonaws.com",
	}}
}

func (e *cfnEnv) resource(id string) (typ string, props map[string]any, ok bool) {
	r, ok := e.resources[id].(map[string]any)
	if !ok {
		return "", nil, false
	}
	props, _ = r["Properties"].(map[string]any)
	return r["Type"].(string), props, true
}

// resolve is v as a string once deployed.
func (e *cfnEnv) resolve(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case map[string]any:
		if len(v) != 1 {
			break
		}
		if id, ok := v["Ref"].(string); ok {
			if b, ok := e.refs[id]; ok {
				return e.resolve(b)
			}
			typ, _, ok := e.resource(id)
			switch {
			case !ok:
				return "", fmt.Errorf("Ref %s: no such parameter or resource", id)
			case typ == "AWS::SNS::Topic":
				return fmt.Sprintf("arn:%s:sns:%s:%s:%s", evalPartition, evalRegion, e.account, id), nil
			case typ == "AWS::S3::Bucket":
				return strings.ToLower(id), nil
			}
			return id, nil
		}
		if ga, ok := v["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			id, attr := ga[0].(string), ga[1].(string)
			typ, props, ok := e.resource(id)
			if !ok {
				return "", fmt.Errorf("GetAtt %s: no such resource", id)
			}
			name, err := e.resolve(map[string]any{"Ref": id})
			if err != nil {
				return "", err
			}
			switch typ + "." + attr {
			case "AWS::S3::Bucket.Arn":
				return "arn:" + evalPartition + ":s3:::" + name, nil
			case "AWS::IAM::Role.Arn":
				if n, ok := props["RoleName"].(string); ok {
					name = n
				}
				return fmt.Sprintf("arn:%s:iam::%s:role/%s", evalPartition, e.account, name), nil
			case "AWS::KMS::Key.Arn":
				return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", evalPartition, evalRegion, e.account, name), nil
			case "AWS::SNS::Topic.TopicArn":
				return name, nil
			case "AWS::SQS::Queue.Arn":
				return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", evalPartition, evalRegion, e.account, name), nil
			case "AWS::Logs::LogGroup.Arn":
				return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", evalPartition, evalRegion, e.account, name), nil
			case "AWS::Lambda::Function.Arn":
				return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", evalPartition, evalRegion, e.account, name), nil
			}
			return "", fmt.Errorf("GetAtt %s.%s of a %s: the evaluator does not know it", id, attr, typ)
		}
		if j, ok := v["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			var parts []string
			for _, p := range asAnyList(j[1]) {
				s, err := e.resolve(p)
				if err != nil {
					return "", err
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, sep), nil
		}
	}
	return "", fmt.Errorf("cannot resolve %v", v)
}

// request is one permission check.
type request struct {
	principal, action, resource string
	context                     map[string]string
}

// globMatch matches IAM's * and ? wildcards; fold compares case-insensitively (actions).
func globMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	var match func(p, s string) bool
	match = func(p, s string) bool {
		for p != "" {
			switch p[0] {
			case '*':
				for i := len(s); i >= 0; i-- {
					if match(p[1:], s[i:]) {
						return true
					}
				}
				return false
			case '?':
				if s == "" {
					return false
				}
			default:
				if s == "" || s[0] != p[0] {
					return false
				}
			}
			p, s = p[1:], s[1:]
		}
		return s == ""
	}
	return match(pattern, s)
}

// statementMatches reports whether st applies to r. Resource policies
// (principals true) also match the statement's Principal.
func (e *cfnEnv) statementMatches(st map[string]any, r request, principals bool) (bool, error) {
	for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
		if st[k] != nil {
			return false, fmt.Errorf("statement %v: the evaluator does not know %s", st["Sid"], k)
		}
	}
	if !slices.ContainsFunc(asList(st["Action"]), func(a string) bool { return globMatch(a, r.action, true) }) {
		return false, nil
	}
	if res, ok := st["Resource"]; ok {
		matched := false
		for _, x := range asAnyList(res) {
			pattern, err := e.resolve(x)
			if err != nil {
				return false, err
			}
			if globMatch(pattern, r.resource, false) {
				matched = true
			}
		}
		if !matched {
			return false, nil
		}
	}
	if principals {
		ok, err := e.principalMatches(st["Principal"], r.principal)
		if err != nil || !ok {
			return false, err
		}
	}
	return e.conditionsMet(st["Condition"], r.context)
}

// principalMatches: "*", or an AWS principal naming the role. A
// service principal never matches a role; an account's root is
// delegation to its IAM policies (see rootDelegates), not the role.
func (e *cfnEnv) principalMatches(p any, role string) (bool, error) {
	if p == "*" {
		return true, nil
	}
	m, ok := p.(map[string]any)
	if !ok {
		return false, fmt.Errorf("principal %v", p)
	}
	for _, x := range asAnyList(m["AWS"]) {
		if x == nil {
			continue
		}
		s, err := e.resolve(x)
		if err != nil {
			return false, err
		}
		if s == "*" || s == role {
			return true, nil
		}
	}
	return false, nil
}

// rootDelegates reports whether st allows r's action to the account's
// root, delegating to the account's IAM policies.
func (e *cfnEnv) rootDelegates(st map[string]any, r request) (bool, error) {
	m, _ := st["Principal"].(map[string]any)
	root := fmt.Sprintf("arn:%s:iam::%s:root", evalPartition, e.account)
	for _, x := range asAnyList(m["AWS"]) {
		if s, err := e.resolve(x); err == nil && (s == root || s == e.account) && st["Effect"] == "Allow" {
			if ok, err := e.statementMatches(st, request{action: r.action, resource: r.resource, context: r.context}, false); err != nil || ok {
				return ok, err
			}
		}
	}
	return false, nil
}

func (e *cfnEnv) conditionsMet(c any, ctx map[string]string) (bool, error) {
	if c == nil {
		return true, nil
	}
	for op, kv := range c.(map[string]any) {
		for key, want := range kv.(map[string]any) {
			got, present := ctx[key]
			met := false
			for _, w := range asAnyList(want) {
				ws, err := e.resolve(w)
				if err != nil {
					return false, err
				}
				switch op {
				case "StringEquals", "ArnEquals", "Bool":
					met = met || present && got == ws
				case "StringLike", "ArnLike":
					met = met || present && globMatch(ws, got, false)
				case "NumericLessThan":
					g, err1 := strconv.ParseFloat(got, 64)
					n, err2 := strconv.ParseFloat(ws, 64)
					met = met || present && err1 == nil && err2 == nil && g < n
				default:
					return false, fmt.Errorf("condition operator %s: the evaluator does not know it", op)
				}
			}
			if !met {
				return false, nil
			}
		}
	}
	return true, nil
}

// policy is a policy document's statements, named for messages, resolved
// in env.
type policy struct {
	name       string
	env        *cfnEnv
	statements []map[string]any
}

func newPolicy(name string, env *cfnEnv, doc any) policy {
	p := policy{name: name, env: env}
	d, _ := doc.(map[string]any)
	for _, st := range asAnyList(d["Statement"]) {
		if st, ok := st.(map[string]any); ok {
			p.statements = append(p.statements, st)
		}
	}
	return p
}

// decision is what one policy says of a request.
type decision struct {
	allow, deny bool
	sids        []string // the Allow statements that matched
}

func (p policy) decide(r request, principals bool) (decision, error) {
	var d decision
	for _, st := range p.statements {
		ok, err := p.env.statementMatches(st, r, principals)
		if err != nil {
			return d, fmt.Errorf("%s: %w", p.name, err)
		}
		if !ok {
			continue
		}
		if st["Effect"] == "Deny" {
			d.deny = true
			continue
		}
		d.allow = true
		sid, _ := st["Sid"].(string)
		d.sids = append(d.sids, sid)
	}
	return d, nil
}

// caller is a principal with its identity policy.
type caller struct {
	arn      string
	identity policy
	// trust is the role's trust policy, for AssumeRole of it.
	trust *policy
}

// deployment is a synthesized variant as the evaluator sees it.
type deployment struct {
	t     *testing.T
	s     *synthesized
	env   *cfnEnv
	orgID string
	// used holds the actions each Allow statement (policy name, Sid)
	// allowed a call.
	used map[string]map[string]bool
	// identities are the identity policies that decided calls, with what
	// they are for the unused-permission report.
	identities map[string]identity
}

type identity struct {
	label string
	p     policy
}

func newDeployment(t *testing.T, s *synthesized) *deployment {
	d := &deployment{t: t, s: s, env: newCfnEnv(evalAccount, s.doc["Resources"].(map[string]any)), used: map[string]map[string]bool{}, identities: map[string]identity{}}
	if s.org != nil {
		d.orgID = s.org.Settings.OrgID
	}
	return d
}

// function returns the named function's role (logical ID) and its
// environment variables, and binds the resources they name to the
// recording's values.
func (d *deployment) bind(sc recordedScenario) (roleID string) {
	t := d.t
	var f *function
	switch {
	case sc.Function == "Function" && d.s.st != nil:
		f = &d.s.st.function
	case sc.Function == "Auditor" && d.s.org != nil:
		f = &d.s.org.Auditor
	case sc.Function == "Orchestrator" && d.s.org != nil:
		f = &d.s.org.Orchestrator
	default:
		t.Fatalf("%s: variant %s has no function %s", sc.Name, sc.Variant, sc.Function)
	}
	b := d.s.base()
	roleID = b.logicalID(f.Role)
	_, props, _ := d.env.resource(b.logicalID(f.Function))
	vars := props["Environment"].(map[string]any)["Variables"].(map[string]any)
	for k, recorded := range sc.Environment {
		v, ok := vars[k]
		if !ok {
			t.Errorf("%s: the %s function of variant %s has no %s; the recording ran with %q", sc.Name, sc.Function, sc.Variant, k, recorded)
			continue
		}
		if m, ok := v.(map[string]any); ok && m["Ref"] != nil {
			ref, _ := m["Ref"].(string)
			if _, _, isResource := d.env.resource(ref); isResource {
				d.env.refs[ref] = recorded
				continue
			}
		}
		got, err := d.env.resolve(v)
		if err != nil {
			t.Errorf("%s: %s: %v", sc.Name, k, err)
		} else if got != recorded {
			t.Errorf("%s: %s is %q in variant %s, the recording ran with %q: run the scenario with the variant's settings", sc.Name, k, got, sc.Variant, recorded)
		}
	}
	return roleID
}

// attachedPolicy is the AWS::IAM::Policy on the role roleID.
func (d *deployment) attachedPolicy(roleID string) policy {
	for id, r := range d.s.resources("AWS::IAM::Policy") {
		p := r["Properties"].(map[string]any)
		if cmp.Equal(p["Roles"], []any{map[string]any{"Ref": roleID}}) {
			return newPolicy(roleID+" policy "+id, d.env, p["PolicyDocument"])
		}
	}
	d.t.Fatalf("no policy on role %s", roleID)
	return policy{}
}

// memberRole is the member role roleARN: the stack's own copy in its own
// account, else the StackSet template's, with the StackSet's parameters.
func (d *deployment) memberRole(roleARN string) caller {
	t := d.t
	parts := strings.SplitN(roleARN, ":", 6)
	acct, name := parts[4], strings.TrimPrefix(parts[5], "role/")
	if acct == evalAccount {
		for id, r := range d.s.resources("AWS::IAM::Role") {
			p := r["Properties"].(map[string]any)
			if p["RoleName"] == name {
				trust := newPolicy(id+" trust", d.env, p["AssumeRolePolicyDocument"])
				return caller{arn: roleARN, identity: newPolicy(id+" (the stack's member role) inline policy", d.env, p["Policies"].([]any)[0].(map[string]any)["PolicyDocument"]), trust: &trust}
			}
		}
		t.Fatalf("the stack has no role %s for its own account", name)
	}
	props := d.s.only(t, "AWS::CloudFormation::StackSet")
	var tmpl map[string]any
	if err := json.Unmarshal([]byte(props["TemplateBody"].(string)), &tmpl); err != nil {
		t.Fatal(err)
	}
	env := newCfnEnv(acct, tmpl["Resources"].(map[string]any))
	for _, p := range asAnyList(props["Parameters"]) {
		p := p.(map[string]any)
		v, err := d.env.resolve(p["ParameterValue"])
		if err != nil {
			t.Fatalf("StackSet parameter %v: %v", p["ParameterKey"], err)
		}
		env.refs[p["ParameterKey"].(string)] = v
	}
	_, role, _ := env.resource("MemberRole")
	if role["RoleName"] != name {
		t.Fatalf("the StackSet's member role is %v, the recording assumed %s", role["RoleName"], name)
	}
	trust := newPolicy("StackSet MemberRole trust", env, role["AssumeRolePolicyDocument"])
	return caller{arn: roleARN, identity: newPolicy("StackSet MemberRole inline policy", env, role["Policies"].([]any)[0].(map[string]any)["PolicyDocument"]), trust: &trust}
}

// resourcePolicies are the policies of the template's resource a request
// is on: the bucket's, the topic's, the key's or the role's trust.
func (d *deployment) resourcePolicies(r request) []policy {
	var out []policy
	service, _, _ := strings.Cut(r.action, ":")
	for id, res := range d.env.resources {
		res := res.(map[string]any)
		p, _ := res["Properties"].(map[string]any)
		switch res["Type"] {
		case "AWS::S3::BucketPolicy":
			if b, err := d.env.resolve(p["Bucket"]); err == nil && service == "s3" &&
				(r.resource == "arn:aws:s3:::"+b || strings.HasPrefix(r.resource, "arn:aws:s3:::"+b+"/")) {
				out = append(out, newPolicy(id, d.env, p["PolicyDocument"]))
			}
		case "AWS::SNS::TopicPolicy":
			for _, tp := range asAnyList(p["Topics"]) {
				if arn, err := d.env.resolve(tp); err == nil && arn == r.resource {
					out = append(out, newPolicy(id, d.env, p["PolicyDocument"]))
				}
			}
		case "AWS::KMS::Key":
			if arn, err := d.env.resolve(map[string]any{"Fn::GetAtt": []any{id, "Arn"}}); err == nil && arn == r.resource {
				out = append(out, newPolicy(id+" key policy", d.env, p["KeyPolicy"]))
			}
		}
	}
	return out
}

// allowed evaluates r for c and says why not; it counts the statements
// that allowed it.
func (d *deployment) allowed(c caller, r request) (bool, string) {
	id, err := c.identity.decide(r, false)
	if err != nil {
		d.t.Fatal(err)
	}
	var resAllow, resDeny, rootDelegated bool
	var resNames []string
	resources := d.resourcePolicies(r)
	if r.action == "sts:AssumeRole" && c.trust != nil {
		resources = append(resources, *c.trust)
	}
	for _, p := range resources {
		dec, err := p.decide(r, true)
		if err != nil {
			d.t.Fatal(err)
		}
		resAllow, resDeny = resAllow || dec.allow, resDeny || dec.deny
		resNames = append(resNames, p.name)
		for _, st := range p.statements {
			if ok, err := p.env.rootDelegates(st, r); err != nil {
				d.t.Fatal(err)
			} else if ok {
				rootDelegated = true
			}
		}
		d.use(p.name, dec.sids, r.action)
	}
	d.use(c.identity.name, id.sids, r.action)
	service, _, _ := strings.Cut(r.action, ":")
	switch {
	case id.deny || resDeny:
		return false, fmt.Sprintf("an explicit Deny in %s or %v matches", c.identity.name, resNames)
	case r.action == "sts:AssumeRole":
		if !id.allow {
			return false, "no Allow statement of " + c.identity.name + " matches"
		}
		if !resAllow {
			return false, fmt.Sprintf("the role's trust policy (%v) does not allow the caller", resNames)
		}
	case service == "kms":
		if !resAllow && !(rootDelegated && id.allow) {
			return false, fmt.Sprintf("the key policy (%v) allows the caller neither itself nor by delegating to the account, with an Allow in %s", resNames, c.identity.name)
		}
	case !id.allow && !resAllow:
		return false, fmt.Sprintf("no Allow statement of %s (nor of %v) matches", c.identity.name, resNames)
	}
	return true, ""
}

func (d *deployment) use(policyName string, sids []string, action string) {
	for _, sid := range sids {
		k := policyName + " " + sid
		if d.used[k] == nil {
			d.used[k] = map[string]bool{}
		}
		d.used[k][action] = true
	}
}

// topicKey is the KMS key ARN the topic topicARN is encrypted with, or "".
func (d *deployment) topicKey(topicARN string) string {
	for id, res := range d.env.resources {
		res := res.(map[string]any)
		if res["Type"] != "AWS::SNS::Topic" {
			continue
		}
		if arn, err := d.env.resolve(map[string]any{"Ref": id}); err != nil || arn != topicARN {
			continue
		}
		if k := res["Properties"].(map[string]any)["KmsMasterKeyId"]; k != nil {
			key, err := d.env.resolve(k)
			if err != nil {
				d.t.Fatal(err)
			}
			return key
		}
	}
	return ""
}

// Every call the recording holds is allowed for its caller by the
// policies of the variant its scenario ran with.
func TestRecordedAWSCallsAreAllowed(t *testing.T) {
	scenarios := readRecordedCalls(t)
	deployments := map[string]*deployment{}
	for _, sc := range scenarios {
		d := deployments[sc.Variant]
		if d == nil {
			d = newDeployment(t, synth(t, sc.Variant))
			deployments[sc.Variant] = d
		}
		checkScenario(t, d, sc)
	}
	// Both ways: the granted actions no recorded call used are the ones
	// known not to be the function code's, each with its reason.
	granted, used := map[string]bool{}, map[string]bool{}
	for _, d := range deployments {
		for name, id := range d.identities {
			for _, st := range id.p.statements {
				sid, _ := st["Sid"].(string)
				for _, a := range asList(st["Action"]) {
					k := id.label + " " + sid + " " + a
					granted[k] = true
					if d.used[name+" "+sid][a] {
						used[k] = true
					}
				}
			}
		}
	}
	unused := map[string]string{}
	for k := range granted {
		if !used[k] {
			unused[k] = unusedByDesign[k]
		}
	}
	if diff := cmp.Diff(unusedByDesign, unused); diff != "" {
		t.Errorf("granted actions no recorded call used (-known +now; a new one is a permission the code does not need, or a call the recording misses; an entry gone means a recorded call now uses it):\n%s", diff)
	}
}

// unusedByDesign are the function and member role actions no call of the
// function code needs, or that no scenario can reach in moto, and why.
var unusedByDesign = map[string]string{
	"Function role WriteLogs logs:CreateLogStream":     lambdaLogs,
	"Function role WriteLogs logs:PutLogEvents":        lambdaLogs,
	"Auditor role WriteLogs logs:CreateLogStream":      lambdaLogs,
	"Auditor role WriteLogs logs:PutLogEvents":         lambdaLogs,
	"Orchestrator role WriteLogs logs:CreateLogStream": lambdaLogs,
	"Orchestrator role WriteLogs logs:PutLogEvents":    lambdaLogs,
	"Function role SendToFailureQueue sqs:SendMessage": "Lambda sends a failed asynchronous invocation's event to the on-failure destination with the function's role",
	"member role UpdateFindings securityhub:BatchUpdateFindings": "the organisation scenario sets no suppression; the call is the one the single-account " +
		"scenario with a suppression makes (publish.Importer), sent with the member role's credentials",
}

const lambdaLogs = "the Lambda service writes the function's stdout to its log group with the function's role; the code makes no CloudWatch Logs call"

func checkScenario(t *testing.T, d *deployment, sc recordedScenario) {
	t.Helper()
	roleID := d.bind(sc)
	fnARN, err := d.env.resolve(map[string]any{"Fn::GetAtt": []any{roleID, "Arn"}})
	if err != nil {
		t.Fatal(err)
	}
	own := caller{arn: fnARN, identity: d.attachedPolicy(roleID)}
	d.identities[own.identity.name] = identity{sc.Function + " role", own.identity}
	for _, c := range sc.Calls {
		who := own
		if c.Caller != "function" {
			who = d.memberRole(c.Caller)
			d.identities[who.identity.name] = identity{"member role", who.identity}
		}
		r := request{principal: who.arn, action: c.Action, resource: c.Resource,
			context: map[string]string{"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}}
		checks := []request{r}
		if c.Action == "sts:AssumeRole" && d.orgID != "" {
			r.context["aws:ResourceOrgID"], r.context["aws:PrincipalOrgID"] = d.orgID, d.orgID
			// The trust names the caller's role; the callee's trust is
			// found from the resource.
			callee := d.memberRole(c.Resource)
			who.trust = callee.trust
		}
		if key := d.topicKey(c.Resource); c.Action == "sns:Publish" && key != "" {
			for _, a := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
				checks = append(checks, request{principal: who.arn, action: a, resource: key, context: map[string]string{
					"aws:SecureTransport": "true", "kms:ViaService": "sns." + evalRegion + ".amazonaws.com"}})
			}
		}
		for _, r := range checks {
			if ok, why := d.allowed(who, r); !ok {
				what := r.action + " on " + r.resource
				if r.action != c.Action {
					what += " (SNS asks for it on " + c.Action + " to the encrypted topic " + c.Resource + ")"
				}
				if c.Why != "" {
					what += " (" + c.Why + ")"
				}
				t.Errorf("%s (variant %s, %s function): %s by %s is denied: %s", sc.Name, sc.Variant, sc.Function, what, who.arn, why)
			}
		}
	}
}
