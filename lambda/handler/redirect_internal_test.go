package handler

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// A configuration in another region's bucket is read there: S3 answers the
// function's region with a redirect naming the bucket's, which the SDK does
// not follow. A redirect that names no region stays the error it is.
func TestReadObjectFollowsTheBucketsRegion(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		want         string // the body read, or a piece of the error
		requests     int
	}{
		{"the bucket's region named", "us-east-2", "profile: all\n", 2},
		{"no region named", "", "StatusCode: 301", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests++
				if strings.Contains(r.Header.Get("Authorization"), "/us-east-2/s3/aws4_request") {
					w.Header().Set("ETag", `"e1"`)
					io.WriteString(w, "profile: all\n")
					return
				}
				if tc.header != "" {
					w.Header().Set("X-Amz-Bucket-Region", tc.header)
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusMovedPermanently)
				io.WriteString(w, `<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>`)
			}))
			defer srv.Close()
			t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL) // path-style addressing
			h := &Handler{AWS: aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
				Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}}
			data, _, err := h.readObject(context.Background(), Location{Bucket: "central-config", Key: "credaudit.yaml"}, 1<<20)
			got := string(data)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) || requests != tc.requests {
				t.Errorf("read %q after %d requests, want %q after %d", got, requests, tc.want, tc.requests)
			}
		})
	}
}
