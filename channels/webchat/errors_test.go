package webchat

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/journeybot/journeybot/bot"
	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// TestLogsKeepVisitorIDsSecret makes the engine fail with errors that name the visitor, as store errors do, and
// checks that no log line above debug contains the visitor id while the causes are still logged.
func TestLogsKeepVisitorIDsSecret(t *testing.T) {
	const vid = "v_secretvisitor42"
	eng := newFakeEngine()
	failHistory := true
	eng.HistoryFn = func(_ context.Context, _, user, _ string, _ int64, _ int) (journeystate.Conversation, []journeystate.Message, error) {
		if failHistory {
			failHistory = false // the reader handles one frame at a time: no race
			return journeystate.Conversation{}, nil, fmt.Errorf("find identity web/%s: database is locked", user)
		}
		return journeystate.Conversation{}, nil, nil
	}
	eng.ReceiveFn = func(_ context.Context, in channels.Inbound) (bot.Receipt, error) {
		return bot.Receipt{}, fmt.Errorf("open conversation for %q: disk I/O error", in.ThreadID)
	}
	logs := &lockedBuffer{}
	h, srv := testServer(t, eng, Options{Logger: testLogger(logs), MaxFrameBytes: 1024})
	conn := dial(t, srv)

	send(t, conn, map[string]any{"type": "hello", "visitor_id": vid})
	expect(t, conn, typeError)
	hello(t, conn, vid, 0)
	send(t, conn, map[string]any{"type": "message", "id": "c_1", "text": "hi"})
	expect(t, conn, typeError)
	send(t, conn, map[string]any{"type": "message", "id": "c_2", "text": strings.Repeat("x", 2000)})
	expect(t, conn, typeError)
	conn.Close()
	waitFor(t, "the socket to be forgotten", func() bool { return h.sockets(vid) == 0 })

	text := logs.String()
	for _, cause := range []string{"database is locked", "disk I/O error"} {
		if !strings.Contains(text, cause) {
			t.Errorf("log does not name the cause %q:\n%s", cause, text)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, vid) && !strings.Contains(line, "level=DEBUG") {
			t.Errorf("log line above debug names the visitor: %s", line)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ text, secret, want string }{
		{text: "find identity web/v_abc12345: locked", secret: "v_abc12345", want: "find identity web/[visitor]: locked"},
		{text: `"v_abc12345" and v_abc12345`, secret: "v_abc12345", want: `"[visitor]" and [visitor]`},
		{text: "no visitor here", secret: "", want: "no visitor here"},
	}
	for _, tt := range tests {
		if got := redact(tt.text, tt.secret); got != tt.want {
			t.Errorf("redact(%q, %q) = %q, want %q", tt.text, tt.secret, got, tt.want)
		}
	}
}
