package notify

import (
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"syscall"
	"testing"

	"github.com/keyward/keyward/internal/keyward"
)

func TestInWords(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("webhook answered 500 Internal Server Error"), "the receiving server answered 500 Internal Server Error instead of accepting it"},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, "refused the connection"},
		{&net.DNSError{Err: "no such host", Name: "hooks.example"}, "host name could not be found"},
		{&textproto.Error{Code: 535, Msg: "auth failed"}, "refused the sign-in: check KEYWARD_SMTP_USER"},
		{&textproto.Error{Code: 550, Msg: "no such user"}, "refused the address"},
		{errors.New("webhook address is not public"), "private network"},
		{keyward.ErrNotConfigured, "not set up"},
	} {
		got := inWords(tc.err)
		if !strings.Contains(got.Error(), tc.want) {
			t.Errorf("inWords(%v) = %q, want it to say %q", tc.err, got, tc.want)
		}
		if !errors.Is(got, tc.err) && !errors.As(got, new(*net.OpError)) {
			t.Errorf("inWords(%v) lost its cause", tc.err)
		}
	}
}
