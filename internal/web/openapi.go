package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/invopop/jsonschema"

	"github.com/keyward/keyward/internal/keyward"
)

// The OpenAPI 3.1 document is generated from the route table. Every api(...)
// route carries an opDoc: its summary and description, its parameters, the Go
// type of its request body and of its answer per status. The schemas are
// reflected from those Go types (github.com/invopop/jsonschema, JSON Schema
// 2020-12 as OpenAPI 3.1 uses), then given the descriptions, examples and
// bounds of schemaDocs and the enums of the domain's own lists. Adding a field
// to a response type changes the document with no other edit.

// opDoc documents one API route.
type opDoc struct {
	id, tag, summary, desc string
	// params are the query, header and path parameters; {id} needs none:
	// it is the shared Id parameter.
	params []param
	// in is a zero value of the JSON request body's type; nil: no JSON body.
	in           any
	optionalBody bool   // the body may be left out (an empty body or {})
	bodyDesc     string // what the request body is, when the type does not say
	// rawBody is a requestBody object written as JSON, for bodies that are not JSON.
	rawBody string
	out     []reply
	// errs are the statuses answered with the shared error responses of openapiFrame.
	errs []int
}

// param is a parameter, or a reference (ref) to a shared one of openapiFrame.
type param struct {
	ref, name, in, desc string
	schema              string // JSON
	required            bool
}

// reply is one documented answer: body is a zero value of its JSON type, or
// raw holds the content and headers as JSON for answers that are not JSON.
type reply struct {
	status int
	desc   string
	body   any
	raw    string
}

// describe attaches the route's documentation.
func (r route) describe(d opDoc) route { r.doc = &d; return r }

// schemaDoc documents one schema: its description, per JSON field the
// keywords to add (description, examples, bounds) as JSON, and for request
// bodies the members a client must send.
type schemaDoc struct {
	desc     string
	fields   map[string]string
	required []string
}

// enumSchemas are the named enums, each read from the domain's own list.
func enumSchemas() []struct {
	name, desc string
	values     []string
} {
	roles := make([]string, 0, len(keyward.Roles)+1)
	for _, r := range keyward.Roles {
		roles = append(roles, string(r))
	}
	actorRoles := append(slices.Clone(roles), string(keyward.RoleSystem))
	type e = struct {
		name, desc string
		values     []string
	}
	return []e{
		{"Role", "What a user may do in the organization.", roles},
		{"ActorRole", "The role of whoever acted; `system` for offline commands (init, demo, shell imports).", actorRoles},
		{"OpeningKind", "", keyward.OpeningKinds},
		{"DuplicationPolicy", "Whether copies may be cut: `open`, `dnd` (do not duplicate) or `restricted`.", keyward.DuplicationPolicies},
		{"HolderKind", "", keyward.HolderKinds},
		{"KeyStatus", "", keyward.KeyStatuses},
		{"CustodyAction", "", keyward.LogbookActions()},
		{"StorageKind", "`cabinet`: numbered hooks; `lockbox`: a sealed code; `envelope`: a numbered seal; `holder`: a designated key holder keeping a spare.", keyward.StorageKinds},
		{"CredentialKind", "", keyward.CredentialKinds},
		{"WebhookEvent", "", keyward.WebhookEvents},
		{"CopyState", "Where a copy request stands: `requested` → (`evidence_accepted`, for a restricted keyway) → `approved` or `denied` (or `escalated` to the owner) → `produced` → `handed_over`; `cancelled` at any step before production.", keyward.CopyStates},
		{"IDType", "The kind of photo ID checked at the counter.", keyward.IDTypes},
		{"KeyOrigin", "How a copy came under control: `registered` (an existing copy entered by an owner or admin, or any copy of an open keyway), `imported` (from a spreadsheet) or `produced` (cut for a copy request).", keyward.KeyOrigins},
		{"LostReach", "How a lost key opens a door: `intended`, a key system cylinder is pinned for it; `incidental`, its bitting operates the cylinder through master pins though no record says so; `schedule`, the door's keying schedule lists it.", keyward.LostReaches},
		{"LostNextStep", "The next step for a lost key: start or continue its key system's rekey plan (or see it finished); make or continue the work list of a key outside key systems (or see it finished); or `nothing`, when no door on record lists a key outside key systems.", keyward.LostNextSteps},
		{"WorkMethod", "How a work-list door was made safe: its lock `rekey`ed or `replace`d.", keyward.WorkMethods},
	}
}

// sharedResponses name the error answers of openapiFrame by status.
var sharedResponses = map[int]string{
	400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
	409: "Conflict", 422: "IdempotencyMismatch", 429: "TooManyRequests", 500: "InternalError",
}

// openapiDoc is the document, built once from the route table. The table
// only takes method values of a Server, so a zero Server builds it.
var openapiDoc struct {
	once sync.Once
	doc  []byte
	err  error
}

func openapiDocument() ([]byte, error) {
	openapiDoc.once.Do(func() {
		openapiDoc.doc, openapiDoc.err = buildOpenAPI((&Server{}).routeTable())
	})
	return openapiDoc.doc, openapiDoc.err
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request, _ keyward.Actor) error {
	doc, err := openapiDocument()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(doc)
	return err
}

// buildOpenAPI assembles the document from the API routes of rs.
func buildOpenAPI(rs []route) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(openapiFrame), &doc); err != nil {
		return nil, fmt.Errorf("openapiFrame: %w", err)
	}
	g := newSchemaGen()
	paths := map[string]any{}
	for _, r := range rs {
		if r.page {
			continue
		}
		if r.doc == nil {
			return nil, fmt.Errorf("API route %q has no documentation: add .describe(opDoc{…})", r.pattern)
		}
		method, path, ok := strings.Cut(r.pattern, " ")
		if !ok {
			return nil, fmt.Errorf("route %q is not \"METHOD /path\"", r.pattern)
		}
		path = strings.ReplaceAll(strings.TrimSuffix(path, "{$}"), "...}", "}")
		op, err := g.operation(r, path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.pattern, err)
		}
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = op
	}
	doc["paths"] = paths
	schemas, err := g.finish()
	if err != nil {
		return nil, err
	}
	doc["components"].(map[string]any)["schemas"] = schemas
	return json.MarshalIndent(doc, "", "  ")
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func (g *schemaGen) operation(r route, path string) (map[string]any, error) {
	d := r.doc
	op := map[string]any{"operationId": d.id, "tags": []string{d.tag}, "summary": d.summary}
	if d.desc != "" {
		op["description"] = d.desc
	}
	if r.action == keyward.ActPublic {
		op["security"] = []any{}
	}
	params := []any{}
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		if m[1] == "id" {
			params = append(params, map[string]any{"$ref": "#/components/parameters/Id"})
			continue
		}
		i := slices.IndexFunc(d.params, func(p param) bool { return p.in == "path" && p.name == m[1] })
		if i < 0 {
			return nil, fmt.Errorf("path parameter {%s} is not described in params", m[1])
		}
		p, err := d.params[i].spec()
		if err != nil {
			return nil, err
		}
		params = append(params, p)
	}
	for _, p := range d.params {
		if p.in == "path" {
			continue
		}
		obj, err := p.spec()
		if err != nil {
			return nil, err
		}
		params = append(params, obj)
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	switch {
	case d.in != nil:
		ref, err := g.ref(d.in)
		if err != nil {
			return nil, err
		}
		rb := map[string]any{"required": !d.optionalBody, "content": map[string]any{"application/json": map[string]any{"schema": ref}}}
		if d.bodyDesc != "" {
			rb["description"] = d.bodyDesc
		}
		op["requestBody"] = rb
	case d.rawBody != "":
		var rb any
		if err := json.Unmarshal([]byte(d.rawBody), &rb); err != nil {
			return nil, fmt.Errorf("rawBody: %w", err)
		}
		op["requestBody"] = rb
	}
	responses := map[string]any{}
	for _, o := range d.out {
		resp := map[string]any{}
		if o.raw != "" {
			if err := json.Unmarshal([]byte(o.raw), &resp); err != nil {
				return nil, fmt.Errorf("reply %d: %w", o.status, err)
			}
		}
		resp["description"] = o.desc
		if o.body != nil {
			ref, err := g.ref(o.body)
			if err != nil {
				return nil, err
			}
			media := "application/json"
			if o.status >= 400 {
				media = "application/problem+json"
			}
			resp["content"] = map[string]any{media: map[string]any{"schema": ref}}
		}
		responses[fmt.Sprint(o.status)] = resp
	}
	for _, st := range d.errs {
		name, ok := sharedResponses[st]
		if !ok {
			return nil, fmt.Errorf("no shared response for status %d", st)
		}
		responses[fmt.Sprint(st)] = map[string]any{"$ref": "#/components/responses/" + name}
	}
	op["responses"] = responses
	return op, nil
}

// spec is the OpenAPI parameter object of p.
func (p param) spec() (map[string]any, error) {
	if p.ref != "" {
		return map[string]any{"$ref": "#/components/parameters/" + p.ref}, nil
	}
	var schema any
	if err := json.Unmarshal([]byte(p.schema), &schema); err != nil {
		return nil, fmt.Errorf("parameter %s: %w", p.name, err)
	}
	obj := map[string]any{"name": p.name, "in": p.in, "required": p.required || p.in == "path", "schema": schema}
	if p.desc != "" {
		obj["description"] = p.desc
	}
	return obj, nil
}

// schemaGen reflects Go types into named schemas under #/components/schemas.
type schemaGen struct {
	r       *jsonschema.Reflector
	types   map[string]reflect.Type // schema name → Go type
	schemas map[string]any
}

func newSchemaGen() *schemaGen {
	g := &schemaGen{types: map[string]reflect.Type{}, schemas: map[string]any{}}
	g.r = &jsonschema.Reflector{Anonymous: true, Namer: g.name}
	return g
}

// webNames are the schema names of web's own wire types whose Go name says less.
var webNames = map[string]string{"problemBody": "Problem", "newAccount": "CreatedUser"}

// name is the schema name of a Go type: its own name, capitalized;
// keyward.Page[keyward.Key] is KeyPage.
func (g *schemaGen) name(t reflect.Type) string {
	n := t.Name()
	if n == "" {
		return ""
	}
	if base, arg, ok := strings.Cut(n, "["); ok {
		arg = strings.TrimSuffix(arg, "]")
		n = arg[strings.LastIndex(arg, ".")+1:] + base
	}
	if w, ok := webNames[n]; ok {
		n = w
	}
	r, size := utf8.DecodeRuneInString(n)
	n = string(unicode.ToUpper(r)) + n[size:]
	if prev, ok := g.types[n]; ok && prev != t {
		panic(fmt.Sprintf("openapi: two types named %s: %v and %v", n, prev, t))
	}
	g.types[n] = t
	return n
}

// ref reflects v's type and returns a reference to its schema.
func (g *schemaGen) ref(v any) (map[string]any, error) {
	s := g.r.Reflect(v)
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	raw = []byte(strings.ReplaceAll(string(raw), `"#/$defs/`, `"#/components/schemas/`))
	var top map[string]any
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	defs, _ := top["$defs"].(map[string]any)
	for name, def := range defs {
		g.schemas[name] = def
	}
	ref, ok := top["$ref"].(string)
	if !ok {
		return nil, fmt.Errorf("type %T has no named schema", v)
	}
	return map[string]any{"$ref": ref}, nil
}

// finish adds what the Go types cannot say: null where a field may be null,
// the enums, and the descriptions of schemaDocs.
func (g *schemaGen) finish() (map[string]any, error) {
	// Problem is every error answer's body, referred to by openapiFrame.
	if _, err := g.ref(problemBody{}); err != nil {
		return nil, err
	}
	// An error may carry members of its own (keyward.Error's Extra, such as
	// a 429's retry_after), so Problem, unlike the other answers, is open.
	delete(g.schemas["Problem"].(map[string]any), "additionalProperties")
	for name, t := range g.types {
		s, _ := g.schemas[name].(map[string]any)
		props, _ := s["properties"].(map[string]any)
		if props == nil || t.Kind() != reflect.Struct {
			continue
		}
		for _, f := range jsonFields(t) {
			p, ok := props[f.name].(map[string]any)
			if !ok || !f.nullable {
				continue
			}
			props[f.name] = orNull(p)
		}
	}
	for _, e := range enumSchemas() {
		s := map[string]any{"type": "string", "enum": e.values}
		if e.desc != "" {
			s["description"] = e.desc
		}
		g.schemas[e.name] = s
	}
	for field, enum := range fieldEnums {
		name, prop, _ := strings.Cut(field, ".")
		if g.schemas[name] == nil {
			continue // no route uses the type (TestSchemaDocsUsed checks the full table)
		}
		p, err := g.property(name, prop)
		if err != nil {
			return nil, fmt.Errorf("fieldEnums: %w", err)
		}
		ref := "#/components/schemas/" + enum
		if items, ok := p["items"].(map[string]any); ok {
			clear(items)
			items["$ref"] = ref
		} else {
			delete(p, "type")
			p["$ref"] = ref
		}
	}
	for name, sd := range schemaDocs {
		s, ok := g.schemas[name].(map[string]any)
		if !ok {
			continue // no route uses the type (TestSchemaDocsUsed checks the full table)
		}
		if sd.desc != "" {
			s["description"] = sd.desc
		}
		if sd.required != nil {
			s["required"] = sd.required
		}
		for prop, kw := range sd.fields {
			p, err := g.property(name, prop)
			if err != nil {
				return nil, fmt.Errorf("schemaDocs: %w", err)
			}
			if err := json.Unmarshal([]byte(kw), &p); err != nil {
				return nil, fmt.Errorf("schemaDocs %s.%s: %w", name, prop, err)
			}
		}
	}
	return g.schemas, nil
}

func (g *schemaGen) property(schema, prop string) (map[string]any, error) {
	s, _ := g.schemas[schema].(map[string]any)
	props, _ := s["properties"].(map[string]any)
	p, ok := props[prop].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema %s has no property %s", schema, prop)
	}
	return p, nil
}

// orNull lets a property also be null.
func orNull(p map[string]any) map[string]any {
	switch t := p["type"].(type) {
	case string:
		p["type"] = []any{t, "null"}
		return p
	case nil:
		if ref, ok := p["$ref"]; ok {
			return map[string]any{"anyOf": []any{map[string]any{"$ref": ref}, map[string]any{"type": "null"}}}
		}
	}
	return p
}

// jsonField is a member encoding/json writes for a struct field.
type jsonField struct {
	name     string
	nullable bool // a nil pointer, slice or map written as null
}

// jsonFields lists the members of struct type t as encoding/json writes them,
// embedded structs flattened.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		omit := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
		switch ft.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			out = append(out, jsonField{name: name, nullable: !omit})
		default:
			out = append(out, jsonField{name: name})
		}
	}
	return out
}
