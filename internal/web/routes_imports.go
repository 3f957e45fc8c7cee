package web

import "github.com/keyward/keyward/internal/keyward"

// importRoutes are spreadsheet imports (in steps on the pages: upload, map the columns,
// dry run, commit) and CSV exports: the JSON API, then the pages.
func (s *Server) importRoutes() []route {
	return []route{
		api("POST /api/v1/imports", keyward.ActImport, s.importKeys).describe(opDoc{
			id: "importKeys", tag: "imports", summary: "Import keys from a spreadsheet",
			desc: "One key per data row. The canonical headers are `symbol`, `keyway` (a keyway name), `copy_number`, `holder_name`, `holder_email` and `due_at` (RFC 3339), read exactly as the outside contract says; a UTF-8 byte-order mark is allowed. More columns are read too: `door` (the door the key opens: the key's symbol joins that door's keying schedule), `site` (the door's site), `hook` (the cabinet hook where a key in storage hangs: `12`, or `Cabinet A 12`) and `holder_kind` (tenant, staff, contractor, family, neighbour, other, for a holder the import creates). Other headers are matched by their words, in any case and punctuation (`Key #`, `Stamp`, `Tenant`, `Name`, `Email`, `Unit`, `Door`, `Hook`, `Due`, `Type`…); a column found that way is read leniently: due dates as people write them (`12/20/2026`, `2026-12-20`, `2026-12-31 17:00`, `20 Dec 2026`) on the organization's clock, a holder by name alone (an existing holder of that name, or a new one without an email), a stamp `U4-2` as symbol and copy, and a new symbol in capitals. Stamps are compared as everywhere (`u4` is `U4`) and a symbol the organization already has keeps its spelling. The header is the first row when it names `symbol` and `keyway`, else the row among the first 20 that names the most columns, or `header_row`. Row numbers are 1-based data rows after the header (the header is row 0); a row repeating an earlier row's `symbol` + `copy_number` is reported at the later row. A `holder_email` the organization does not know yet creates that holder, named by `holder_name`. Keyways, holders named without an email, sites and doors the organization does not know are listed in `new` and created only with `create=true`; otherwise each row naming one is an error. The import is all or nothing: 409 if another request created one of its keys or holders meanwhile (run it again). The file may be at most 32 MiB.",
			params: []param{{name: "dry_run", in: "query", desc: "`true`: check the file and report, writing nothing.", schema: `{"type":"boolean","default":false}`},
				{name: "header_row", in: "query", desc: "Which row holds the column names, counting the rows that are not blank from 1 (a title row above the header makes it 2). Default: detected.", schema: `{"type":"integer","minimum":1,"maximum":1000}`},
				{name: "date_order", in: "query", desc: "How dates such as 03/04/2026 are read: `mdy` (month first) or `dmy` (day first). Default: as the file's own dates show (a number above 12 is a day), else as usual in the organization's time zone; the dry run's `date_order` says which and why.", schema: `{"type":"string","enum":["mdy","dmy"]}`},
				{name: "holder_kind", in: "query", desc: "The kind of a holder the import creates when its row says none.", schema: `{"type":"string","enum":["staff","tenant","contractor","family","neighbour","other"],"default":"staff"}`},
				{name: "create", in: "query", desc: "`true`: create the keyways, holders named without an email, sites and doors that the file names and the organization does not have (the dry run lists them in `new`). Default: each row naming one is an error.", schema: `{"type":"boolean","default":false}`},
				{name: "site", in: "query", desc: "The site (a name) of new doors, and of doors whose row names no site; needed when the organization has more than one site or none (with `create=true` it is created).", schema: `{"type":"string"}`},
				{name: "report", in: "query", desc: "`true`: a dry run also answers what the file names that the organization lacks (`new`), how each due date was read (`dates`, `date_order`) and which row was the header (`header_row`); a 422 carries the same as `report`. Default: `rows` and `errors` only.", schema: `{"type":"boolean","default":false}`},
				{name: "cabinet", in: "query", desc: "The cabinet (a name) of hooks written as a bare number; needed when the organization has more than one cabinet.", schema: `{"type":"string"}`},
				{ref: "IdempotencyKey"}},
			rawBody: `{"required":true,"description":"The spreadsheet as the raw body (\u0060text/csv\u0060 or XLSX), or one file of a \u0060multipart/form-data\u0060 upload. A body without a spreadsheet type is read as XLSX or CSV by its first bytes.","content":{"text/csv":{"schema":{"type":"string"}},"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":{"schema":{"type":"string","contentMediaType":"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet","description":"An XLSX workbook; its first sheet is read."}},"multipart/form-data":{"schema":{"type":"object","required":["file"],"properties":{"file":{"type":"string","contentMediaType":"application/octet-stream","description":"A CSV or XLSX file (\u0060.xlsx\u0060 by name or type)."}}}}}}`,
			out:     []reply{{200, "Dry run: how many data rows the file has and every error found (with `report=true` also what it names that the organization lacks, `new`, and how each due date was read, `dates` and `date_order`); nothing is written.", importReport{}, ""}, {201, "Imported: every row was written.", importResult{}, ""}, {422, "The file has errors and nothing at all was written; `errors` lists them as a dry run would. (Also: the `Idempotency-Key` was already used for a different request, without `errors`.)", importProblem{}, ""}},
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
