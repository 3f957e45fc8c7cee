package web_test

import (
	"strings"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/web"
)

// TestDashboardSaysCheckpointsAreOff: when serve signs no audit checkpoints
// (PostgreSQL without a signing key or checkpoint directory), the dashboard
// says so, with the variables to set, to those who read the audit log; others
// and a server that signs checkpoints show no notice.
func TestDashboardSaysCheckpointsAreOff(t *testing.T) {
	const why = "Audit checkpoints are off: on PostgreSQL set KEYWARD_CHECKPOINT_DIR (a directory outside the database)."
	off := uiStartIn(t, "", func(c *web.Config) { c.CheckpointsOff = why })
	_, body, _ := off.signIn(uiOwnerEmail, uiOwnerPassword).get("/")
	if !strings.Contains(body, `id="checkpoints-off"`) || !strings.Contains(body, "KEYWARD_CHECKPOINT_DIR") {
		t.Fatalf("the owner's dashboard does not say checkpoints are off:\n%s", body)
	}
	email, pw := off.user(keyward.RoleAuditor, "")
	if _, body, _ := off.signIn(email, pw).get("/"); !strings.Contains(body, "Audit checkpoints are off") {
		t.Fatal("the auditor's dashboard does not say checkpoints are off")
	}
	email, pw = off.user(keyward.RoleManager, "")
	if _, body, _ := off.signIn(email, pw).get("/"); strings.Contains(body, "checkpoints-off") {
		t.Fatal("a manager, who does not read the audit log, was shown the notice")
	}
	on := uiStart(t)
	if _, body, _ := on.signIn(uiOwnerEmail, uiOwnerPassword).get("/"); strings.Contains(body, "checkpoints-off") {
		t.Fatal("a notice with checkpoints on")
	}
}
