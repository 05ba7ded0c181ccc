// Package export writes the journey log in the formats process-mining tools open: XES (IEEE 1849-2016) for ProM,
// PM4Py and Disco, and OCEL 2.0 JSON for object-centric tools such as PM4Py and Celonis.
//
// The writers stream: the caller feeds journeystate.Events in order and the writer keeps none of them, so that a
// log of millions of events exports in constant memory (OCEL keeps its objects and types, far fewer than events).
// The package must not read the store or the configuration itself: the caller queries the log and passes what it
// wants exported, which is also where the choice of leaving out personal data (message text, profiles) is made.
package export
