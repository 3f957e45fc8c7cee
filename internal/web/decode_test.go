package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
)

// fieldOf returns the field and rule of a validation error, or fails.
func fieldOf(t testing.TB, err error) (string, string) {
	t.Helper()
	var e *keyward.Error
	if !errors.As(err, &e) || e.Code != keyward.EINVALID || len(e.Fields) != 1 {
		t.Fatalf("error %v is not one field error", err)
	}
	return e.Fields[0].Field, e.Fields[0].Rule
}

func decodeString(body string, v any) error {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	return decode(r, v)
}

// TestDecodeStrict is the decoder's rule table: what it accepts, and for what
// it refuses, the member it names and a word of the rule.
func TestDecodeStrict(t *testing.T) {
	type inner struct {
		Name string `json:"name"`
	}
	type embedded struct {
		Note string `json:"note"`
	}
	type target struct {
		embedded
		Name   string            `json:"name"`
		Count  int               `json:"count"`
		Small  int8              `json:"small"`
		Ratio  float64           `json:"ratio"`
		On     bool              `json:"on"`
		At     time.Time         `json:"at"`
		Until  *time.Time        `json:"until"`
		Levels []inner           `json:"levels"`
		Spec   *inner            `json:"spec"`
		Tags   map[string][]int  `json:"tags"`
		Any    any               `json:"any"`
		Raw    json.RawMessage   `json:"raw"`
		Quoted int               `json:"quoted,string"`
		Skip   string            `json:"-"`
		GoName string            //nolint: no tag, named as in Go
		Extra  map[string]string `json:"extra,omitempty"`
	}
	ok := []string{
		`{}`, ` {} `, `{"name":"a"}`, `{"note":"promoted"}`, `{"GoName":"x"}`,
		`{"name":"Dépôt \ud83d\udd11 \ufffd \u00e9 \" \\ \/ \b\f\n\r\t"}`,
		`{"count":-12,"small":127,"ratio":1.5e-3,"on":true,"at":"2026-05-01T17:00:00Z","until":null}`,
		`{"levels":[{"name":"a"},{"name":"b"}],"spec":{"name":"c"},"tags":{"A":[1],"B":[]}}`,
		`{"any":{"x":[1,{"y":null}],"X":2},"raw":{"whatever":[1,2]},"quoted":"5"}`,
		`{"at":null,"spec":null,"levels":null}`,
	}
	for _, body := range ok {
		var v target
		if err := decodeString(body, &v); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	refused := []struct{ body, field, rule string }{
		{``, "body", "JSON object"},
		{`[]`, "body", "JSON object"},
		{`null`, "body", "JSON object"},
		{`{"name":"a"} {}`, "body", "single"},
		{`{"name":"a",}`, "body", "not valid JSON"},
		{`{"name":"a"`, "body", "not valid JSON"},
		{`{"name":'a'}`, "body", "not valid JSON"},
		{"{\"name\":\"a\tb\"}", "body", "not valid JSON"},
		{`{"name":"\x"}`, "body", "not valid JSON"},
		{`{"count":01}`, "body", "not valid JSON"},
		{`{"count":1.}`, "body", "not valid JSON"},
		{`{"on":tru}`, "body", "not valid JSON"},
		{`{"name":"a","name":"b"}`, "name", "repeated"},
		{`{"name":"a","n\u0061me":"b"}`, "name", "repeated"},
		{`{"NAME":"a"}`, "NAME", "must be written name"},
		{`{"Note":"a"}`, "Note", "must be written note"},
		{`{"goname":"a"}`, "goname", "must be written GoName"},
		{`{"Skip":"a"}`, "Skip", "not a known field"},
		{`{"colour":"red"}`, "colour", "not a known field"},
		{`{"levels":[{"name":"a"},{"Name":"b"}]}`, "levels[1].Name", "must be written name"},
		{`{"levels":[{"name":"a"},{"name":"b","name":"c"}]}`, "levels[1].name", "repeated"},
		{`{"levels":[{"name":"a","colour":1}]}`, "levels[0].colour", "not a known field"},
		{`{"spec":{"name":"a","x":1}}`, "spec.x", "not a known field"},
		{`{"tags":{"A":[1],"A":[2]}}`, "tags.A", "repeated"},
		{`{"tags":{"A":[1,"x"]}}`, "tags.A[1]", "whole number"},
		{`{"any":{"x":1,"x":2}}`, "any.x", "repeated"},
		{`{"any":["\u0000"]}`, "any[0]", "NUL"},
		{`{"name":"a\u0000"}`, "name", "NUL"},
		{"{\"name\":\"a\xff\"}", "name", "UTF-8"},
		{"{\"name\":\"a\xed\xa0\x80\"}", "name", "UTF-8"}, // a surrogate written in UTF-8
		{`{"name":"\ud800"}`, "name", "UTF-8"},
		{`{"name":"\ud800\u0041"}`, "name", "UTF-8"},
		{`{"name":"\udc00"}`, "name", "UTF-8"},
		{"{\"na\xffme\":1}", "body", "member names"},
		{`{"levels":[{"a\u0000":1}]}`, "levels[0]", "member names"},
		{`{"name":5}`, "name", "JSON string"},
		{`{"count":"5"}`, "count", "whole number"},
		{`{"count":1.5}`, "count", "whole number"},
		{`{"count":1e2}`, "count", "whole number"},
		{`{"small":128}`, "small", "whole number"},
		{`{"count":99999999999999999999}`, "count", "whole number"},
		{`{"ratio":1e999}`, "ratio", "number"},
		{`{"on":"yes"}`, "on", "boolean"},
		{`{"levels":{}}`, "levels", "array"},
		{`{"spec":[]}`, "spec", "object"},
		{`{"at":5}`, "at", "RFC 3339"},
		{`{"at":"tomorrow"}`, "at", "RFC 3339"},
		{`{"until":{"x":1}}`, "until", "RFC 3339"},
		{`{"until":"2026-05-01 17:00:00"}`, "until", "RFC 3339"},
		{`{"until":"\u0000"}`, "until", "RFC 3339"},
		{strings.Repeat(`{"any":`, 70) + `1` + strings.Repeat(`}`, 70), "body", "nest"},
		{`{"any":` + strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100) + `}`, "body", "nest"},
	}
	for _, c := range refused {
		var v target
		err := decodeString(c.body, &v)
		if err == nil {
			t.Errorf("%.60s: accepted", c.body)
			continue
		}
		field, rule := fieldOf(t, err)
		if field != c.field || !strings.Contains(rule, c.rule) {
			t.Errorf("%.60s: %s %q, want %s %q", c.body, field, rule, c.field, c.rule)
		}
	}
}

// TestDecodeManyMembers: duplicate detection switches to a map for large
// objects and still finds a repeat far apart.
func TestDecodeManyMembers(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"any":{`)
	for i := range 5000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i) + `":1`)
	}
	var v struct {
		Any map[string]int `json:"any"`
	}
	if err := decodeString(b.String()+`}}`, &v); err != nil || len(v.Any) != 5000 {
		t.Fatalf("5000 members: %v, %d", err, len(v.Any))
	}
	err := decodeString(b.String()+`,"ka0":2}}`, &v)
	if f, rule := fieldOf(t, err); f != "any.ka0" || !strings.Contains(rule, "repeated") {
		t.Fatalf("repeat far apart: %s %s", f, rule)
	}
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// TestNoBody: a route without a body takes none, {} (with blank space), and nothing else.
func TestNoBody(t *testing.T) {
	for _, body := range []string{"", " ", "{}", "\n{ }\n"} {
		if err := noBody(httptest.NewRequest("POST", "/", strings.NewReader(body))); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
	for _, body := range []string{"[]", "null", "{", `{"x":1}`, "{}{}", "{} 1", `""`} {
		err := noBody(httptest.NewRequest("POST", "/", strings.NewReader(body)))
		if err == nil {
			t.Errorf("%q: accepted", body)
			continue
		}
		if f, _ := fieldOf(t, err); f != "body" && f != "x" {
			t.Errorf("%q: names %q", body, f)
		}
	}
}

// TestCheckRequestText: the rule table of the path, query and header checks.
func TestCheckRequestText(t *testing.T) {
	cases := []struct {
		target string
		header string
		code   keyward.Code
		field  string
	}{
		{"/api/v1/keys/key_1?symbol=AA1&q=%C3%A9", "", "", ""},
		{"/api/v1/keys/%C3%A9", "idem-1", "", ""},
		{"/api/v1/keys/%ff", "", keyward.ENOTFOUND, ""},
		{"/api/v1/keys/%00", "", keyward.ENOTFOUND, ""},
		{"/api/v1/keys/%ed%a0%80", "", keyward.ENOTFOUND, ""},
		{"/api/v1/keys?symbol=%00", "", keyward.EINVALID, "symbol"},
		{"/api/v1/keys?limit=5&actor=%ff", "", keyward.EINVALID, "actor"},
		{"/api/v1/keys?%ff=1", "", keyward.EINVALID, "query"},
		{"/api/v1/keys?a=1&a=%00", "", keyward.EINVALID, "a"},
		{"/api/v1/keys", "k\xff", keyward.EINVALID, "Idempotency-Key"},
		{"/api/v1/keys?bad=%zz", "", "", ""}, // a malformed pair is dropped, as r.URL.Query() drops it
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", c.target, nil)
		if c.header != "" {
			r.Header["Idempotency-Key"] = []string{c.header}
		}
		err := checkRequestText(r)
		if keyward.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want code %q", c.target, err, c.code)
			continue
		}
		if c.field != "" {
			if f, _ := fieldOf(t, err); f != c.field {
				t.Errorf("%s: names %q, want %q", c.target, f, c.field)
			}
		}
	}
}

// TestCheckFormText: form values, form names and uploaded file names.
func TestCheckFormText(t *testing.T) {
	post := func(ct, body string) *http.Request {
		r := httptest.NewRequest("POST", "/sites", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		return r
	}
	form := "application/x-www-form-urlencoded"
	for body, field := range map[string]string{
		"name=Depot&address=Main+St": "",
		"name=D%C3%A9p%C3%B4t":       "",
		"name=Depot%00":              "name",
		"name=a&address=%ff":         "address",
		"%ff=1":                      "form",
	} {
		err := checkFormText(post(form, body))
		if field == "" {
			if err != nil {
				t.Errorf("%s: %v", body, err)
			}
			continue
		}
		if f, _ := fieldOf(t, err); f != field {
			t.Errorf("%s: names %q, want %q", body, f, field)
		}
	}
	mp := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"keys\xff.csv\"\r\n\r\na,b\r\n--B--\r\n"
	if f, _ := fieldOf(t, checkFormText(post("multipart/form-data; boundary=B", mp))); f != "file" {
		t.Errorf("multipart file name: names %q", f)
	}
	if err := checkFormText(httptest.NewRequest("GET", "/sites?x=1", nil)); err != nil {
		t.Errorf("GET: %v", err)
	}
}

// Fuzz targets: every request parser of this package. Each also runs as an
// ordinary test on its seeds (and on testdata/fuzz when a run found something).

// FuzzCheckJSON holds the body scanner to encoding/json's grammar: what
// json.Valid refuses, checkJSON refuses; what checkJSON refuses as not valid
// JSON, json.Valid refuses too; and what it accepts decodes, with clean text.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"\u0000"}`, `{"a":[1,2,{"b":null}],"c":true}`, `{"a":1,"a":2}`,
		`{"a":"\ud83d\udd11"}`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":-0.5e+10}`, `{"a":01}`, `[1]`, `{"a":1}x`,
		`{"a":"\"\\\/\b\f\n\r\t"}`, ` {"a" : { } } `, `{"a":{"b":{"c":[[]]}}}`, `{"\u00e9":1,"é":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := checkJSON(data, nil)
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		isObject := len(trimmed) > 0 && trimmed[0] == '{'
		if !json.Valid(data) {
			if err == nil {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			return
		}
		if err != nil {
			field, rule := fieldOf(t, err)
			if strings.HasPrefix(rule, "is not valid JSON") {
				t.Fatalf("refused valid JSON %q as %s", data, rule)
			}
			if !utf8.ValidString(field) {
				t.Fatalf("field %q is not UTF-8", field)
			}
			return
		}
		if !isObject {
			t.Fatalf("accepted a non-object %q", data)
		}
		var v any
		if uerr := json.Unmarshal(data, &v); uerr != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", data, uerr)
		}
		if !utf8.Valid(data) {
			// Raw bytes outside strings would be invalid JSON, so they were in a string.
			t.Fatalf("accepted invalid UTF-8 in %q", data)
		}
		checkClean(t, reflect.ValueOf(v), data)
	})
}

// checkClean fails on a string (or member name) with NUL or U+FFFD that the
// body did not write as such: encoding/json makes U+FFFD of what it cannot read.
func checkClean(t *testing.T, v reflect.Value, data []byte) {
	t.Helper()
	wroteFFFD := bytes.Contains(data, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`))
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.String:
			s := v.String()
			if strings.IndexByte(s, 0) >= 0 || (!wroteFFFD && strings.ContainsRune(s, utf8.RuneError)) {
				t.Fatalf("accepted text %q from %q", s, data)
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(k)
				walk(v.MapIndex(k))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		}
	}
	walk(v)
}

// FuzzDecode drives decode with the real request types: it never panics, a
// refusal is one field error naming UTF-8, and what it accepts decodes exactly
// as plain encoding/json decodes it (the checks refuse; they never change a value).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"holder_id":"hld_1","due_at":"2026-05-01T17:00:00Z","note":"van"}`,
		`{"holder_id":"hld_1","due_at":5}`, `{"HOLDER_ID":"x"}`, `{"note":"a","note":"b"}`,
		`{"name":"HQ","manufacturer":"schlage_sc4","levels":[{"level":"master","sequence":[1]},{"level":"change","sequence":[2],"columns":{"A":[1]}}]}`,
		`{"name":"HQ","spec":{"positions":5,"min_depth":0,"max_depth":9,"macs":7,"step":1,"max_master_pins_total":3}}`,
		`{"kind":"card","holder_id":"h","opening_ids":["o1"],"valid_from":"2026-01-01T00:00:00+01:00","valid_until":null}`,
		`{"url":"https://example.org","secret":"s","events":["checkout.overdue"]}`,
		`{"email":"a@b.c","name":"A","role":"admin","password":"x"}`, `{}`, ``, `{"levels":[{"Level":"x"}]}`,
	} {
		f.Add([]byte(s))
	}
	targets := []func() any{
		func() any { return new(keyward.CheckoutInput) },
		func() any { return new(keyward.KeySystemInput) },
		func() any { return new(keyward.CredentialInput) },
		func() any { return new(keyward.WebhookInput) },
		func() any { return new(keyward.StorageInput) },
		func() any { return new(store.UserInput) },
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mk := range targets {
			v := mk()
			err := decode(httptest.NewRequest("POST", "/", bytes.NewReader(data)), v)
			if err != nil {
				if field, rule := fieldOf(t, err); field == "" || rule == "" || !utf8.ValidString(field) || !utf8.ValidString(rule) {
					t.Fatalf("%T %q: field %q rule %q", v, data, field, rule)
				}
				continue
			}
			plain := mk()
			if perr := json.Unmarshal(data, plain); perr != nil {
				t.Fatalf("%T: decode accepted %q, encoding/json refuses it: %v", v, data, perr)
			}
			if !reflect.DeepEqual(v, plain) {
				t.Fatalf("%T %q: decode gave %+v, encoding/json %+v", v, data, v, plain)
			}
			checkClean(t, reflect.ValueOf(v), data)
		}
	})
}

// FuzzCheckRequestText: the path, query and header check never panics, and
// what it lets through is clean text throughout.
func FuzzCheckRequestText(f *testing.F) {
	f.Add("/api/v1/keys/key_1", "symbol=AA1&limit=5", "idem")
	f.Add("/api/v1/keys/\xff", "", "")
	f.Add("/api/v1/keys", "q=%00", "")
	f.Add("/api/v1/search", "q=%E2%82%AC&x=%zz&&=&%ff", "k\x00")
	f.Fuzz(func(t *testing.T, path, rawQuery, idem string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path, r.URL.RawQuery = path, rawQuery
		if idem != "" {
			r.Header["Idempotency-Key"] = []string{idem}
		}
		err := checkRequestText(r)
		if err != nil {
			if c := keyward.ErrorCode(err); c != keyward.ENOTFOUND && c != keyward.EINVALID {
				t.Fatalf("code %s", c)
			}
			return
		}
		if !cleanText(path) || !cleanText(idem) {
			t.Fatalf("let through path %q, key %q", path, idem)
		}
		for k, vs := range r.URL.Query() {
			if !cleanText(k) || !cleanText(strings.Join(vs, "")) {
				t.Fatalf("let through %q=%q", k, vs)
			}
		}
	})
}

// FuzzCheckFormText: a posted form (URL-encoded or multipart) is parsed
// without panic, and what passes is clean text.
func FuzzCheckFormText(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "name=Depot&address=Main+St")
	f.Add("application/x-www-form-urlencoded", "name=%00&%ff=1;x")
	f.Add("multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--B--\r\n")
	f.Add("multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\xff\"\r\n\r\nx\r\n--B--\r\n")
	f.Fuzz(func(t *testing.T, ct, body string) {
		r := httptest.NewRequest("POST", "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		if err := checkFormText(r); err != nil {
			if keyward.ErrorCode(err) != keyward.EINVALID {
				t.Fatalf("code %s", keyward.ErrorCode(err))
			}
			return
		}
		for k, vs := range r.PostForm {
			if !cleanText(k) || !cleanText(strings.Join(vs, "")) {
				t.Fatalf("let through %q=%q", k, vs)
			}
		}
	})
}

// FuzzListOptions: ?limit= and ?cursor= never panic; a limit that passes is 1–500.
func FuzzListOptions(f *testing.F) {
	for _, q := range []string{"", "limit=5", "limit=0", "limit=501", "limit=-1", "limit=1e3", "cursor=abc&limit=500", "limit=%00"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = q
		opt, err := listOptions(r)
		if err != nil {
			if f, _ := fieldOf(t, err); f != "limit" {
				t.Fatalf("names %q", f)
			}
			return
		}
		if opt.Limit != 0 && (opt.Limit < 1 || opt.Limit > 500) {
			t.Fatalf("limit %d from %q", opt.Limit, q)
		}
		if opt.Cursor != r.URL.Query().Get("cursor") {
			t.Fatalf("cursor %q from %q", opt.Cursor, q)
		}
	})
}

// FuzzFormFields: the page forms' own field parsers (due time, counts,
// chamber lists) never panic and keep their promises.
func FuzzFormFields(f *testing.F) {
	for _, s := range []string{"", "2026-03-04T12:00", "2026-03-04T12:00:05", "2026-03-04T12:00:00+02:00", "2, 3", "12", " 7 ", "-1", "x", "1,,2 3"} {
		f.Add(s)
	}
	zone := time.FixedZone("X", 5*3600)
	f.Fuzz(func(t *testing.T, s string) {
		if due, ok := parseDue(s, zone); ok && !due.IsZero() && due.Location() != time.UTC {
			t.Fatalf("parseDue(%q) = %v, not UTC", s, due)
		} else if ok && due.IsZero() && strings.TrimSpace(s) != "" {
			t.Fatalf("parseDue(%q) accepted as empty", s)
		}
		if n, err := optionalCount("n", s); err == nil && strings.TrimSpace(s) == "" && n != 0 {
			t.Fatalf("optionalCount(%q) = %d", s, n)
		} else if err != nil {
			if f, _ := fieldOf(t, err); f != "n" {
				t.Fatalf("optionalCount names %q", f)
			}
		}
		if ps, err := positions("seq", s); err == nil {
			if len(ps) > len(s) {
				t.Fatalf("positions(%q) = %v", s, ps)
			}
		} else if f, _ := fieldOf(t, err); f != "seq" {
			t.Fatalf("positions names %q", f)
		}
	})
}

// BenchmarkDecode: a check-out body through decode (scan, then encoding/json)
// against encoding/json alone, the decoder before the scan.
func BenchmarkDecode(b *testing.B) {
	body := []byte(`{"holder_id":"hld_0123456789abcdef","due_at":"2026-05-01T17:00:00Z","note":"van 2, back by five"}`)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in keyward.CheckoutInput
			r := &http.Request{Body: readCloser{bytes.NewReader(body)}, ContentLength: int64(len(body))}
			if err := decode(r, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checkJSON", func(b *testing.B) {
		b.ReportAllocs()
		typ := reflect.TypeFor[*keyward.CheckoutInput]()
		for b.Loop() {
			if err := checkJSON(body, typ); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-alone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in keyward.CheckoutInput
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
