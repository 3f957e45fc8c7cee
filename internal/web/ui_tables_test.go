package web

import "testing"

func TestLabelCells(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"no table", `<p>Keys</p>`, `<p>Keys</p>`},
		{"each cell its header",
			`<table><thead><tr><th>Key</th><th>Holder</th></tr></thead><tbody><tr><td>AA1-1</td><td>Dana</td></tr><tr><td>AA2-1</td><td></td></tr></tbody></table>`,
			`<table><thead><tr><th>Key</th><th>Holder</th></tr></thead><tbody><tr><td data-label="Key">AA1-1</td><td data-label="Holder">Dana</td></tr><tr><td data-label="Key">AA2-1</td><td data-label="Holder"></td></tr></tbody></table>`},
		{"header text inside links, spaces folded, entities kept escaped, aria-hidden left out",
			`<table class="keys"><thead><tr><th aria-sort="ascending"><a href="/keys?sort=stamp" class="sort">Key<span aria-hidden="true"> <b>▲</b></span></a></th><th>
  Doors &amp;<br> gates<span aria-hidden="false"> (all)</span></th></tr></thead><tbody><tr><td class="x">AA1-1</td><td>3</td></tr></tbody></table>`,
			`<table class="keys"><thead><tr><th aria-sort="ascending"><a href="/keys?sort=stamp" class="sort">Key<span aria-hidden="true"> <b>▲</b></span></a></th><th>
  Doors &amp;<br> gates<span aria-hidden="false"> (all)</span></th></tr></thead><tbody><tr><td class="x" data-label="Key">AA1-1</td><td data-label="Doors &amp; gates (all)">3</td></tr></tbody></table>`},
		{"a quote in a header is escaped",
			`<table><thead><tr><th>Say "hi"</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>`,
			`<table><thead><tr><th>Say "hi"</th></tr></thead><tbody><tr><td data-label="Say &#34;hi&#34;">1</td></tr></tbody></table>`},
		{"an empty header gives no label; colspan moves on",
			`<table><thead><tr><th colspan="2">Name</th><th></th><th>Status</th></tr></thead><tbody><tr><td>a</td><td>b</td><td><form></form></td><td>ok</td></tr><tr><td colspan="3">wide</td><td>ok</td></tr></tbody></table>`,
			`<table><thead><tr><th colspan="2">Name</th><th></th><th>Status</th></tr></thead><tbody><tr><td data-label="Name">a</td><td data-label="Name">b</td><td><form></form></td><td data-label="Status">ok</td></tr><tr><td colspan="3" data-label="Name">wide</td><td data-label="Status">ok</td></tr></tbody></table>`},
		{"a row header in the body counts as a column",
			`<table><thead><tr><th>Symbol</th><th>Bitting</th></tr></thead><tbody><tr><th>AA1</th><td>111555</td></tr></tbody></table>`,
			`<table><thead><tr><th>Symbol</th><th>Bitting</th></tr></thead><tbody><tr><th>AA1</th><td data-label="Bitting">111555</td></tr></tbody></table>`},
		{"no header row, no labels; extra cells none",
			`<table><tr><td>a</td></tr></table><table><thead><tr><th>A</th></tr></thead><tr><td>1</td><td>2</td></tr></table>`,
			`<table><tr><td>a</td></tr></table><table><thead><tr><th>A</th></tr></thead><tr><td data-label="A">1</td><td>2</td></tr></table>`},
		{"a nested table has its own headers",
			`<table><thead><tr><th>Outer</th></tr></thead><tbody><tr><td><table><thead><tr><th>Inner</th></tr></thead><tbody><tr><td>i</td></tr></tbody></table></td></tr><tr><td>o</td></tr></tbody></table>`,
			`<table><thead><tr><th>Outer</th></tr></thead><tbody><tr><td data-label="Outer"><table><thead><tr><th>Inner</th></tr></thead><tbody><tr><td data-label="Inner">i</td></tr></tbody></table></td></tr><tr><td data-label="Outer">o</td></tr></tbody></table>`},
		{"a label already given is kept",
			`<table><thead><tr><th>A</th></tr></thead><tbody><tr><td data-label="Own">1</td></tr></tbody></table>`,
			`<table><thead><tr><th>A</th></tr></thead><tbody><tr><td data-label="Own">1</td></tr></tbody></table>`},
		{"the rest of the page is untouched",
			"<!doctype html>\n<html lang=\"en\"><body><p class=\"a\">x &lt; y</p><table><thead><tr><th>A</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table><svg viewBox=\"0 0 1 1\"><rect/></svg></body></html>",
			"<!doctype html>\n<html lang=\"en\"><body><p class=\"a\">x &lt; y</p><table><thead><tr><th>A</th></tr></thead><tbody><tr><td data-label=\"A\">1</td></tr></tbody></table><svg viewBox=\"0 0 1 1\"><rect/></svg></body></html>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(labelCells([]byte(c.in))); got != c.want {
				t.Errorf("labelCells\n got %s\nwant %s", got, c.want)
			}
		})
	}
}
