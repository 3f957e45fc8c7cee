package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/access"
	"github.com/keyward/keyward/internal/keyward"
)

// TestEveryAuditActionHasWords reads the store's source, finds every audit
// action it writes (literal, or built from a list the domain keeps), and
// fails for one the audit log cannot tell in words, or for an action built
// in a way this test does not know how to list.
func TestEveryAuditActionHasWords(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{keyward.KindSite, keyward.KindOpening, keyward.KindKeyway, keyward.KindHolder}
	copySteps := []string{keyward.CopyStepRequest, keyward.CopyStepEvidence, keyward.CopyStepApprove, keyward.CopyStepDeny,
		keyward.CopyStepEscalate, keyward.CopyStepProduce, keyward.CopyStepHandOver, keyward.CopyStepCancel}
	var storageActions []string
	written := map[string]string{} // action → where
	var dynamic []struct{ expr, where string }
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			arg := -1
			switch sel.Sel.Name {
			case "record", "storageEvent":
				arg = 2
				if sel.Sel.Name == "storageEvent" {
					arg = 3
				}
			default:
				return true
			}
			if len(call.Args) <= arg {
				return true
			}
			where := fset.Position(call.Pos()).String()
			if lit, ok := call.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				if sel.Sel.Name == "storageEvent" {
					storageActions = append(storageActions, s)
				} else {
					written[s] = where
				}
				return true
			}
			dynamic = append(dynamic, struct{ expr, where string }{types.ExprString(call.Args[arg]), where})
			return true
		})
	}
	for _, d := range dynamic {
		var list []string
		switch d.expr {
		case `"key." + m.Action`:
			list = prefixed("key.", keyward.CustodyActions())
		case `"copy." + step`:
			list = prefixed("copy.", copySteps)
		case `"code." + step`:
			list = prefixed("code.", []string{keyward.CodeStepRequest, keyward.CodeStepEvidence, keyward.CodeStepApprove,
				keyward.CodeStepDeny, keyward.CodeStepCancel, keyward.CodeStepClose})
		case `"spare." + step`:
			list = prefixed("spare.", []string{keyward.SpareStepProof, keyward.SpareStepProduce, keyward.SpareStepEnroll,
				keyward.SpareStepTest, keyward.SpareStepHandOver})
		case `"storage." + action`:
			list = prefixed("storage.", storageActions)
		case `"netkey." + in.Op`:
			list = prefixed("netkey.", access.ManagementOps)
		case `"export." + kind`:
			list = prefixed("export.", ExportKinds)
		case `kind + ".update"`:
			list = suffixed(kinds, ".update")
		case "action": // retire and restore of a directory kind
			list = append(suffixed(kinds, ".retire"), suffixed(kinds, ".restore")...)
		case `"denied." + string(action)`, `"denied." + action`:
			list = []string{"denied.key.custody", "denied.copy.request", "denied.anything"}
		default:
			t.Errorf("%s: an audit action built as %s: list its values in this test", d.where, d.expr)
		}
		for _, a := range list {
			written[a] = d.where
		}
	}
	if len(written) < 60 {
		t.Fatalf("found only %d audit actions in the store's source; the test lost its way", len(written))
	}
	for a, where := range written {
		if !keyward.HasAuditWords(a) {
			t.Errorf("%s writes audit action %q, which has no words (internal/keyward/auditwords.go)", where, a)
		}
	}
}

func prefixed(p string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = p + x
	}
	return out
}

func suffixed(xs []string, s string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x + s
	}
	return out
}
