package sms

import "strings"

// threadID is the conversation thread of a customer writing to one of our numbers: "CUSTOMER|OURS". The customer
// who writes to two of the company's numbers has two conversations, each answered from its own number.
func threadID(customer, ours string) string { return customer + "|" + ours }

// parseThread returns the customer's number and ours from a thread id; ours is "" when the thread names none (a
// conversation opened by someone else than this channel), and Options.From stands in.
func parseThread(id string) (customer, ours string) {
	customer, ours, _ = strings.Cut(id, "|")
	return customer, ours
}
