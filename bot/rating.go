package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// ratingWindow is how long after a close a lone number from the customer is taken as their rating of it.
const ratingWindow = 24 * time.Hour

// ratingPattern is a customer message that is nothing but a rating: "4", "5/5", "3 stars", "4!".
var ratingPattern = regexp.MustCompile(`(?i)^\s*([1-5])\s*(?:/\s*5|stars?|out of 5)?\s*[.!]*\s*$`)

// NoticeRated is the system message that thanks a customer for their rating.
const NoticeRated = "rated"

// parseRating returns the rating a message is, or 0 when it is not one.
func parseRating(text string) int {
	m := ratingPattern.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// ratingTarget returns the customer's conversation on the thread that was closed within ratingWindow and asked for
// a rating, when text is a rating: the conversation the rating is for. ok false: text is a message like any other.
func (e *Engine) ratingTarget(ctx context.Context, cust journeystate.Customer, in channels.Inbound, text string) (journeystate.Conversation, int, bool) {
	n := parseRating(text)
	if n == 0 {
		return journeystate.Conversation{}, 0, false
	}
	conv, err := e.cfg.Store.LatestConversation(ctx, cust.ID, in.Channel, in.ThreadID)
	if err != nil || conv.Owner != journeystate.OwnerClosed || e.cfg.Now().Sub(conv.OwnerSince) > ratingWindow {
		return journeystate.Conversation{}, 0, false
	}
	msgs, err := e.cfg.Store.RecentMessages(ctx, conv.ID, 5)
	if err != nil {
		return journeystate.Conversation{}, 0, false
	}
	for _, m := range msgs {
		if m.Author == journeystate.ActorSystem && m.Meta.Notice == journeystate.NoticeClosed && strings.Contains(m.Text, "1 (poor) to 5") {
			return conv, n, true
		}
	}
	return journeystate.Conversation{}, 0, false
}

// recordRating stores the customer's rating message in the closed conversation it rates, records the rating and
// thanks them. The message is stored first: once it is, the channel may acknowledge it.
func (e *Engine) recordRating(ctx context.Context, cust journeystate.Customer, conv journeystate.Conversation, in channels.Inbound,
	text string, rating int, created time.Time) (Receipt, error) {
	msg, dup, err := e.cfg.Store.AppendMessage(ctx, journeystate.Message{ConversationID: conv.ID, CustomerID: cust.ID,
		Author: journeystate.ActorCustomer, ClientID: in.ClientMsgID, Text: text, CreatedAt: created})
	if err != nil {
		return Receipt{}, fmt.Errorf("store rating message: %w", err)
	}
	r := Receipt{Customer: cust, Conversation: conv, Message: msg, Duplicate: dup}
	if dup {
		return r, nil
	}
	conv.LastSeq = msg.Seq
	r.Conversation = conv
	e.cfg.Metrics.message(in.Channel, journeystate.ActorCustomer)
	if _, err := e.cfg.Store.RecordRating(ctx, conv.ID, rating, in.Channel, ""); err != nil && !errors.Is(err, journeystate.ErrNotFound) {
		e.log.Error("record rating", "conversation", conv.ID, "err", err)
		return r, nil // the message is stored: the transcript has the rating even if the figure missed it
	}
	e.cfg.Metrics.rating(in.Channel, rating)
	e.say(ctx, conv, journeystate.Message{Author: journeystate.ActorSystem, ClientID: "rated:" + uuid.NewString(),
		Text: "Thank you for your rating!", Meta: journeystate.MessageMeta{Notice: NoticeRated, ReplyTo: msg.ID}})
	return r, nil
}
