package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestDialChatAndFrames(t *testing.T) {
	_, d := newFakeChat(t)
	d.VisitorID = "bench-visitor-1"
	frames := make(chan Frame, 16)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := DialChat(ctx, d, func(f *Frame, _ time.Time) { frames <- *f })
	if err != nil {
		t.Fatalf("DialChat: %v", err)
	}
	defer c.Close()
	if err := c.SendMessage("m1", "hi"); err != nil {
		t.Fatal(err)
	}
	var types []string
	for f := range frames {
		types = append(types, f.Type)
		if f.Type == "message" {
			m, err := f.Message()
			if err != nil {
				t.Fatal(err)
			}
			if m.Author == "bot" {
				if m.Text != "Hello there" || m.ClientID != "reply:1" {
					t.Errorf("bot message %+v, want text %q and client_id reply:1", m, "Hello there")
				}
				break
			}
		}
	}
	if got, want := strings.Join(types, ","), "ack,message,typing,delta,delta,message"; got != want {
		t.Errorf("frames %s, want %s", got, want)
	}
}

func TestDialChatWrongWelcome(t *testing.T) {
	_, d := newFakeChat(t)
	d.VisitorID = "bench-visitor-1"
	d.Welcome = "hello" // the fake answers welcome, not an echo
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err := DialChat(ctx, d, nil); err == nil {
		c.Close()
		t.Fatal("DialChat accepted a welcome when it wanted hello")
	}
}

func TestDialChatRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DialChat(ctx, ChatDial{URL: "ws://" + addr + "/chat/ws", Origin: "http://" + addr}, nil); err == nil {
		t.Error("DialChat to a closed port succeeded")
	}
}

func TestFrameMessageOnOtherType(t *testing.T) {
	f := Frame{Type: "error", Raw: []byte(`"too long"`)}
	if _, err := f.Message(); err == nil {
		t.Error("Message() of an error frame = nil error, want one")
	}
}

func TestBareHubEchoesAndIdleMeasures(t *testing.T) {
	hub := NewBareHub()
	srv := httptestServer(t, hub)
	d := ChatDial{URL: "ws://" + srv + "/", Origin: "http://" + srv, Welcome: "hello"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	self := func() (int64, error) { return ReadRSS(os.Getpid()) }
	if _, err := self(); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	res := MeasureIdle(ctx, "bare-hub", self, d, "test", 20, 4)
	if res.Connected != 20 || res.Failed != 0 || res.Err != "" {
		t.Fatalf("MeasureIdle = %+v, want 20 connected and no error", res)
	}
	if res.RSSBefore <= 0 || res.RSSAfter <= 0 {
		t.Errorf("RSS before %d after %d, want both > 0", res.RSSBefore, res.RSSAfter)
	}
	// MeasureIdle closes its connections; the hub sees them go.
	deadline := time.Now().Add(5 * time.Second)
	for hub.Len() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := hub.Len(); got != 0 {
		t.Errorf("hub still has %d clients after MeasureIdle closed them", got)
	}
}
