package audit

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// appendLeaf appends the canonical encoding of r to dst: the JSON array
// [seq, id, at, actor, actor_role, action, subject_type, subject_id, details]
// byte for byte as encoding/json writes it with HTML escaping off. Every hash
// in every stored log was computed over that encoding, so it must never
// change; it is written out here so verify does not pay for reflection and
// boxing on every record, and TestLeafDataMatchesJSON holds it to the
// original.
func appendLeaf(dst []byte, r Record) []byte {
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, r.Seq, 10)
	dst = append(dst, ',')
	dst = appendJSONString(dst, r.ID)
	dst = append(dst, ',', '"')
	dst = r.At.UTC().AppendFormat(dst, time.RFC3339Nano) // digits and "-:.TZ" only: nothing to escape
	dst = append(dst, '"', ',')
	for i, s := range [...]string{r.Actor, r.ActorRole, r.Action, r.SubjectType, r.SubjectID, r.Details} {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with SetEscapeHTML(false):
// '"' and '\\' and control bytes escaped, invalid UTF-8 replaced by U+FFFD,
// U+2028 and U+2029 escaped, everything else as is.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
