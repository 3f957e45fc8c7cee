package web

import "testing"

func TestWithFlash(t *testing.T) {
	tests := []struct{ path, msg, want string }{
		{"/", "", "/"},
		{"/", "2 failed", "/?flash=2+failed"},
		{"/keys?symbol=AA1", "hi", "/keys?flash=hi&symbol=AA1"},
		{"/keys#top", "hi", "/keys?flash=hi#top"},
		{"/keys?flash=old", "new", "/keys?flash=new"},
	}
	for _, tt := range tests {
		if got := withFlash(tt.path, tt.msg); got != tt.want {
			t.Errorf("withFlash(%q, %q) = %q, want %q", tt.path, tt.msg, got, tt.want)
		}
	}
}
