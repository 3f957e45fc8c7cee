package store

import (
	"strings"
	"testing"
)

func TestLoadOrder(t *testing.T) {
	for _, c := range []struct {
		name   string
		tables []string
		deps   map[string][]string
		want   string
		err    string
	}{
		{"no references: alphabetical", []string{"b", "a"}, nil, "a b", ""},
		{"parents first", []string{"api_tokens", "users", "holders"},
			map[string][]string{"api_tokens": {"users"}, "users": {"holders"}}, "holders users api_tokens", ""},
		{"a referenced table without rows is skipped", []string{"keys"},
			map[string][]string{"keys": {"keyways", "holders"}}, "keys", ""},
		{"a table that references itself", []string{"a"}, map[string][]string{"a": {"a"}}, "a", ""},
		{"a cycle is refused", []string{"a", "b"}, map[string][]string{"a": {"b"}, "b": {"a"}}, "", "cycle"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := loadOrder(c.tables, c.deps)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != c.want {
				t.Fatalf("loadOrder = %v, %v; want %s", got, err, c.want)
			}
		})
	}
}
