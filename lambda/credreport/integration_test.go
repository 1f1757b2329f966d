package credreport_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/internal/emulator"

	"github.com/credaudit/credaudit/lambda/credreport"
)

// These tests run the real SDK over HTTP against the moto server that
// `make test` starts (scripts/with-moto.sh). moto 5.2.5's credential report
// differs from real IAM; each difference is noted where it is asserted:
//
//   - no <root_account> row;
//   - GeneratedTime is always 2015-02-02T20:02:02Z;
//   - GenerateCredentialReport says STARTED once, then COMPLETE; the report is
//     readable at once (never INPROGRESS, ReportInProgress or ReportExpired);
//   - password_last_changed is the user's creation time even without a password;
//   - password_last_used is not_supported for a user without a password (IAM: N/A);
//   - password_next_rotation is always not_supported (IAM: N/A or a date);
//   - access_key_N_last_used_region/_service are always not_supported (IAM: N/A);
//   - cert_N_last_rotated is always N/A, even for an active certificate.
//
// moto state is global: the tests reset it and must not run in parallel.

// motoClient returns an IAM client for the moto server named by
// AWS_ENDPOINT_URL, after resetting moto's state. Without a server it skips,
// or fails when CI is set.
func motoClient(t *testing.T) *iam.Client {
	t.Helper()
	cfg := emulator.Config(t)
	emulator.Reset(t)
	return iam.NewFromConfig(cfg)
}

// motoFetcher polls quickly: moto's report is ready on the second Generate.
func motoFetcher(client credreport.API) *credreport.Fetcher {
	return &credreport.Fetcher{
		Client:         client,
		InitialBackoff: 10 * time.Millisecond,
		MaxBackoff:     100 * time.Millisecond,
		DeadlineMargin: time.Second,
	}
}

// selfSignedPEM returns a throwaway self-signed X.509 certificate.
func selfSignedPEM(t *testing.T, cn string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// userFacts is what the test set up for a user, as the report shows it.
type userFacts struct {
	ARN                  string
	PasswordEnabled      credreport.Bool
	PasswordLastUsed     credreport.State
	PasswordLastChanged  credreport.State
	PasswordNextRotation credreport.State
	MFAActive            credreport.Bool
	Key1Active           credreport.Bool
	Key1LastRotated      credreport.State
	Key1LastUsed         credreport.State
	Key1LastUsedRegion   credreport.State
	Key2Active           credreport.Bool
	Key2LastRotated      credreport.State
	Cert1Active          credreport.Bool
	Cert1LastRotated     credreport.State
	Cert2Active          credreport.Bool
}

func factsOf(e *credreport.Entry) userFacts {
	return userFacts{
		ARN:                  e.ARN,
		PasswordEnabled:      e.PasswordEnabled,
		PasswordLastUsed:     e.PasswordLastUsed.State,
		PasswordLastChanged:  e.PasswordLastChanged.State,
		PasswordNextRotation: e.PasswordNextRotation.State,
		MFAActive:            e.MFAActive,
		Key1Active:           e.AccessKeys[0].Active,
		Key1LastRotated:      e.AccessKeys[0].LastRotated.State,
		Key1LastUsed:         e.AccessKeys[0].LastUsedDate.State,
		Key1LastUsedRegion:   e.AccessKeys[0].LastUsedRegion.State,
		Key2Active:           e.AccessKeys[1].Active,
		Key2LastRotated:      e.AccessKeys[1].LastRotated.State,
		Cert1Active:          e.Certs[0].Active,
		Cert1LastRotated:     e.Certs[0].LastRotated.State,
		Cert2Active:          e.Certs[1].Active,
	}
}

var (
	yes = credreport.Bool{V: true, State: credreport.Set}
	no  = credreport.Bool{V: false, State: credreport.Set}
)

func TestMotoReportShowsEachUsersCredentials(t *testing.T) {
	client := motoClient(t)
	ctx := t.Context()
	createdFrom := time.Now().UTC().Truncate(time.Second)

	user := func(name, path string) {
		in := &iam.CreateUserInput{UserName: aws.String(name)}
		if path != "" {
			in.Path = aws.String(path)
		}
		if _, err := client.CreateUser(ctx, in); err != nil {
			t.Fatalf("create user %s: %v", name, err)
		}
	}
	password := func(name string) {
		if _, err := client.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{
			UserName: aws.String(name), Password: aws.String("Correct-Horse-Battery-9"),
		}); err != nil {
			t.Fatalf("create login profile %s: %v", name, err)
		}
	}

	user("console-mfa", "/engineering/")
	password("console-mfa")
	device, err := client.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String("console-mfa"),
	})
	if err != nil {
		t.Fatalf("create virtual MFA device: %v", err)
	}
	// moto accepts any two 6-digit codes; IAM needs two consecutive TOTP codes.
	if _, err := client.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{
		UserName: aws.String("console-mfa"), SerialNumber: device.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321"),
	}); err != nil {
		t.Fatalf("enable MFA device: %v", err)
	}

	user("console-no-mfa", "")
	password("console-no-mfa")

	user("two-keys", "")
	var key2 *iam.CreateAccessKeyOutput
	for n := range 2 {
		if key2, err = client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("two-keys")}); err != nil {
			t.Fatalf("create access key %d: %v", n+1, err)
		}
	}
	if _, err := client.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		UserName: aws.String("two-keys"), AccessKeyId: key2.AccessKey.AccessKeyId, Status: types.StatusTypeInactive,
	}); err != nil {
		t.Fatalf("deactivate access key 2: %v", err)
	}

	user("signing-cert", "")
	if _, err := client.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{
		UserName: aws.String("signing-cert"), CertificateBody: aws.String(selfSignedPEM(t, "signing-cert")),
	}); err != nil {
		t.Fatalf("upload signing certificate: %v", err)
	}

	user("nothing", "")
	createdTo := time.Now().UTC().Add(time.Second)

	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	r, err := motoFetcher(client).Report(fctx)
	if err != nil {
		t.Fatalf("Report: %v", err)
	}

	if r.AccountID != "123456789012" || r.Partition != "aws" {
		t.Errorf("account %s/%s, want aws/123456789012", r.Partition, r.AccountID)
	}
	if r.Root != nil { // moto writes no root row; real IAM always does
		t.Errorf("report has a root row %q; moto 5.2.5 writes none", r.Root.ARN)
	}
	if r.GeneratedTime.IsZero() { // moto: always 2015-02-02T20:02:02Z
		t.Error("Report.GeneratedTime is zero, want GetCredentialReport's GeneratedTime")
	}
	if diff := cmp.Diff(iamHeader, r.Header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}

	const acct = "arn:aws:iam::123456789012:user/"
	// What every user without a password or keys shows in moto.
	base := userFacts{
		PasswordEnabled:      no,
		PasswordLastUsed:     credreport.NotSupported, // IAM: N/A
		PasswordLastChanged:  credreport.Set,          // moto: creation time; IAM: N/A
		PasswordNextRotation: credreport.NotSupported, // IAM: N/A
		MFAActive:            no,
		Key1Active:           no,
		Key1LastRotated:      credreport.NotApplicable,
		Key1LastUsed:         credreport.NotApplicable,
		Key1LastUsedRegion:   credreport.NotSupported, // IAM: N/A
		Key2Active:           no,
		Key2LastRotated:      credreport.NotApplicable,
		Cert1Active:          no,
		Cert1LastRotated:     credreport.NotApplicable,
		Cert2Active:          no,
	}
	with := func(arn string, change func(*userFacts)) userFacts {
		f := base
		f.ARN = acct + arn
		change(&f)
		return f
	}
	want := map[string]userFacts{
		"console-mfa": with("engineering/console-mfa", func(f *userFacts) {
			f.PasswordEnabled = yes
			f.PasswordLastUsed = credreport.NoInformation // never signed in
			f.MFAActive = yes
		}),
		"console-no-mfa": with("console-no-mfa", func(f *userFacts) {
			f.PasswordEnabled = yes
			f.PasswordLastUsed = credreport.NoInformation
		}),
		"two-keys": with("two-keys", func(f *userFacts) {
			f.Key1Active = yes
			f.Key1LastRotated = credreport.Set
			// Inactive key 2 keeps its date, as in real IAM.
			f.Key2Active = no
			f.Key2LastRotated = credreport.Set
		}),
		"signing-cert": with("signing-cert", func(f *userFacts) {
			f.Cert1Active = yes
			f.Cert1LastRotated = credreport.NotApplicable // moto; IAM: upload time
		}),
		"nothing": with("nothing", func(*userFacts) {}),
	}

	got := make(map[string]userFacts, len(r.Users))
	for _, e := range r.Users {
		got[e.User] = factsOf(e)
		created, ok := e.UserCreationTime.Get()
		if !ok || created.Before(createdFrom) || created.After(createdTo) {
			t.Errorf("%s: user_creation_time %v (%v), want between %v and %v", e.User, created, e.UserCreationTime.State, createdFrom, createdTo)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}

	twoKeys, ok := r.User("two-keys")
	if !ok {
		t.Fatal(`no row for "two-keys"`)
	}
	for n, k := range twoKeys.AccessKeys {
		if at, ok := k.LastRotated.Get(); !ok || at.Before(createdFrom) || at.After(createdTo) {
			t.Errorf("two-keys access key %d last rotated %v, want between %v and %v", n+1, at, createdFrom, createdTo)
		}
	}
}

// iamHeader is IAM's 22 columns in order.
var iamHeader = func() []string {
	names := make([]string, len(credreport.Columns))
	for i, c := range credreport.Columns {
		names[i] = c.Name
	}
	return names
}()

func TestMotoFirstGetIsReportNotPresentAndFetchGenerates(t *testing.T) {
	client := motoClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("someone")}); err != nil {
		t.Fatalf("create user: %v", err)
	}

	_, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	var notPresent *types.CredentialReportNotPresentException
	if !errors.As(err, &notPresent) {
		t.Fatalf("first GetCredentialReport error = %v, want ReportNotPresent", err)
	}

	got, err := motoFetcher(client).Fetch(ctx)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	// Get (ReportNotPresent), Generate (STARTED), wait, Generate (COMPLETE), Get.
	if !got.Generated || got.Attempts != 4 {
		t.Errorf("Fetch: Generated %v after %d attempts, want true after 4", got.Generated, got.Attempts)
	}
	r, err := credreport.Parse(got.Content)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if names := credreport.Table(r.Users).Names(); !slices.Equal(names, []string{"someone"}) {
		t.Errorf("users %v, want [someone]", names)
	}
}

func TestMotoReportReusedWhenFreshRegeneratedWhenStale(t *testing.T) {
	client := motoClient(t)
	ctx := t.Context()
	if _, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err != nil {
		t.Fatalf("GenerateCredentialReport: %v", err)
	}
	out, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatalf("GetCredentialReport: %v", err)
	}
	generated := aws.ToTime(out.GeneratedTime) // moto: fixed, 2015-02-02T20:02:02Z

	tests := []struct {
		name string
		age  time.Duration
		want credreport.Fetched
	}{
		{"report one hour old reused", time.Hour, credreport.Fetched{GeneratedTime: generated, Attempts: 1}},
		// Get (stale), Generate (COMPLETE), Get.
		{"report five hours old regenerated", 5 * time.Hour, credreport.Fetched{GeneratedTime: generated, Generated: true, Attempts: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := motoFetcher(client)
			f.Now = func() time.Time { return generated.Add(tt.age) }
			got, err := f.Fetch(ctx)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(got.Content) == 0 {
				t.Error("Fetch returned no content")
			}
			got.Content = nil
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("Fetch (-want +got):\n%s", diff)
			}
		})
	}
}
