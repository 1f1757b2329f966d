package state

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/credaudit/credaudit/lambda/internal/emulator"
)

// These tests run the real SDK over HTTP against the moto server that
// `make test` starts (scripts/with-moto.sh). moto 5.2.5 honours PutObject's
// If-None-Match: * (412 PreconditionFailed when the key exists) and If-Match
// (412 when the ETag differs, 404 NoSuchKey when the key is gone). It never
// returns 409 ConditionalRequestConflict, which only S3's concurrent
// conditional writes produce; TestIsConflict covers its mapping. Each test
// makes its own bucket and never resets moto, which other packages' tests
// share.

// motoBucket creates a uniquely named bucket and returns a client for it.
func motoBucket(t *testing.T, cfg aws.Config) (*s3.Client, string) {
	t.Helper()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	bucket := "credaudit-state-test-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
	return client, bucket
}

func TestS3(t *testing.T) {
	cfg := emulator.Config(t)
	testStore(t, func(t *testing.T) storeUnderTest {
		client, bucket := motoBucket(t, cfg)
		st := NewS3(cfg, bucket, S3Options{UsePathStyle: true})
		return storeUnderTest{
			store: st,
			put: func(t *testing.T, accountID string, data []byte) {
				t.Helper()
				_, err := client.PutObject(t.Context(), &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(st.Key(accountID)), Body: bytes.NewReader(data),
				})
				if err != nil {
					t.Fatal(err)
				}
			},
		}
	})
}

func TestS3KeyAndPrefix(t *testing.T) {
	cfg := emulator.Config(t)
	tests := []struct {
		name   string
		prefix string
		want   string
	}{
		{"default prefix", "", "state/" + acct + ".json.gz"},
		{"custom prefix", "credaudit/states/", "credaudit/states/" + acct + ".json.gz"},
		{"prefix without a slash", "audit", "audit/" + acct + ".json.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, bucket := motoBucket(t, cfg)
			st := NewS3(cfg, bucket, S3Options{Prefix: tt.prefix, UsePathStyle: true})
			if got := st.Key(acct); got != tt.want {
				t.Errorf("Key = %q, want %q", got, tt.want)
			}
			if _, err := st.Save(t.Context(), acct, sample(), NoObject); err != nil {
				t.Fatal(err)
			}
			head, err := client.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(tt.want)})
			if err != nil {
				t.Fatalf("the state is not at %s: %v", tt.want, err)
			}
			if got := aws.ToString(head.ContentType); got != "application/gzip" {
				t.Errorf("Content-Type = %q, want application/gzip", got)
			}
			if got := aws.ToString(head.ContentEncoding); got != "" {
				t.Errorf("Content-Encoding = %q, want none (a client could decompress it on the way back)", got)
			}
		})
	}
}

func TestS3SaveOverADeletedStateConflicts(t *testing.T) {
	cfg := emulator.Config(t)
	client, bucket := motoBucket(t, cfg)
	st := NewS3(cfg, bucket, S3Options{UsePathStyle: true})
	if _, err := st.Save(t.Context(), acct, sample(), NoObject); err != nil {
		t.Fatal(err)
	}
	s, tok, err := st.Load(t.Context(), acct)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(st.Key(acct))}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(t.Context(), acct, s, tok); !errors.Is(err, ErrConflict) {
		t.Errorf("save over a deleted state: error = %v, want ErrConflict", err)
	}
}

func TestS3MissingBucketIsAnError(t *testing.T) {
	cfg := emulator.Config(t)
	st := NewS3(cfg, "credaudit-state-test-no-such-bucket", S3Options{UsePathStyle: true})
	s, _, err := st.Load(t.Context(), acct)
	if err == nil || s != nil {
		t.Errorf("Load from a missing bucket = %v, %v; want an error, not an empty state", s, err)
	}
	if _, err := st.Save(t.Context(), acct, sample(), NoObject); err == nil || errors.Is(err, ErrConflict) {
		t.Errorf("Save to a missing bucket error = %v, want a non-conflict error", err)
	}
}

func TestIsConflict(t *testing.T) {
	apiErr := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	tests := []struct {
		name    string
		err     error
		ifMatch bool
		want    bool
	}{
		{"412 precondition failed", apiErr("PreconditionFailed"), false, true},
		{"409 conditional request conflict", apiErr("ConditionalRequestConflict"), true, true},
		{"wrapped precondition failed", errors.Join(errors.New("operation error"), apiErr("PreconditionFailed")), true, true},
		{"404 on If-Match: deleted since Load", apiErr("NoSuchKey"), true, true},
		{"404 without If-Match", apiErr("NoSuchKey"), false, false},
		{"access denied", apiErr("AccessDenied"), false, false},
		{"no API error", errors.New("PreconditionFailed"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isConflict(tt.err, tt.ifMatch); got != tt.want {
				t.Errorf("isConflict = %v, want %v", got, tt.want)
			}
		})
	}
}

// The S3 store's hints speak of the bucket, its versions and the role.
func TestS3Hints(t *testing.T) {
	st := NewS3(aws.Config{}, "bucket", S3Options{})
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"an object that is not a state", fmt.Errorf("load state: %w", ErrCorrupt), "restore an earlier version of the object (the bucket is versioned)"},
		{"access denied", errors.New("api error AccessDenied"), "s3:GetObject, s3:PutObject and s3:ListBucket"},
		{"a deadline", fmt.Errorf("save state: %w", context.DeadlineExceeded), "ran out of time"},
		{"another version's state", fmt.Errorf("load state: %w", ErrVersion), "written by another credaudit version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := st.Hint(tc.err); !strings.Contains(got, tc.want) {
				t.Errorf("Hint(%v) = %q, want it to say %q", tc.err, got, tc.want)
			}
		})
	}
}

// A state's Delivery is kept as the object's metadata, not in the encoded
// state: each save says its own (none when it has none), and the object
// decodes with any build.
func TestS3KeepsTheDeliveryAsMetadata(t *testing.T) {
	cfg := emulator.Config(t)
	client, bucket := motoBucket(t, cfg)
	st := NewS3(cfg, bucket, S3Options{UsePathStyle: true})
	tok := NoObject
	for i, delivery := range []string{"4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21", "", "89d1a02d-5ec7-412e-82f5-13505f849b41"} {
		s := sample()
		s.Delivery = delivery
		var err error
		if tok, err = st.Save(t.Context(), acct, s, tok); err != nil {
			t.Fatal(err)
		}
		got, _, err := st.Load(t.Context(), acct)
		if err != nil {
			t.Fatal(err)
		}
		if got.Delivery != delivery {
			t.Errorf("save %d: Load's Delivery = %q, want %q", i+1, got.Delivery, delivery)
		}
		obj, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(st.Key(acct))})
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		_, err = body.ReadFrom(obj.Body)
		obj.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(body.Bytes()); err != nil {
			t.Fatalf("save %d: the object does not decode: %v", i+1, err)
		}
		zr, err := gzip.NewReader(&body)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if delivery != "" && bytes.Contains(plain, []byte(delivery)) {
			t.Errorf("save %d: the encoded state holds the delivery: %s", i+1, plain)
		}
		if got := obj.Metadata[DeliveryMetadata]; got != delivery {
			t.Errorf("save %d: metadata %s = %q, want %q", i+1, DeliveryMetadata, got, delivery)
		}
	}
}
