package keyward

import "log/slog"

// Secret holds a value that must never reach a log, an error or an export by
// accident. Grep for Reveal to find every read.
type Secret string

func (Secret) String() string               { return "[redacted]" }
func (Secret) GoString() string             { return "[redacted]" }
func (Secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Reveal returns the plaintext. Every call site is a deliberate read.
func (s Secret) Reveal() string { return string(s) }
