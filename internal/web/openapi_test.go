package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
)

// The OpenAPI document is generated from the route table (openapi.go). These
// tests hold it to the table: every api(...) route is documented with its
// method, every documented operation is served, and every $ref resolves.
// When one fails after you add a route, describe the route: .describe(opDoc{…}).

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadOpenAPI parses the embedded document the server serves.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	raw, err := openapiDocument()
	if err != nil {
		t.Fatalf("the OpenAPI document cannot be built: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the OpenAPI document is not valid JSON: %v", err)
	}
	return doc
}

// tableRoutes builds the route table without a database: routeTable only
// takes method values of s, so a zero Server is enough.
func tableRoutes(t *testing.T) (rs []route) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("routeTable() panicked on a zero Server (a route constructor must not use the server's fields when the table is built): %v", p)
		}
	}()
	return (&Server{}).routeTable()
}

// opKey is "METHOD /path" with the path in OpenAPI template form.
type opKey struct{ method, path string }

func (k opKey) String() string { return k.method + " " + k.path }

// routeOp turns a ServeMux pattern such as "GET /api/v1/keys/{id}" into the
// OpenAPI method and path: "{name...}" becomes "{name}" and "{$}" is dropped.
func routeOp(pattern string) (opKey, error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		return opKey{}, fmt.Errorf("API route %q must be \"METHOD /path\"", pattern)
	}
	path = strings.TrimSuffix(path, "{$}")
	path = strings.ReplaceAll(path, "...}", "}")
	return opKey{method: strings.ToUpper(method), path: path}, nil
}

// documentedOps lists every operation in doc.paths with its operation object.
func documentedOps(t *testing.T, doc map[string]any) map[opKey]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json: \"paths\" is missing or not an object")
	}
	ops := map[opKey]map[string]any{}
	for p, item := range paths {
		pi, ok := item.(map[string]any)
		if !ok {
			t.Errorf("openapi.json: paths[%q] is not an object", p)
			continue
		}
		for k, v := range pi {
			if !slices.Contains(httpMethods, k) {
				continue
			}
			op, ok := v.(map[string]any)
			if !ok {
				t.Errorf("openapi.json: paths[%q].%s is not an object", p, k)
				continue
			}
			ops[opKey{method: strings.ToUpper(k), path: p}] = op
		}
	}
	return ops
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); v != "3.1.0" {
		t.Errorf(`openapi.json: "openapi" is %q, want "3.1.0"`, v)
	}
	ops := documentedOps(t, doc)

	apiRoutes := map[opKey]route{}
	pageRoutes := map[opKey]string{}
	for _, r := range tableRoutes(t) {
		k, err := routeOp(r.pattern)
		if r.page {
			if err == nil {
				pageRoutes[k] = r.pattern
			}
			continue
		}
		if err != nil {
			t.Error(err)
			continue
		}
		if _, dup := apiRoutes[k]; dup {
			t.Errorf("the route table declares API route %q twice", r.pattern)
		}
		apiRoutes[k] = r
	}
	if len(apiRoutes) == 0 {
		t.Fatal("routeTable() has no api(...) routes")
	}

	// route table → document
	for _, k := range sortedKeys(apiRoutes) {
		if _, ok := ops[k]; !ok {
			t.Errorf("API route %q is not in the document as paths[%q].%s: describe it in its routes_*.go file",
				apiRoutes[k].pattern, k.path, strings.ToLower(k.method))
		}
	}
	// document → route table
	for _, k := range sortedKeys(ops) {
		if _, ok := apiRoutes[k]; ok {
			continue
		}
		if p, isPage := pageRoutes[k]; isPage {
			t.Errorf("openapi.json documents %s, but that is the HTML page %q, not an API route: remove it", k, p)
			continue
		}
		t.Errorf("openapi.json documents %s, but routes.go has no api(%q, …) route: remove it or add the route", k, k.method+" "+k.path)
	}
}

// TestOpenAPIOperations checks what each documented operation promises
// against its route: authentication, path parameters, responses.
func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := documentedOps(t, doc)
	paths, _ := doc["paths"].(map[string]any)

	routes := map[opKey]route{}
	for _, r := range tableRoutes(t) {
		if k, err := routeOp(r.pattern); err == nil && !r.page {
			routes[k] = r
		}
	}
	if _, ok := doc["security"].([]any); !ok {
		t.Error(`openapi.json: top-level "security" (bearer for every operation) is missing`)
	}

	opIDs := map[string]opKey{}
	for _, k := range sortedKeys(ops) {
		op := ops[k]
		name := k.String()

		id, _ := op["operationId"].(string)
		switch prev, dup := opIDs[id]; {
		case id == "":
			t.Errorf("%s: operationId is missing", name)
		case dup:
			t.Errorf("%s: operationId %q is also used by %s", name, id, prev)
		default:
			opIDs[id] = k
		}

		// Path parameters: each {name} in the path is declared, and nothing more.
		want := map[string]bool{}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(k.path, -1) {
			want[m[1]] = true
		}
		got := map[string]bool{}
		item, _ := paths[k.path].(map[string]any)
		for _, src := range []any{item["parameters"], op["parameters"]} {
			list, _ := src.([]any)
			for _, p := range list {
				pm, _ := resolve(doc, p).(map[string]any)
				if pm["in"] == "path" {
					got[fmt.Sprint(pm["name"])] = true
				}
			}
		}
		for p := range want {
			if !got[p] {
				t.Errorf("%s: path parameter {%s} is not declared in parameters", name, p)
			}
		}
		for p := range got {
			if !want[p] {
				t.Errorf("%s: declares path parameter %q that is not in the path", name, p)
			}
		}

		responses, _ := op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s: no responses", name)
			continue
		}
		success := false
		for code, resp := range responses {
			if strings.HasPrefix(code, "2") {
				success = true
			}
			if code >= "400" && code <= "599" {
				rm, _ := resolve(doc, resp).(map[string]any)
				content, _ := rm["content"].(map[string]any)
				if _, ok := content["application/problem+json"]; !ok {
					t.Errorf("%s: response %s is not application/problem+json", name, code)
				}
			}
		}
		if !success {
			t.Errorf("%s: documents no 2xx response", name)
		}

		// JSON request bodies are closed objects: the server rejects unknown fields.
		if rb, ok := resolve(doc, op["requestBody"]).(map[string]any); ok {
			content, _ := rb["content"].(map[string]any)
			if mt, ok := content["application/json"].(map[string]any); ok {
				schema, _ := resolve(doc, mt["schema"]).(map[string]any)
				if schema["additionalProperties"] != false {
					t.Errorf("%s: the JSON request body schema needs \"additionalProperties\": false (the server rejects unknown fields)", name)
				}
			}
		}

		r, ok := routes[k]
		if !ok {
			continue // reported by TestOpenAPIMatchesRoutes
		}
		sec, hasSec := op["security"].([]any)
		public := hasSec && len(sec) == 0
		switch {
		case r.action == keyward.ActPublic && !public:
			t.Errorf("%s: the route needs no token; document it with \"security\": []", name)
		case r.action != keyward.ActPublic && public:
			t.Errorf("%s: the route needs a bearer token, but the operation says \"security\": []", name)
		}
		if r.action != keyward.ActPublic {
			if _, ok := responses["401"]; !ok {
				t.Errorf("%s: the route needs a token; document the 401 response", name)
			}
		}
		if (r.action != keyward.ActPublic && r.action != keyward.ActSelf) || r.scoped {
			if _, ok := responses["403"]; !ok {
				t.Errorf("%s: the route is limited by role (%s); document the 403 response", name, r.action)
			}
		}
		if r.secret {
			list, _ := op["parameters"].([]any)
			for _, prm := range list {
				if pm, _ := resolve(doc, prm).(map[string]any); pm["name"] == "Idempotency-Key" {
					t.Errorf("%s: the route holds a secret and refuses Idempotency-Key; do not document the header", name)
				}
			}
			if _, ok := responses["400"]; !ok {
				t.Errorf("%s: the route refuses Idempotency-Key with a 400; document it", name)
			}
		}
		if strings.Contains(k.path, "{") {
			if _, ok := responses["404"]; !ok {
				t.Errorf("%s: the route takes an id; document the 404 response", name)
			}
		}
	}
}

// TestOpenAPIRefsResolve checks that every $ref points into the document at
// something that exists, and that the core schemas are defined.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"]; ok {
				s, _ := ref.(string)
				if !strings.HasPrefix(s, "#/components/") {
					t.Errorf("openapi.json %s: $ref %q must point into #/components/", at, ref)
				} else if _, ok := pointer(doc, s); !ok {
					t.Errorf("openapi.json %s: $ref %q does not resolve to a defined component", at, s)
				}
			}
			for k, c := range v {
				walk(at+"/"+escapePointer(k), c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s/%d", at, i), c)
			}
		}
	}
	walk("#", doc)

	for _, name := range []string{"Site", "Opening", "Keyway", "Holder", "Key", "Event", "AuditRecord", "User", "Problem"} {
		if _, ok := pointer(doc, "#/components/schemas/"+name); !ok {
			t.Errorf("openapi.json: components.schemas.%s is missing", name)
		}
	}
	if _, ok := pointer(doc, "#/components/securitySchemes/bearer"); !ok {
		t.Error("openapi.json: components.securitySchemes.bearer is missing")
	}
}

// TestOpenAPIServed checks the handler serves the embedded document as JSON.
func TestOpenAPIServed(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil)
	if err := (&Server{}).openapi(rec, req, keyward.Actor{}); err != nil {
		t.Fatal(err)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Error("served document is not valid JSON")
	}
}

// resolve follows v's $ref (one level at a time, until it is not a reference).
func resolve(doc map[string]any, v any) any {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		if v, ok = pointer(doc, ref); !ok {
			return nil
		}
	}
	return nil
}

// pointer looks up a same-document JSON pointer such as "#/components/schemas/Key".
func pointer(doc map[string]any, ref string) (any, bool) {
	rest, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, false
	}
	var cur any = doc
	if rest == "" {
		return cur, true
	}
	if !strings.HasPrefix(rest, "/") {
		return nil, false
	}
	for _, tok := range strings.Split(rest[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func sortedKeys[V any](m map[opKey]V) []opKey {
	ks := make([]opKey, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].path != ks[j].path {
			return ks[i].path < ks[j].path
		}
		return ks[i].method < ks[j].method
	})
	return ks
}

// sampleSchema builds a document whose one route answers v and returns the
// schema of v's type.
func sampleSchema(t *testing.T, v any) map[string]any {
	t.Helper()
	r := api("GET /api/v1/sample", keyward.ActInventoryRead, nil).describe(opDoc{
		id: "getSample", tag: "system", summary: "A sample",
		out: []reply{{200, "The sample.", v, ""}},
	})
	raw, err := buildOpenAPI([]route{r})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	s, ok := pointer(doc, "#/components/schemas/Sample")
	if !ok {
		t.Fatalf("no schema Sample in %s", raw)
	}
	return s.(map[string]any)
}

// TestOpenAPIFollowsTypes: adding a field to a response type changes the
// document with no other edit, and a field that may be null says so.
func TestOpenAPIFollowsTypes(t *testing.T) {
	before := func() any {
		type sample struct {
			ID string `json:"id"`
		}
		return sample{}
	}()
	after := func() any {
		type sample struct {
			ID    string   `json:"id"`
			Tags  []string `json:"tags"`
			Label string   `json:"label,omitempty"`
		}
		return sample{}
	}()
	b, a := sampleSchema(t, before), sampleSchema(t, after)
	bp, _ := b["properties"].(map[string]any)
	ap, _ := a["properties"].(map[string]any)
	if _, ok := bp["tags"]; ok || len(bp) != 1 {
		t.Errorf("before: properties = %v, want id only", bp)
	}
	if len(ap) != 3 || ap["label"] == nil {
		t.Fatalf("after: properties = %v, want id, tags, label", ap)
	}
	if fmt.Sprint(a["required"]) != "[id tags]" {
		t.Errorf("after: required = %v, want [id tags] (label is omitempty)", a["required"])
	}
	// A nil slice is written as null.
	if typ := fmt.Sprint(ap["tags"].(map[string]any)["type"]); typ != "[array null]" {
		t.Errorf("tags: type = %s, want [array null]", typ)
	}
}

// TestOpenAPIEnumsFromDomain: the enums are the domain's own lists.
func TestOpenAPIEnumsFromDomain(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, want := range map[string][]string{
		"KeyStatus":         keyward.KeyStatuses,
		"DuplicationPolicy": keyward.DuplicationPolicies,
		"OpeningKind":       keyward.OpeningKinds,
		"StorageKind":       keyward.StorageKinds,
	} {
		s, _ := pointer(doc, "#/components/schemas/"+name)
		got := fmt.Sprint(s.(map[string]any)["enum"])
		if got != fmt.Sprint(want) {
			t.Errorf("%s: enum = %s, want %v", name, got, want)
		}
	}
	if p, _ := pointer(doc, "#/components/schemas/Key/properties/status/$ref"); p != "#/components/schemas/KeyStatus" {
		t.Errorf("Key.status refers to %v, want the KeyStatus enum", p)
	}
}

// TestSchemaDocsUsed: every schema documented in schemaDocs and fieldEnums is
// in the document, so a renamed type cannot leave its descriptions behind.
// (A documented field the type no longer has fails the build of the document.)
func TestSchemaDocsUsed(t *testing.T) {
	doc := loadOpenAPI(t)
	names := []string{}
	for name := range schemaDocs {
		names = append(names, name)
	}
	for field := range fieldEnums {
		name, _, _ := strings.Cut(field, ".")
		names = append(names, name)
	}
	for _, name := range names {
		if _, ok := pointer(doc, "#/components/schemas/"+name); !ok {
			t.Errorf("schema %s is documented in openapi_schemas.go but no route uses a type of that name", name)
		}
	}
}
