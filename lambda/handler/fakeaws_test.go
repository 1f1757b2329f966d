package handler_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// fakeAWS is an in-memory AWS for the organisation lifecycle test: the
// few calls an organisation run makes of Organizations (ListAccounts), STS
// (AssumeRole), IAM (the credential report and the account facts, per
// member account by the credentials AssumeRole handed out), S3 (objects of
// one bucket, with the conditional writes the state store uses) and SNS
// (Publish), answered as the services answer them, so that the function
// runs its own code over the SDK without an emulator. Faults are set per
// call.
type fakeAWS struct {
	mu sync.Mutex

	// Organizations: the accounts ListAccounts returns, in order.
	orgAccounts []fakeOrgAccount

	// STS: roles whose AssumeRole is refused.
	denyRole map[string]bool

	// IAM, by account.
	iam map[string]*fakeIAMAccount

	// S3: the bucket's objects and their ETags; faults by key.
	objects map[string][]byte
	etags   map[string]string
	version int
	getFail map[string]bool // GetObject of the key fails (503)
	putFail map[string]bool // PutObject of the key fails (503)

	// SNS: what Publish received; publishFail refuses the next n calls
	// (-1: every call).
	published   []fakeMessage
	publishFail int
	publishes   int // Publish calls, sent or refused
}

type fakeOrgAccount struct {
	ID, Name, Status string
}

type fakeIAMAccount struct {
	report       []byte
	generated    time.Time
	alias        string
	reportDenied bool // GetCredentialReport is refused
	factsDenied  bool // GetAccountSummary is refused
}

type fakeMessage struct {
	Subject, Body, Kind string
}

func newFakeAWS() *fakeAWS {
	return &fakeAWS{denyRole: map[string]bool{}, iam: map[string]*fakeIAMAccount{}, objects: map[string][]byte{}, etags: map[string]string{},
		getFail: map[string]bool{}, putFail: map[string]bool{}}
}

// config is an AWS configuration whose every call f answers.
func (f *fakeAWS) config() aws.Config {
	return aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAFUNCTION", "secret", ""),
		HTTPClient:  f,
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

var credentialAKID = regexp.MustCompile(`Credential=([A-Z0-9]+)/`)

// Do answers one request.
func (f *fakeAWS) Do(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
	}
	host := req.URL.Host
	switch {
	case strings.HasPrefix(host, "organizations."):
		return f.organizations(req, body)
	case strings.HasPrefix(host, "sts."):
		return f.sts(body)
	case strings.HasPrefix(host, "iam."):
		akid := credentialAKID.FindStringSubmatch(req.Header.Get("Authorization"))
		if akid == nil || !strings.HasPrefix(akid[1], "ASIA") {
			return queryError(403, "AccessDenied", "not a member role's session"), nil
		}
		return f.iamCall(strings.TrimPrefix(akid[1], "ASIA"), body)
	case strings.HasPrefix(host, "sns."):
		return f.sns(body)
	case strings.Contains(host, "s3."):
		return f.s3(req, body)
	}
	return nil, fmt.Errorf("fakeAWS: no service at %s", req.URL)
}

func respond(status int, contentType, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: http.Header{"Content-Type": {contentType}, "X-Amzn-Requestid": {"req"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

func queryResponse(action, result string) *http.Response {
	return respond(200, "text/xml", fmt.Sprintf("<%sResponse><%sResult>%s</%sResult><ResponseMetadata><RequestId>req</RequestId></ResponseMetadata></%sResponse>",
		action, action, result, action, action))
}

func queryError(status int, code, msg string) *http.Response {
	return respond(status, "text/xml", fmt.Sprintf("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req</RequestId></ErrorResponse>",
		code, html.EscapeString(msg)))
}

func (f *fakeAWS) organizations(req *http.Request, _ []byte) (*http.Response, error) {
	if target := req.Header.Get("X-Amz-Target"); !strings.HasSuffix(target, ".ListAccounts") {
		return nil, fmt.Errorf("fakeAWS: Organizations %s", target)
	}
	type account struct {
		Id, Arn, Email, Name, Status string
	}
	var out struct{ Accounts []account }
	for _, a := range f.orgAccounts {
		out.Accounts = append(out.Accounts, account{Id: a.ID, Arn: "arn:aws:organizations::111111111111:account/o-abcdefghij/" + a.ID,
			Email: a.ID + "@example.com", Name: a.Name, Status: a.Status})
	}
	data, _ := json.Marshal(out)
	return respond(200, "application/x-amz-json-1.1", string(data)), nil
}

func (f *fakeAWS) sts(body []byte) (*http.Response, error) {
	form, _ := url.ParseQuery(string(body))
	role := form.Get("RoleArn")
	if form.Get("Action") != "AssumeRole" {
		return nil, fmt.Errorf("fakeAWS: STS %s", form.Get("Action"))
	}
	if f.denyRole[role] {
		return queryError(403, "AccessDenied", "User: arn:aws:sts::111111111111:assumed-role/auditor/fn is not authorized to perform: sts:AssumeRole on resource: "+role), nil
	}
	acct := strings.Split(role, ":")[4]
	return queryResponse("AssumeRole", fmt.Sprintf("<Credentials><AccessKeyId>ASIA%s</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"+
		"<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>%s/credaudit</Arn><AssumedRoleId>AROA:credaudit</AssumedRoleId></AssumedRoleUser>",
		acct, html.EscapeString(role))), nil
}

func (f *fakeAWS) iamCall(acct string, body []byte) (*http.Response, error) {
	form, _ := url.ParseQuery(string(body))
	a := f.iam[acct]
	if a == nil {
		return queryError(403, "AccessDenied", "no such account"), nil
	}
	switch action := form.Get("Action"); action {
	case "GetCredentialReport":
		if a.reportDenied {
			return queryError(403, "AccessDenied", "User is not authorized to perform: iam:GetCredentialReport"), nil
		}
		return queryResponse(action, fmt.Sprintf("<Content>%s</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>%s</GeneratedTime>",
			base64.StdEncoding.EncodeToString(a.report), a.generated.UTC().Format(time.RFC3339))), nil
	case "GenerateCredentialReport":
		return queryResponse(action, "<State>COMPLETE</State>"), nil
	case "GetAccountSummary":
		if a.factsDenied {
			return queryError(403, "AccessDenied", "User is not authorized to perform: iam:GetAccountSummary with an explicit deny in a service control policy"), nil
		}
		return queryResponse(action, "<SummaryMap><entry><key>AccountMFAEnabled</key><value>1</value></entry><entry><key>AccountPasswordPresent</key><value>1</value></entry></SummaryMap>"), nil
	case "ListVirtualMFADevices":
		return queryResponse(action, "<IsTruncated>false</IsTruncated><VirtualMFADevices></VirtualMFADevices>"), nil
	case "ListAccountAliases":
		aliases := ""
		if a.alias != "" {
			aliases = "<member>" + a.alias + "</member>"
		}
		return queryResponse(action, "<IsTruncated>false</IsTruncated><AccountAliases>"+aliases+"</AccountAliases>"), nil
	default:
		return nil, fmt.Errorf("fakeAWS: IAM %s", action)
	}
}

func (f *fakeAWS) sns(body []byte) (*http.Response, error) {
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") != "Publish" {
		return nil, fmt.Errorf("fakeAWS: SNS %s", form.Get("Action"))
	}
	f.publishes++
	if f.publishFail != 0 {
		if f.publishFail > 0 {
			f.publishFail--
		}
		return queryError(500, "InternalError", "injected by the test"), nil
	}
	m := fakeMessage{Subject: form.Get("Subject"), Body: form.Get("Message")}
	for i := 1; form.Has(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)); i++ {
		if form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Name", i)) == "kind" {
			m.Kind = form.Get(fmt.Sprintf("MessageAttributes.entry.%d.Value.StringValue", i))
		}
	}
	f.published = append(f.published, m)
	return queryResponse("Publish", "<MessageId>m</MessageId>"), nil
}

// s3 serves the objects of one bucket, whatever its name, by path-style or
// virtual-hosted URL.
func (f *fakeAWS) s3(req *http.Request, body []byte) (*http.Response, error) {
	key := strings.TrimPrefix(req.URL.Path, "/")
	if strings.HasPrefix(req.URL.Host, "s3.") { // path style: /bucket/key
		_, key, _ = strings.Cut(key, "/")
	}
	key, _ = url.PathUnescape(key)
	s3Error := func(status int, code string) *http.Response {
		return respond(status, "application/xml", "<Error><Code>"+code+"</Code><Message>"+code+"</Message><RequestId>req</RequestId></Error>")
	}
	switch req.Method {
	case http.MethodGet:
		if f.getFail[key] {
			return s3Error(503, "ServiceUnavailable"), nil
		}
		data, ok := f.objects[key]
		if !ok {
			return s3Error(404, "NoSuchKey"), nil
		}
		r := respond(200, "application/octet-stream", string(data))
		r.Header.Set("ETag", f.etags[key])
		return r, nil
	case http.MethodPut:
		if f.putFail[key] {
			return s3Error(503, "ServiceUnavailable"), nil
		}
		etag, exists := f.etags[key]
		if m := req.Header.Get("If-None-Match"); m == "*" && exists {
			return s3Error(412, "PreconditionFailed"), nil
		}
		if m := req.Header.Get("If-Match"); m != "" && !exists {
			return s3Error(404, "NoSuchKey"), nil
		} else if m != "" && m != etag {
			return s3Error(412, "PreconditionFailed"), nil
		}
		if req.Header.Get("Content-Encoding") == "aws-chunked" || strings.Contains(req.Header.Get("X-Amz-Content-Sha256"), "STREAMING") {
			return nil, fmt.Errorf("fakeAWS: chunked uploads are not served")
		}
		f.version++
		f.objects[key] = slices.Clone(body)
		f.etags[key] = fmt.Sprintf("\"v%d\"", f.version)
		r := respond(200, "application/xml", "")
		r.Header.Set("ETag", f.etags[key])
		return r, nil
	}
	return nil, fmt.Errorf("fakeAWS: S3 %s %s", req.Method, key)
}

// object is a copy of the object at key, nil when there is none.
func (f *fakeAWS) object(key string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Clone(f.objects[key])
}

func (f *fakeAWS) put(key string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	f.objects[key] = data
	f.etags[key] = fmt.Sprintf("\"v%d\"", f.version)
}

// take returns the messages published since the last take.
func (f *fakeAWS) take() []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.published
	f.published = nil
	return out
}
