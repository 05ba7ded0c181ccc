package api

import (
	"context"
	"fmt"

	"github.com/journeybot/journeybot/bot"
)

// Result statuses.
const (
	statusStored    = "stored"     // recorded now
	statusDuplicate = "duplicate"  // a call with the same messageId from the same sender was recorded before
	statusFailed    = "failed"     // recording it failed: see the errors
	statusNotStored = "not_stored" // not tried, because a call before it failed
)

// result is what became of one call.
type result struct {
	Index      int    `json:"index"`
	Status     string `json:"status"`
	CustomerID string `json:"customer_id,omitempty"`
	Stage      string `json:"stage,omitempty"`
}

// idempotencyKey is the key of a call's event: "segment:", the sender's name, ":" and the messageId, so that one
// sender's message ids never collide with another's; "" (no idempotency) for a call without a messageId.
func idempotencyKey(sender, messageID string) string {
	if messageID == "" {
		return ""
	}
	return "segment:" + sender + ":" + messageID
}

// record gives one valid call to rec. sender namespaces its idempotency key; source is recorded as its cause.
// Errors are rec's, wrapped.
func record(ctx context.Context, rec Recorder, c call, sender, source string) (result, error) {
	key := idempotencyKey(sender, c.messageID)
	if c.typ == typeIdentify {
		res, err := rec.Identify(ctx, bot.Traits{
			Customer: c.ref, Name: c.name, Email: c.email, Phone: c.phone, Other: c.other,
			Time: c.time, Key: key, Source: source,
		})
		if err != nil {
			return result{}, fmt.Errorf("identify: %w", err)
		}
		// Identify is idempotent by nature: the same traits twice leave the customer as once.
		return result{Status: statusStored, CustomerID: res.Customer.ID, Stage: res.Customer.Stage}, nil
	}
	res, err := rec.Track(ctx, bot.BusinessEvent{
		Name: c.event, Customer: c.ref, Properties: c.props, Time: c.time, Key: key, Source: source,
	})
	if err != nil {
		return result{}, fmt.Errorf("track %s: %w", c.event, err)
	}
	status := statusStored
	if res.Duplicate {
		status = statusDuplicate
	}
	return result{Status: status, CustomerID: res.CustomerID, Stage: res.Stage}, nil
}
