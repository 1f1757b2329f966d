package publish

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// Marshal returns f as JSON the way the SDK writes it on the wire: nil
// pointers, slices and maps and empty enumerations left out, member names as
// the Go field names (which for ASFF are the wire names), members and map
// keys sorted by name.
// Import measures findings with it against the 240 KB and 6 MB limits; the
// golden files are this, indented.
//
// encoding/json cannot do this: the SDK types have no json tags, so it would
// write every absent member as null, several times the real size.
func Marshal(f types.AwsSecurityFinding) ([]byte, error) {
	return appendValue(make([]byte, 0, 2048), reflect.ValueOf(f))
}

var timeType = reflect.TypeFor[time.Time]()

func appendValue(b []byte, v reflect.Value) ([]byte, error) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		if v.Kind() == reflect.Interface {
			// Smithy documents and the like: not used in ASFF findings we build.
			raw, err := json.Marshal(v.Interface())
			if err != nil {
				return nil, fmt.Errorf("marshal %s: %w", v.Type(), err)
			}
			return append(b, raw...), nil
		}
		return appendValue(b, v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			// The SDK writes timestamps outside ASFF strings as epoch seconds.
			t := v.Interface().(time.Time)
			return strconv.AppendFloat(b, float64(t.UnixNano())/1e9, 'f', -1, 64), nil
		}
		b = append(b, '{')
		first := true
		for _, sf := range sortedFields(v.Type()) {
			fv := v.FieldByIndex(sf.Index)
			if omitted(fv) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, sf.Name)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, fv); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case reflect.Slice, reflect.Array:
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, v.Index(i)); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(x.String(), y.String()) })
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k.String())
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, v.MapIndex(k)); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case reflect.String:
		return appendString(b, v.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.AppendFloat(b, v.Float(), 'g', -1, 64), nil
	}
	return nil, fmt.Errorf("marshal %s: unsupported kind %s", v.Type(), v.Kind())
}

// fieldCache holds each struct type's exported fields sorted by name, the
// order the SDK serializer writes them in.
var fieldCache sync.Map // reflect.Type → []reflect.StructField

func sortedFields(t reflect.Type) []reflect.StructField {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]reflect.StructField)
	}
	var fs []reflect.StructField
	for i := range t.NumField() {
		if sf := t.Field(i); sf.IsExported() {
			fs = append(fs, sf)
		}
	}
	slices.SortFunc(fs, func(a, b reflect.StructField) int { return strings.Compare(a.Name, b.Name) })
	fieldCache.Store(t, fs)
	return fs
}

// omitted reports whether the SDK serializer leaves a struct member out: nil
// references, and zero non-pointer scalars (enumerations are strings).
func omitted(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return v.IsNil()
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return v.IsZero()
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string without HTML escaping (user names
// such as <root_account> stay readable), invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
