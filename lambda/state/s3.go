package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// DefaultPrefix is where states live in the bucket.
const DefaultPrefix = "state/"

// S3Options configure an S3 store.
type S3Options struct {
	// Prefix is the key prefix, DefaultPrefix when empty; a "/" is added
	// if it lacks one.
	Prefix string
	// UsePathStyle addresses the bucket in the path (http://host/bucket/key)
	// instead of the host name. Emulators such as moto need it; S3 accepts
	// both.
	UsePathStyle bool
}

// Hint says what to check after Load or Save failed with err: the object
// (the bucket is versioned) or the bucket and the role's permissions.
func (st *S3) Hint(err error) string {
	return hint(err, "the stored state is not one credaudit wrote; restore an earlier version of the object (the bucket is versioned)",
		"check the state bucket exists and the function's role may s3:GetObject, s3:PutObject and s3:ListBucket on its state/ prefix.")
}

// objectAPI is the part of the S3 client the store uses.
type objectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ObjectPutter
}

// ObjectPutter is the part of an S3 client PutIf uses.
type ObjectPutter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3 keeps states as objects s3://<bucket>/<prefix><account>.json.gz, for
// the Lambda. Save is a conditional write: If-None-Match: * when Load found
// no object, If-Match: <ETag> otherwise, so of two overlapping runs only
// the first to save wins and the other gets ErrConflict.
//
// The object is stored as application/gzip without a Content-Encoding, so
// no HTTP layer decompresses it on the way back.
type S3 struct {
	client objectAPI
	bucket string
	prefix string
}

// NewS3 returns a store in bucket with a client built from cfg. Build it
// once, at cold start.
func NewS3(cfg aws.Config, bucket string, o S3Options) *S3 {
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.UsePathStyle = o.UsePathStyle
		// The state is gzip with its own integrity check; a missing response
		// checksum (emulators, some endpoints) is not worth a log line per run.
		so.DisableLogOutputChecksumValidationSkipped = true
	})
	prefix := o.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &S3{client: client, bucket: bucket, prefix: prefix}
}

// DeliveryMetadata is the user metadata key (x-amz-meta-credaudit-delivery)
// under which S3 keeps a state's Delivery.
const DeliveryMetadata = "credaudit-delivery"

// Key is the object key of accountID's state.
func (st *S3) Key(accountID string) string { return st.prefix + accountID + ".json.gz" }

// Load reads accountID's state.
func (st *S3) Load(ctx context.Context, accountID string) (*State, Token, error) {
	if err := validAccountID(accountID); err != nil {
		return nil, NoObject, fmt.Errorf("load state: %w", err)
	}
	key := st.Key(accountID)
	out, err := st.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key)})
	if err != nil {
		var missing *types.NoSuchKey
		if errors.As(err, &missing) {
			return New(accountID), NoObject, nil
		}
		return nil, NoObject, fmt.Errorf("load state s3://%s/%s: %w", st.bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, int64(maxDecoded)+1))
	if err != nil {
		return nil, NoObject, fmt.Errorf("load state s3://%s/%s: %w", st.bucket, key, err)
	}
	token, err := ETagToken(out.ETag)
	if err != nil {
		return nil, NoObject, fmt.Errorf("load state s3://%s/%s: %w", st.bucket, key, err)
	}
	s, err := decodeFor(accountID, data)
	if err != nil {
		return nil, NoObject, fmt.Errorf("load state s3://%s/%s: %w", st.bucket, key, err)
	}
	s.Delivery = out.Metadata[DeliveryMetadata]
	return s, token, nil
}

// Save writes accountID's state if the object is still the one Load read.
func (st *S3) Save(ctx context.Context, accountID string, s *State, token Token) (Token, error) {
	if err := validAccountID(accountID); err != nil {
		return NoObject, fmt.Errorf("save state: %w", err)
	}
	key := st.Key(accountID)
	data, err := encodeFor(accountID, s)
	if err != nil {
		return NoObject, fmt.Errorf("save state s3://%s/%s: %w", st.bucket, key, err)
	}
	in := &s3.PutObjectInput{
		Bucket:      aws.String(st.bucket),
		Key:         aws.String(key),
		Body:        bytes.NewReader(data),
		ContentType: aws.String("application/gzip"),
	}
	if s.Delivery != "" {
		in.Metadata = map[string]string{DeliveryMetadata: s.Delivery}
	}
	out, err := PutIf(ctx, st.client, in, token)
	if err == nil {
		token, err = ETagToken(out.ETag)
	}
	if err != nil {
		return NoObject, fmt.Errorf("save state s3://%s/%s: %w", st.bucket, key, err)
	}
	return token, nil
}

// ETagToken is the Token of an object GetObject returned with etag, for
// PutIf; an object without an ETag cannot be written over safely.
func ETagToken(etag *string) (Token, error) {
	if aws.ToString(etag) == "" {
		return NoObject, errors.New("no ETag, so no safe conditional write")
	}
	return Token(*etag), nil
}

// PutIf writes in only over the object's version token names, as Save
// writes a state (and the function its other objects kept across runs):
// If-None-Match: * for NoObject, If-Match: <ETag> otherwise. A failed
// condition is an error that wraps ErrConflict, and nothing is written.
func PutIf(ctx context.Context, client ObjectPutter, in *s3.PutObjectInput, token Token) (*s3.PutObjectOutput, error) {
	if token == NoObject {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(string(token))
	}
	out, err := client.PutObject(ctx, in)
	if err != nil {
		if isConflict(err, token != NoObject) {
			return nil, fmt.Errorf("%w (%w)", ErrConflict, err)
		}
		return nil, err
	}
	return out, nil
}

// isConflict reports whether a PutObject error means the condition failed:
// 412 PreconditionFailed (the object changed, or exists when If-None-Match
// was *), 409 ConditionalRequestConflict (a concurrent conditional write won),
// or, for If-Match, 404 NoSuchKey (the object was deleted since Load).
func isConflict(err error, ifMatch bool) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "PreconditionFailed", "ConditionalRequestConflict":
		return true
	case "NoSuchKey":
		return ifMatch
	}
	return false
}
