package main

import (
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keyward/keyward/internal/keyward"
)

// Shell completion of what the API commands take, asked of the server with
// the command line's --server and --token (or their environment): the
// stamps of keys and the emails of holders. Nothing is completed when the
// server cannot be asked.

const noFiles = cobra.ShellCompDirectiveNoFileComp

// completeKey completes a KEY argument with the stamps that start with what
// was typed.
func (e *env) completeKey(cmd *cobra.Command, args []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, noFiles
	}
	e.globals(cmd)
	q := url.Values{"limit": {"100"}}
	if sym, _, _ := strings.Cut(typed, "-"); sym != "" {
		q.Set("q", sym)
	}
	var p keyward.Page[keyward.Key]
	if err := e.api().get("/api/v1/keys", q, &p); err != nil {
		return nil, noFiles
	}
	var out []cobra.Completion
	for _, k := range p.Items {
		if strings.HasPrefix(strings.ToUpper(k.Stamp), strings.ToUpper(typed)) {
			out = append(out, cobra.CompletionWithDesc(k.Stamp, words(k.Status)))
		}
	}
	return out, noFiles
}

// completeHolder completes a HOLDER with the emails of the holders whose
// name or email has what was typed.
func (e *env) completeHolder(cmd *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
	e.globals(cmd)
	a := e.api()
	var found []keyward.Holder
	if strings.TrimSpace(typed) == "" {
		var p keyward.Page[keyward.Holder]
		if err := a.get("/api/v1/holders", url.Values{"limit": {"100"}}, &p); err != nil {
			return nil, noFiles
		}
		found = p.Items
	} else {
		res, err := a.search(typed)
		if err != nil {
			return nil, noFiles
		}
		found = res.Holders
	}
	var out []cobra.Completion
	for _, h := range found {
		out = append(out, cobra.CompletionWithDesc(h.Email, h.Name))
	}
	return out, noFiles
}
