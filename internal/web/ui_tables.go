package web

import (
	"bytes"
	"html"
	"io"
	"strconv"
	"strings"

	nethtml "golang.org/x/net/html"
)

// labelCells gives every data cell of a table that has a header row the text
// of its column's header, as data-label. On a narrow screen keyward.css shows
// each row as a card with these labels beside the values, so no table needs
// sideways scrolling and no template repeats its headers. A header's text is
// what a screen reader reads: what is inside aria-hidden="true" (a sort
// arrow) is left out. A cell that has a data-label keeps it; a page that does
// not tokenize is returned unchanged.
func labelCells(page []byte) []byte {
	if !bytes.Contains(page, []byte("<table")) {
		return page
	}
	type table struct {
		labels []string // the last header row's labels, one a column
		head   bool     // inside <thead>
		col    int      // the next cell's column in the current row
		th     *strings.Builder
		span   int // the open header cell's colspan
		hidden int // elements open inside the header's aria-hidden one; 0 outside it
	}
	var (
		stack []*table
		out   bytes.Buffer
	)
	out.Grow(len(page) + len(page)/8)
	z := nethtml.NewTokenizer(bytes.NewReader(page))
	endHeader := func(t *table) {
		if t.th != nil {
			label := strings.Join(strings.Fields(t.th.String()), " ")
			for range t.span {
				t.labels = append(t.labels, label)
			}
			t.th = nil
		}
	}
	for {
		tt := z.Next()
		if tt == nethtml.ErrorToken {
			if z.Err() == io.EOF {
				return out.Bytes()
			}
			return page
		}
		raw := z.Raw()
		var top *table
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tt {
		case nethtml.TextToken:
			out.Write(raw) // before Text, which unescapes in place
			if top != nil && top.th != nil && top.hidden == 0 {
				top.th.Write(z.Text())
			}
			continue
		case nethtml.EndTagToken:
			out.Write(raw) // before TagName, which lower-cases in place
			name, _ := z.TagName()
			switch {
			case string(name) == "table" && top != nil:
				stack = stack[:len(stack)-1]
			case top == nil:
			case string(name) == "thead":
				endHeader(top)
				top.head = false
			case string(name) == "th":
				endHeader(top)
			case top.th != nil && top.hidden > 0 && !voidElement[string(name)]:
				top.hidden--
			}
			continue
		case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
		default:
			out.Write(raw)
			continue
		}
		name := tagName(raw)
		if name == "td" && top != nil && !top.head && top.col < len(top.labels) && top.labels[top.col] != "" && !bytes.Contains(raw, []byte("data-label")) {
			end := len(raw) - 1
			if tt == nethtml.SelfClosingTagToken {
				end--
			}
			out.Write(raw[:end])
			out.WriteString(` data-label="` + html.EscapeString(top.labels[top.col]) + `"`)
			out.Write(raw[end:])
		} else {
			out.Write(raw)
		}
		switch {
		case name == "table":
			stack = append(stack, &table{})
		case top == nil:
		case name == "thead":
			top.head = true
		case name == "tr":
			endHeader(top)
			top.col = 0
			if top.head {
				top.labels = nil
			}
		case name == "th" && top.head:
			endHeader(top)
			top.th, top.span, top.hidden = &strings.Builder{}, colspan(z), 0
			top.col += top.span
		case top.th != nil:
			if tt == nethtml.SelfClosingTagToken || voidElement[name] {
				break
			}
			if top.hidden > 0 {
				top.hidden++
			} else if ariaHidden(z) {
				top.hidden = 1
			}
		case name == "th", name == "td":
			top.col += colspan(z)
		}
	}
}

// tagName is the lower-cased name of the start tag raw.
func tagName(raw []byte) string {
	end := 1
	for end < len(raw) && raw[end] != ' ' && raw[end] != '>' && raw[end] != '/' && raw[end] != '\t' && raw[end] != '\n' && raw[end] != '\r' && raw[end] != '\f' {
		end++
	}
	return strings.ToLower(string(raw[1:end]))
}

// voidElement names the elements that have no end tag.
var voidElement = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// ariaHidden reports whether the start tag z is on says aria-hidden="true".
func ariaHidden(z *nethtml.Tokenizer) bool {
	for {
		k, v, more := z.TagAttr()
		if string(k) == "aria-hidden" {
			return strings.EqualFold(strings.TrimSpace(string(v)), "true")
		}
		if !more {
			return false
		}
	}
}

// colspan is the colspan of the start tag z is on: 1 unless it says more.
func colspan(z *nethtml.Tokenizer) int {
	for {
		k, v, more := z.TagAttr()
		if string(k) == "colspan" {
			if n, err := strconv.Atoi(strings.TrimSpace(string(v))); err == nil && n > 1 && n <= 1000 {
				return n
			}
			return 1
		}
		if !more {
			return 1
		}
	}
}
