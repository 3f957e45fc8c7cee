package web

import "github.com/keyward/keyward/internal/keyward"

// reportRoutes are the report pages, each with its CSV file, and a holder's
// printable key receipt.
func (s *Server) reportRoutes() []route {
	return []route{
		page("GET /reports", keyward.ActInventoryRead, s.reportsPage),
		page("GET /reports/holders", keyward.ActInventoryRead, s.holdingsReport),
		page("GET /reports/holders.csv", keyward.ActInventoryRead, s.holdingsReport),
		page("GET /reports/doors", keyward.ActInventoryRead, s.doorsReport),
		page("GET /reports/doors.csv", keyward.ActInventoryRead, s.doorsReport),
		page("GET /reports/overdue", keyward.ActInventoryRead, s.overdueReport),
		page("GET /reports/overdue.csv", keyward.ActInventoryRead, s.overdueReport),
		page("GET /holders/{id}/receipt.pdf", keyward.ActInventoryRead, s.holderReceiptPDF),
	}
}
