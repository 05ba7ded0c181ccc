//go:build sqlite_fts5

package sqlite_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/journeystate"
)

// TestConcurrentAppends has many goroutines append to a few conversations at once, each client id sent by several
// goroutines, with requests that fail mixed in: group commit must keep every conversation's seqs contiguous and
// unique, store each client id once and answer every duplicate with the stored message.
func TestConcurrentAppends(t *testing.T) {
	const (
		convs      = 3
		perConv    = 8 // goroutines per conversation; each sends every client id of its conversation
		messages   = 40
		goroutines = convs * perConv
	)
	s := openStore(t, filepath.Join(t.TempDir(), "db"))
	ctx := t.Context()
	conv := make([]journeystate.Conversation, convs)
	for i := range conv {
		c, err := s.ResolveIdentity(ctx, journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: fmt.Sprintf("v%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if conv[i], _, err = s.OpenConversation(ctx, c.ID, journeystate.ChannelWeb, "t"); err != nil {
			t.Fatal(err)
		}
	}

	type result struct {
		conv, msg int
		stored    journeystate.Message
	}
	results := make(chan result, goroutines*messages)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ci := g % convs
			for i := range messages {
				m := (i + g) % messages // each goroutine starts elsewhere, so duplicates race
				stored, _, err := s.AppendMessage(ctx, journeystate.Message{ConversationID: conv[ci].ID,
					Author: journeystate.ActorCustomer, ClientID: fmt.Sprintf("m%d", m), Text: fmt.Sprintf("text %d", m)})
				if err != nil {
					t.Errorf("AppendMessage(conversation %d, m%d) = %v", ci, m, err)
					return
				}
				results <- result{ci, m, stored}
				// A request that fails, in the same batches as the others.
				_, _, err = s.AppendMessage(ctx, journeystate.Message{ConversationID: "no-such-conversation",
					Author: journeystate.ActorCustomer, Text: "x"})
				if !errors.Is(err, journeystate.ErrNotFound) {
					t.Errorf("AppendMessage(missing conversation) = %v, want ErrNotFound", err)
				}
			}
		})
	}
	wg.Wait()
	close(results)

	// Every answer for a client id is the one stored message.
	answered := make(map[[2]int]journeystate.Message)
	for r := range results {
		k := [2]int{r.conv, r.msg}
		if prev, ok := answered[k]; ok {
			if diff := cmp.Diff(prev, r.stored); diff != "" {
				t.Errorf("conversation %d m%d answered twice differently (-first +later):\n%s", r.conv, r.msg, diff)
			}
			continue
		}
		answered[k] = r.stored
	}
	for ci, c := range conv {
		got, err := s.Messages(ctx, c.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != messages {
			t.Errorf("conversation %d has %d messages, want %d", ci, len(got), messages)
		}
		seen := make(map[string]bool)
		for i, m := range got {
			if m.Seq != int64(i+1) {
				t.Errorf("conversation %d message %d has seq %d, want %d", ci, i, m.Seq, i+1)
			}
			if seen[m.ClientID] {
				t.Errorf("conversation %d stores client id %s twice", ci, m.ClientID)
			}
			seen[m.ClientID] = true
			var n int
			if _, err := fmt.Sscanf(m.ClientID, "m%d", &n); err != nil {
				t.Fatalf("client id %q: %v", m.ClientID, err)
			}
			if diff := cmp.Diff(answered[[2]int{ci, n}], m); diff != "" {
				t.Errorf("conversation %d %s: stored differs from the answer (-answer +stored):\n%s", ci, m.ClientID, diff)
			}
		}
		events, err := s.Events(ctx, journeystate.EventQuery{ConversationID: c.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Type == "message" {
				n++
			}
		}
		if n != messages {
			t.Errorf("conversation %d has %d message events, want %d", ci, n, messages)
		}
	}
}
