package web

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/keyward/keyward/internal/keyward"
)

// checkJSON reads a request body once, before encoding/json decodes it, and
// refuses what encoding/json lets through: a member given twice (it keeps the
// last), a member spelled in another letter case than its field (it matches
// case-insensitively), invalid UTF-8, lone surrogates and NUL in any string
// (it turns the first two into U+FFFD; PostgreSQL refuses the last), and a
// time that is not an RFC 3339 string (it cannot say which member). It also
// names every member it refuses by its path, e.g. levels[2].name, and checks
// the JSON grammar, so a body it accepts is one encoding/json can decode into
// t. t is the type decoded into; nil accepts any shape. On the happy path it
// allocates nothing but the path buffer.
func checkJSON(data []byte, t reflect.Type) error {
	var pathBuf [64]byte // path and names start here: a usual body allocates nothing
	var nameBuf [16][]byte
	s := jsonScan{data: data, path: pathBuf[:0], names: nameBuf[:0]}
	s.ws()
	if s.pos == len(data) {
		return keyward.Invalid("body", "must be a JSON object")
	}
	if data[s.pos] != '{' {
		if err := s.value(nil); err != nil {
			return err
		}
		return keyward.Invalid("body", "must be a JSON object")
	}
	if err := s.value(t); err != nil {
		return err
	}
	s.ws()
	if s.pos != len(data) {
		return keyward.Invalid("body", "must be a single JSON object")
	}
	return nil
}

// maxJSONDepth bounds nesting: no request body nests deeper than a few levels,
// and the scanner recurses once per level.
const maxJSONDepth = 64

const (
	ruleText = "must be UTF-8 text without NUL characters"
	ruleTime = "must be an RFC 3339 time such as 2026-05-01T17:00:00Z"
)

type jsonScan struct {
	data  []byte
	pos   int
	depth int
	path  []byte   // the member being read: levels[2].name
	names [][]byte // member names of the objects being read, innermost last
	esc   []byte   // scratch for a member name written with escapes
}

func (s *jsonScan) syntax() error {
	return keyward.Invalid("body", "is not valid JSON (at byte "+strconv.Itoa(s.pos)+")")
}

// field names the value being read: its path, or "body" at the top.
func (s *jsonScan) field() string {
	if len(s.path) == 0 {
		return "body"
	}
	return string(s.path)
}

func (s *jsonScan) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value reads one JSON value into which t decodes.
func (s *jsonScan) value(t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return s.timeValue()
	}
	if t != nil && t.Kind() != reflect.Interface && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		t = nil // a type that reads itself: only grammar and text are checked
	}
	s.ws()
	if s.pos == len(s.data) {
		return s.syntax()
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		if t != nil && t.Kind() != reflect.Struct && t.Kind() != reflect.Map && t.Kind() != reflect.Interface {
			return keyward.Invalid(s.field(), "must be a JSON "+jsonKind(t))
		}
		return s.object(t)
	case c == '[':
		if t != nil && t.Kind() != reflect.Slice && t.Kind() != reflect.Array && t.Kind() != reflect.Interface {
			return keyward.Invalid(s.field(), "must be a JSON "+jsonKind(t))
		}
		return s.array(t)
	case c == '"':
		_, textOK, err := s.str()
		if err != nil {
			return err
		}
		if !textOK {
			return keyward.Invalid(s.field(), ruleText)
		}
		if t != nil && t.Kind() != reflect.String && t.Kind() != reflect.Interface && !(t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8) {
			return keyward.Invalid(s.field(), "must be a JSON "+jsonKind(t))
		}
		return nil
	case c == '-' || ('0' <= c && c <= '9'):
		start := s.pos
		if err := s.number(); err != nil {
			return err
		}
		return s.checkNumber(t, s.data[start:s.pos])
	case c == 't':
		return s.literal("true", t, reflect.Bool)
	case c == 'f':
		return s.literal("false", t, reflect.Bool)
	case c == 'n':
		return s.literal("null", nil, reflect.Invalid)
	}
	return s.syntax()
}

func (s *jsonScan) literal(word string, t reflect.Type, kind reflect.Kind) error {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return s.syntax()
	}
	s.pos += len(word)
	if t != nil && t.Kind() != kind && t.Kind() != reflect.Interface {
		return keyward.Invalid(s.field(), "must be a JSON "+jsonKind(t))
	}
	return nil
}

// timeValue reads a time.Time: null, or a string its own UnmarshalJSON takes.
func (s *jsonScan) timeValue() error {
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == 'n' {
		return s.literal("null", nil, reflect.Invalid)
	}
	if s.pos < len(s.data) && s.data[s.pos] == '"' {
		start := s.pos
		_, textOK, err := s.str()
		if err != nil {
			return err
		}
		var tm time.Time
		if !textOK || tm.UnmarshalJSON(s.data[start:s.pos]) != nil {
			return keyward.Invalid(s.field(), ruleTime)
		}
		return nil
	}
	// Not a string: skip it (its grammar still counts), then name the member.
	if err := s.value(nil); err != nil {
		return err
	}
	return keyward.Invalid(s.field(), ruleTime)
}

func (s *jsonScan) object(t reflect.Type) error {
	s.depth++
	if s.depth > maxJSONDepth {
		return keyward.Invalid("body", "must not nest deeper than "+strconv.Itoa(maxJSONDepth)+" levels")
	}
	var fields *structFields
	if t != nil && t.Kind() == reflect.Struct {
		fields = fieldsOf(t)
	}
	base, first := len(s.path), len(s.names)
	var seen map[string]struct{} // only once an object has many members

	s.pos++ // the {
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		s.ws()
		if s.pos == len(s.data) || s.data[s.pos] != '"' {
			return s.syntax()
		}
		start := s.pos
		escaped, textOK, err := s.str()
		if err != nil {
			return err
		}
		if !textOK {
			return keyward.Invalid(s.field(), "member names "+ruleText)
		}
		name := s.data[start+1 : s.pos-1]
		if escaped {
			s.esc = appendUnquoted(s.esc[:0], name)
			name = append([]byte(nil), s.esc...) // kept in s.names
		}
		if base > 0 {
			s.path = append(s.path, '.')
		}
		s.path = append(s.path, name...)
		// A member given twice: encoding/json would keep the last silently.
		n := len(s.names) - first
		if n < 16 {
			for _, prev := range s.names[first:] {
				if string(prev) == string(name) {
					return keyward.Invalid(s.field(), "is repeated: give each member once")
				}
			}
		} else {
			if seen == nil {
				seen = make(map[string]struct{}, 2*n)
				for _, prev := range s.names[first:] {
					seen[string(prev)] = struct{}{}
				}
			}
			if _, dup := seen[string(name)]; dup {
				return keyward.Invalid(s.field(), "is repeated: give each member once")
			}
			seen[string(name)] = struct{}{}
		}
		s.names = append(s.names, name)
		var child reflect.Type
		switch {
		case fields != nil:
			f, ok := fields.byName[string(name)]
			if !ok {
				if want := fields.folded(string(name)); want != "" {
					return keyward.Invalid(s.field(), "must be written "+want+": member names are case-sensitive")
				}
				return keyward.Invalid(s.field(), "is not a known field")
			}
			child = f
		case t != nil && t.Kind() == reflect.Map:
			child = t.Elem()
		}
		s.ws()
		if s.pos == len(s.data) || s.data[s.pos] != ':' {
			return s.syntax()
		}
		s.pos++
		if err := s.value(child); err != nil {
			return err
		}
		s.path = s.path[:base]
		if done, err := s.afterItem('}'); err != nil || done {
			s.names = s.names[:first]
			s.depth--
			return err
		}
	}
}

func (s *jsonScan) array(t reflect.Type) error {
	s.depth++
	if s.depth > maxJSONDepth {
		return keyward.Invalid("body", "must not nest deeper than "+strconv.Itoa(maxJSONDepth)+" levels")
	}
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	base := len(s.path)
	s.pos++ // [
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for i := 0; ; i++ {
		s.path = append(s.path, '[')
		s.path = strconv.AppendInt(s.path, int64(i), 10)
		s.path = append(s.path, ']')
		if err := s.value(elem); err != nil {
			return err
		}
		s.path = s.path[:base]
		if done, err := s.afterItem(']'); err != nil || done {
			s.depth--
			return err
		}
	}
}

// afterItem reads what follows a member or element: a comma (more to come)
// or the closing bracket (done).
func (s *jsonScan) afterItem(closing byte) (done bool, err error) {
	s.ws()
	if s.pos == len(s.data) {
		return false, s.syntax()
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		return false, nil
	case closing:
		s.pos++
		return true, nil
	}
	return false, s.syntax()
}

// str reads a string token at s.pos (its opening quote). It reports whether it
// holds escapes and whether its text is UTF-8 without NUL or lone surrogates.
func (s *jsonScan) str() (escaped, textOK bool, err error) {
	textOK = true
	s.pos++
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return escaped, textOK, nil
		case c < 0x20:
			return false, false, s.syntax()
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				return false, false, s.syntax()
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				r, ok := hex4(s.data[s.pos+2:])
				if !ok {
					return false, false, s.syntax()
				}
				s.pos += 6
				switch {
				case r == 0:
					textOK = false
				case 0xD800 <= r && r < 0xDC00:
					// A high surrogate must be followed by a low one.
					lo, ok := rune(0), false
					if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
						if lo, ok = hex4(s.data[s.pos+2:]); !ok {
							return false, false, s.syntax()
						}
					}
					if 0xDC00 <= lo && lo < 0xE000 {
						s.pos += 6
					} else {
						textOK = false
					}
				case 0xDC00 <= r && r < 0xE000:
					textOK = false
				}
			default:
				return false, false, s.syntax()
			}
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size == 1 {
				textOK = false
			}
			s.pos += size
		}
	}
	return false, false, s.syntax()
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnquoted appends the text of a string token's inside, which str has
// already found well-formed and valid text.
func appendUnquoted(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		if b[i] != '\\' {
			dst = append(dst, b[i])
			i++
			continue
		}
		switch b[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(b[i+2:])
			i += 6
			if 0xD800 <= r && r < 0xDC00 {
				lo, _ := hex4(b[i+2:])
				r = (r-0xD800)<<10 | (lo - 0xDC00) + 0x10000
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // " \ /
			dst = append(dst, b[i+1])
		}
		i += 2
	}
	return dst
}

// number reads a number token: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScan) number() error {
	d := s.data
	if d[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(d) && d[s.pos] == '0':
		s.pos++
	case s.pos < len(d) && '1' <= d[s.pos] && d[s.pos] <= '9':
		for s.pos < len(d) && '0' <= d[s.pos] && d[s.pos] <= '9' {
			s.pos++
		}
	default:
		return s.syntax()
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if s.pos == len(d) || d[s.pos] < '0' || d[s.pos] > '9' {
			return s.syntax()
		}
		for s.pos < len(d) && '0' <= d[s.pos] && d[s.pos] <= '9' {
			s.pos++
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if s.pos == len(d) || d[s.pos] < '0' || d[s.pos] > '9' {
			return s.syntax()
		}
		for s.pos < len(d) && '0' <= d[s.pos] && d[s.pos] <= '9' {
			s.pos++
		}
	}
	return nil
}

// checkNumber checks that num fits the numeric type t.
func (s *jsonScan) checkNumber(t reflect.Type, num []byte) error {
	if t == nil {
		return nil
	}
	var err error
	switch t.Kind() {
	case reflect.Interface:
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(string(num), 10, t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		_, err = strconv.ParseUint(string(num), 10, t.Bits())
	case reflect.Float32, reflect.Float64:
		if _, err = strconv.ParseFloat(string(num), t.Bits()); err != nil {
			return keyward.Invalid(s.field(), "must be a number in range")
		}
	default:
		return keyward.Invalid(s.field(), "must be a JSON "+jsonKind(t))
	}
	if err != nil {
		return keyward.Invalid(s.field(), "must be a whole number in range")
	}
	return nil
}

// jsonKind names the JSON kind that decodes into t.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "whole number"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string"
		}
		return "array"
	}
	return "object"
}

// structFields are the JSON member names of a struct, as encoding/json reads them.
type structFields struct {
	byName map[string]reflect.Type
	names  []string
}

// folded returns the field name that name matches only when letter case is
// ignored (as encoding/json would match it), or "".
func (f *structFields) folded(name string) string {
	for _, n := range f.names {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return ""
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{byName: map[string]reflect.Type{}}
	collectFields(f, t, 0)
	fieldCache.Store(t, f)
	return f
}

// collectFields follows encoding/json: the tag's name or the Go name, "-"
// skipped, fields of untagged embedded structs promoted unless a shallower
// field has the name; a ",string" field reads its number from a string, so
// its value's kind is left to encoding/json.
func collectFields(f *structFields, t reflect.Type, depth int) {
	if depth > 8 {
		return
	}
	var embedded []reflect.Type
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				embedded = append(embedded, et)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if strings.Contains(","+opts+",", ",string,") {
			ft = nil
		}
		if _, taken := f.byName[name]; !taken {
			f.byName[name] = ft
			f.names = append(f.names, name)
		}
	}
	for _, et := range embedded {
		collectFields(f, et, depth+1)
	}
}
