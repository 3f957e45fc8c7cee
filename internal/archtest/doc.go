// Package archtest holds the test that keeps the module's layering: cmd →
// transport (web, client, notify) → domain (keyward) ← store. It has no code
// of its own.
package archtest
