package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/journeystate"
	"github.com/journeybot/journeybot/prompts"
)

// Bounds of one summarising pass.
const (
	summaryBatch        = 50  // quiet conversations taken in per pass
	summaryMessages     = 200 // newest messages of one conversation read for its summary
	summaryModelTimeout = 30 * time.Second
	summaryMaxTokens    = 500
)

// RunMemory takes quiet conversations into their customers' running summaries every interval, until ctx ends.
// It does nothing when QuietAfter is 0.
func (e *Engine) RunMemory(ctx context.Context, interval time.Duration) {
	if e.cfg.QuietAfter <= 0 || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := e.SummarizeQuiet(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("memory: summarize quiet conversations", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SummarizeQuiet updates the running summary of each customer whose conversation has been silent for QuietAfter
// with what that conversation added since its last summary: written by the model when one is configured (the
// extractive summary when it fails), extractive otherwise. It returns how many conversations it took in.
func (e *Engine) SummarizeQuiet(ctx context.Context) (int, error) {
	if e.cfg.QuietAfter <= 0 {
		return 0, nil
	}
	convs, err := e.cfg.Store.QuietConversations(ctx, e.cfg.Now().Add(-e.cfg.QuietAfter), summaryBatch)
	if err != nil {
		return 0, fmt.Errorf("find quiet conversations: %w", err)
	}
	done := 0
	for _, conv := range convs {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		if err := e.summarize(ctx, conv); err != nil {
			e.log.Warn("memory: summarize", "conversation", conv.ID, "err", err)
			continue
		}
		done++
	}
	return done, nil
}

func (e *Engine) summarize(ctx context.Context, conv journeystate.Conversation) error {
	msgs, err := e.cfg.Store.RecentMessages(ctx, conv.ID, summaryMessages)
	if err != nil {
		return fmt.Errorf("load messages: %w", err)
	}
	msgs = slices.DeleteFunc(msgs, func(m journeystate.Message) bool { return m.Seq <= conv.SummarizedSeq })
	if len(msgs) == 0 {
		return nil
	}
	cust, err := e.cfg.Store.Customer(ctx, conv.CustomerID)
	if err != nil {
		return fmt.Errorf("load customer: %w", err)
	}
	summary := ""
	if e.cfg.Model != nil {
		summary, err = e.modelSummary(ctx, conv, cust.Memory.Summary, msgs)
		if err != nil {
			e.log.Warn("memory: the model could not summarize; summarizing extractively", "conversation", conv.ID, "err", err)
		}
	}
	if summary == "" {
		summary = extractiveSummary(cust.Memory.Summary, conv, msgs, e.cfg.SummaryChars)
	}
	summary = e.redact(summary)
	if _, err := e.cfg.Store.SetSummary(ctx, cust.ID, conv.ID, msgs[len(msgs)-1].Seq, summary); err != nil {
		return fmt.Errorf("store summary: %w", err)
	}
	return nil
}

// modelSummary asks the model for the customer's updated summary.
func (e *Engine) modelSummary(ctx context.Context, conv journeystate.Conversation, previous string, msgs []journeystate.Message) (string, error) {
	var lines []prompts.Line
	for _, m := range msgs {
		lines = append(lines, prompts.Line{Author: transcriptAuthor(m.Author), Text: m.Text})
	}
	instructions, err := e.cfg.Prompts.Summary(prompts.SummaryData{
		Company: e.cfg.Company.Name, Previous: previous, Channel: conv.Channel,
		Date: msgs[0].CreatedAt.Format("2 January 2006"), Transcript: lines, MaxChars: e.cfg.SummaryChars,
	})
	if err != nil {
		return "", err
	}
	mctx, cancel := context.WithTimeout(ctx, summaryModelTimeout)
	defer cancel()
	release, err := e.modelSlot(mctx)
	if err != nil {
		return "", err
	}
	defer release()
	resp, err := e.cfg.Model.Complete(mctx, llm.Request{
		Messages:  e.redactMessages([]llm.Message{{Role: llm.RoleUser, Content: instructions}}),
		MaxTokens: summaryMaxTokens,
	}, nil)
	e.cfg.Metrics.modelCall(0, resp.Usage, err)
	if err != nil {
		return "", err
	}
	return truncate(strings.TrimSpace(resp.Content), e.cfg.SummaryChars), nil
}

func transcriptAuthor(a journeystate.Actor) string {
	switch a {
	case journeystate.ActorBot:
		return "assistant"
	case journeystate.ActorAgent:
		return "agent"
	}
	return string(a)
}

// extractiveSummary appends one line for the conversation to previous: its date and channel, what the customer
// asked first and last, the help pages the bot answered from and whether a person took part. The oldest lines go
// first when the summary would pass maxChars.
func extractiveSummary(previous string, conv journeystate.Conversation, msgs []journeystate.Message, maxChars int) string {
	var asked []string
	var pages []string
	agent := false
	for _, m := range msgs {
		switch m.Author {
		case journeystate.ActorCustomer:
			asked = append(asked, m.Text)
		case journeystate.ActorAgent:
			agent = true
		case journeystate.ActorBot:
			for _, c := range m.Meta.Citations {
				if !slices.Contains(pages, c.Title) {
					pages = append(pages, c.Title)
				}
			}
		}
	}
	if len(asked) == 0 {
		return previous
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): the customer wrote %q", msgs[0].CreatedAt.UTC().Format("2006-01-02"), conv.Channel,
		truncate(oneLine(asked[0]), 160))
	if len(asked) > 1 {
		fmt.Fprintf(&b, " and last %q", truncate(oneLine(asked[len(asked)-1]), 120))
	}
	if len(pages) > 0 {
		fmt.Fprintf(&b, "; answered from %s", strings.Join(pages[:min(3, len(pages))], ", "))
	}
	if agent {
		b.WriteString("; a person from the team helped")
	}
	b.WriteString(".")
	lines := append(strings.Split(strings.TrimSpace(previous), "\n"), b.String())
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "" })
	for len(lines) > 1 && utf8.RuneCountInString(strings.Join(lines, "\n")) > maxChars {
		lines = lines[1:]
	}
	return truncate(strings.Join(lines, "\n"), maxChars)
}

// oneLine folds white space, so that a message reads as one line of a summary.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
