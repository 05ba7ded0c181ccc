// Package bench is journeybot's load generator and benchmark harness. It starts journeybot as a subprocess against an
// in-process mock model, drives it with open-loop load over the web-chat WebSocket protocol, compares it with bare
// baselines (a plain reverse proxy to the same mock model, a minimal gorilla/websocket hub) and reports the figures
// in the terms of the performance targets in DESIGN.md.
//
// It is a measuring tool, not part of the server: nothing in journeybot imports it, and it only ever talks to
// loopback addresses. Its measurements are never asserted by tests; only its bookkeeping is.
//
// A run (Run) has three phases, each against baselines measured in the same run: turn overhead (open-loop web-chat
// turns against the same load through a bare reverse proxy and straight to the mock model), idle connections (RSS
// per connection against a bare gorilla/websocket hub) and the durable message pipeline (time to the ack frame,
// against the store's own batched-commit ceiling). docs/BENCHMARKS.md explains every figure.
package bench
