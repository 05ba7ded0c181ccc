package webchat

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"

	"github.com/journeybot/journeybot/journeystate"
)

// startWriter runs c's writer until the test ends.
func startWriter(t *testing.T, c *client) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.writeLoop()
	}()
	t.Cleanup(func() {
		c.stop(websocket.CloseNormalClosure, "")
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("writer still running 5 s after stop")
		}
	})
}

func TestStreamWhileTheWriterIsBehind(t *testing.T) {
	h := New(newFakeEngine(), Options{})
	c, peer := pausedClient(t, h)
	c.handle([]byte(`{"type":"hello","visitor_id":"` + visitorA + `"}`))
	conv := journeystate.Conversation{ID: "conv1", ThreadID: visitorA}
	for _, text := range []string{"Stand", "ard ", "shipping"} {
		h.StreamDelta(conv, "r1", text)
	}
	h.Typing(conv, true)
	for _, text := range []string{" takes", " 3 days", "."} {
		h.StreamDelta(conv, "r1", text)
	}
	h.StreamDelta(conv, "r2", "Other")

	startWriter(t, c) // the writer catches up with what was queued while it was not running
	if f := read(t, peer); f.Type != typeWelcome {
		t.Fatalf("first frame %+v, want the welcome", f)
	}
	want := []frame{
		{Type: typeDelta, ReplyID: "r1", Text: "Standard shipping"},
		{Type: typeTyping, On: true},
		{Type: typeDelta, ReplyID: "r1", Text: " takes 3 days."},
		{Type: typeDelta, ReplyID: "r2", Text: "Other"},
	}
	var got []frame
	for range want {
		got = append(got, read(t, peer))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("frames read (-want +got):\n%s", diff)
	}

	// A writer that keeps up sends every delta as it comes: nothing waits for a next one.
	for _, text := range []string{"a", "b", "c"} {
		h.StreamDelta(conv, "r3", text)
		if f := read(t, peer); f.Type != typeDelta || f.ReplyID != "r3" || f.Text != text {
			t.Errorf("got %+v, want the delta %q of r3 alone", f, text)
		}
	}
	expectNothingBefore(t, h, visitorA, peer)
}

// BenchmarkStreamDelta streams one-word deltas of one reply to a socket and reports the frames its client reads per
// delta. When the writer keeps up (each delta is read before the next is published) that is 1; when deltas come in
// bursts, to a reader behind small socket buffers (a slow network), the writer falls behind and deltas merge.
func BenchmarkStreamDelta(b *testing.B) {
	for _, bc := range []struct {
		name  string
		burst int
		small bool
	}{
		{name: "writer keeps up", burst: 1},
		{name: "slow reader", burst: 64, small: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			conn, h := streamBenchSocket(b, bc.small)
			conv := journeystate.Conversation{ThreadID: visitorA}
			var frames atomic.Int64
			burstRead := make(chan struct{}, 1)
			go func() {
				for {
					_, data, err := conn.ReadMessage()
					if err != nil {
						return // closed at the end
					}
					frames.Add(1)
					if bytes.HasSuffix(data, []byte(`end."}`)) {
						select {
						case burstRead <- struct{}{}:
						default: // cannot happen: one burst at a time, each waited for
						}
					}
				}
			}()

			b.ResetTimer()
			for i := 0; i < b.N; {
				n := min(bc.burst, b.N-i)
				for range n - 1 {
					h.StreamDelta(conv, "r1", "w ")
				}
				h.StreamDelta(conv, "r1", "end.")
				i += n
				select {
				case <-burstRead:
				case <-time.After(10 * time.Second):
					b.Fatalf("a burst of %d deltas not read within 10 s", n)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(frames.Load())/float64(b.N), "frames/delta")
		})
	}
}

// streamBenchSocket serves a Hub and returns a socket that has said hello as visitorA; with small, both ends of the
// connection have small kernel buffers, so the server's writes wait for the client to read.
func streamBenchSocket(b *testing.B, small bool) (*websocket.Conn, *Hub) {
	b.Helper()
	const smallBuffer = 4 << 10
	h := New(newFakeEngine(), Options{})
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewUnstartedServer(mux)
	dialer := *websocket.DefaultDialer
	if small {
		srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
			if tc, ok := c.(*net.TCPConn); ok && s == http.StateNew {
				tc.SetWriteBuffer(smallBuffer)
			}
		}
		dialer.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(smallBuffer)
			}
			return c, err
		}
	}
	srv.Start()
	b.Cleanup(srv.Close)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	conn, _, err := dialer.Dial(wsURL(srv), nil)
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	b.Cleanup(func() { conn.Close() })
	hello(b, conn, visitorA, 0)
	conn.SetReadDeadline(time.Time{}) // the benchmark's reader waits as long as the benchmark runs
	return conn, h
}
