package web

import "github.com/keyward/keyward/internal/keyward"

// importRoutes are spreadsheet imports (in steps on the pages: upload, map the columns,
// dry run, commit) and CSV exports: the JSON API, then the pages.
func (s *Server) importRoutes() []route {
	return []route{
		api("POST /api/v1/imports", keyward.ActImport, s.importKeys).describe(opDoc{
			id: "importKeys", tag: "imports", summary: "Import keys from a spreadsheet",
			desc:    "One key per data row. The canonical headers are `symbol`, `keyway` (a keyway name), `copy_number`, `holder_name`, `holder_email` and `due_at` (RFC 3339); other columns are ignored and a UTF-8 byte-order mark is allowed. Row numbers are 1-based data rows (the header is row 0); a row repeating an earlier row's `symbol` + `copy_number` is reported at the later row. A `holder_email` the organization does not know yet creates that holder, named by `holder_name`. The import is all or nothing: 409 if another request created one of its keys or holders meanwhile (run it again). The file may be at most 32 MiB.",
			params:  []param{{name: "dry_run", in: "query", desc: "`true`: check the file and report, writing nothing.", schema: `{"type":"boolean","default":false}`}, {ref: "IdempotencyKey"}},
			rawBody: `{"required":true,"description":"The spreadsheet as the raw body (\u0060text/csv\u0060 or XLSX), or one file of a \u0060multipart/form-data\u0060 upload. A body without a spreadsheet type is read as XLSX or CSV by its first bytes.","content":{"text/csv":{"schema":{"type":"string"}},"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":{"schema":{"type":"string","contentMediaType":"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet","description":"An XLSX workbook; its first sheet is read."}},"multipart/form-data":{"schema":{"type":"object","required":["file"],"properties":{"file":{"type":"string","contentMediaType":"application/octet-stream","description":"A CSV or XLSX file (\u0060.xlsx\u0060 by name or type)."}}}}}}`,
			out:     []reply{{200, "Dry run: how many data rows the file has and every error found; nothing is written.", importReport{}, ""}, {201, "Imported: every row was written.", importResult{}, ""}, {422, "The file has errors and nothing at all was written; `errors` lists them as a dry run would. (Also: the `Idempotency-Key` was already used for a different request, without `errors`.)", importProblem{}, ""}},
			errs:    []int{400, 401, 403, 409},
		}),
		api("GET /api/v1/exports/{kind}", keyward.ActInventoryRead, s.exportCSV).describe(opDoc{
			id: "exportCSV", tag: "imports", summary: "Export a list as CSV",
			desc:   "`keys`: every key; its first six columns are the import's, so an export loads into another database; its last two are `doors` (every door the key opens, `Door (Site)` separated by `; `) and `storage` (its place and hook). Times are RFC 3339 on the organization's clock, with its offset. `holders`: every holder. `logbook`: every custody event, oldest first. 404 for another `kind`. Each export is recorded in the audit log.",
			params: []param{{name: "kind", in: "path", desc: "What to export.", schema: `{"type":"string","enum":["keys","holders","logbook"]}`}},
			out:    []reply{{200, "The table as CSV with a header row, as a download. Cells a spreadsheet would run as a formula get a leading apostrophe.", nil, `{"headers":{"Content-Disposition":{"schema":{"type":"string","examples":["attachment; filename=\"keyward-keys.csv\""]}}},"content":{"text/csv":{"schema":{"type":"string"}}}}`}},
			errs:   []int{401, 403, 404},
		}),

		page("GET /imports", keyward.ActImport, s.importsPage),
		page("POST /imports", keyward.ActImport, s.importUpload),
		page("GET /imports/{id}", keyward.ActImport, s.importMapPage),
		page("POST /imports/{id}/check", keyward.ActImport, s.importCheck),
		page("POST /imports/{id}/commit", keyward.ActImport, s.importCommit),
		// A wildcard is a whole path segment, so {file} is "keys.csv".
		page("GET /exports/{file}", keyward.ActInventoryRead, s.exportPage),
	}
}
