// Package client is the Keyward API client the CLI uses. Problem responses
// decode into *keyward.Error, so the CLI says what the API and UI say.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keyward/keyward/internal/keyward"
)

// Client talks to one Keyward server with one token.
type Client struct {
	base  string
	token keyward.Secret
	http  *http.Client
}

// New returns a client for the server at base (e.g. http://127.0.0.1:8080).
func New(base, token string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: keyward.Secret(token), http: &http.Client{Timeout: 60 * time.Second}}
}

var codeOf = map[int]keyward.Code{
	400: keyward.EINVALID, 401: keyward.EUNAUTHORIZED, 403: keyward.EFORBIDDEN, 404: keyward.ENOTFOUND,
	409: keyward.ECONFLICT, 422: keyward.EUNPROCESSABLE, 429: keyward.ETOOMANY, 503: keyward.EUNAVAILABLE,
}

// Do sends a request with a JSON body (nil for none) and decodes a JSON answer into out.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var p struct {
			Detail string               `json:"detail"`
			Errors []keyward.FieldError `json:"errors"`
		}
		_ = json.Unmarshal(b, &p)
		code, ok := codeOf[resp.StatusCode]
		if !ok {
			code = keyward.EINTERNAL
		}
		if p.Detail == "" {
			p.Detail = resp.Status
		}
		return &keyward.Error{Code: code, Message: p.Detail, Fields: p.Errors}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("unexpected answer from server: %w", err)
	}
	return nil
}
