package web_test

import "github.com/keyward/keyward/internal/wiring"

// storeConfig wires a server to the store's services bound to a vault key,
// exactly as serve does.
var storeConfig = wiring.WebServices
