package locksync

import (
	"crypto/rand"
	"encoding/hex"
)

func newToken() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
