package store_test

import (
	"context"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
	"github.com/keyward/keyward/internal/store"
	"github.com/keyward/keyward/internal/store/storetest"
)

// BenchmarkCodeReveal measures one authorized reveal of a key code: the
// role gate, the code's and the request's row locks, the rule, opening the
// sealed code, the reveal row, the audit record and the secret.revealed
// event, in one durable transaction.
func BenchmarkCodeReveal(b *testing.B) {
	storetest.Each(b, func(b *testing.B, be storetest.Backend) {
		env, db, owner := benchSetup(b, be)
		ctx := context.Background()
		kc := db.KeyCodes(env.Vault)
		acc := db.Accounts(env.Vault)
		actor := func(email string, role keyward.Role) keyward.Actor {
			u, _, err := acc.CreateUser(ctx, owner, store.UserInput{Email: email, Name: email, Role: role})
			if err != nil {
				b.Fatal(err)
			}
			return keyward.Actor{UserID: u.ID, Email: u.Email, Role: u.Role}
		}
		advisor, mgr, tech := actor("desk@bench.test", keyward.RoleAdvisor), actor("mgr@bench.test", keyward.RoleManager), actor("tech@bench.test", keyward.RoleTechnician)
		set := keyward.DefaultCodeSettings()
		set.MaxReveals = keyward.MaxCodeReveals
		if _, err := kc.SetCodeSettings(ctx, owner, set); err != nil {
			b.Fatal(err)
		}
		k, err := kc.CreateKeyCode(ctx, tech, keyward.KeyCodeInput{VIN: "1M8GDM9AXKP042788", Code: "K7Q4-19XZ", Source: keyward.CodeSourceService})
		if err != nil {
			b.Fatal(err)
		}
		approved := func() string {
			r, err := kc.RequestCode(ctx, advisor, keyward.CodeRequestInput{KeyCodeID: k.ID, Relationship: keyward.RelOwner, Reason: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := kc.ApproveCode(ctx, mgr, r.ID); err != nil {
				b.Fatal(err)
			}
			return r.ID
		}
		reqs := make([]string, (b.N+keyward.MaxCodeReveals-1)/keyward.MaxCodeReveals)
		for i := range reqs {
			reqs[i] = approved()
		}
		b.ResetTimer()
		for i := range b.N {
			if _, err := kc.RevealKeyCode(ctx, tech, k.ID, keyward.KeyCodeRevealInput{RequestID: reqs[i/keyward.MaxCodeReveals], Reason: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
