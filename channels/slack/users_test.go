package slack

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestUserCache(t *testing.T) {
	now := time.Unix(1800000000, 0)
	c := newUserCache(2, time.Hour, func() time.Time { return now })
	c.put("T:U1", profile{Name: "One"})
	c.put("T:U2", profile{Name: "Two"})
	if _, ok := c.get("T:U1"); !ok { // U1 is now the most recently used
		t.Fatal("U1 missing")
	}
	c.put("T:U3", profile{Name: "Three"})
	if _, ok := c.get("T:U2"); ok {
		t.Error("U2, the least recently used, was kept past the bound")
	}
	if got, ok := c.get("T:U1"); !ok || got.Name != "One" {
		t.Errorf("U1 = %+v, %v", got, ok)
	}
	c.markIdentified("T:U1")
	if got, _ := c.get("T:U1"); !got.identified {
		t.Error("markIdentified did not stick")
	}
	now = now.Add(time.Hour)
	if _, ok := c.get("T:U1"); ok {
		t.Error("an entry older than the TTL was trusted")
	}
	if c.len() != 1 {
		t.Errorf("len %d, want 1 (the expired entry removed)", c.len())
	}
	for i := range 100 {
		c.put(fmt.Sprintf("T:U%d", i), profile{})
	}
	if diff := cmp.Diff(2, c.len()); diff != "" {
		t.Errorf("size (-want +got):\n%s", diff)
	}
}
