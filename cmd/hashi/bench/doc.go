// Package bench is the load generator behind `hashi bench`: it drives any
// MQTT 3.1.1/5 or STOMP 1.2 broker (Hashi, Mosquitto, NATS' MQTT listener,
// ActiveMQ) and counts exactly what came back.
//
// # Scenarios
//
//   - fanin: P publishers → 1 subscriber on one topic.
//   - fanout: 1 publisher → S subscribers on one topic.
//   - latency: publishers at a fixed total rate, evenly spaced (short gaps
//     are timed by a kernel timer, see sleep.go); percentiles of the delay
//     between the timestamp written into each payload and its arrival.
//   - bridge: publish on one broker (URL), subscribe on another (SubURL).
//   - queue: STOMP SEND to a queue (with a receipt per message at QoS 1)
//     and consumers that ACK each message (client-individual).
//   - conns: N idle connections with keep-alive; the broker's RSS per
//     connection from /proc/PID/status before and after, the connect rate,
//     and the broker's CPU time per connection while connecting
//     (/proc/PID/stat).
//
// # What every message carries
//
// A payload starts with a 24-byte header (see payload.go): publisher id,
// sequence number, send time (nanoseconds since the run started, one clock
// for publishers and subscribers because both live in this process) and a
// CRC-32C of those 20 bytes. The rest of the payload is a fixed pattern.
// Each subscriber keeps one bitmap of sequence numbers per publisher, so it
// counts exactly:
//
//   - received: every benchmark message delivered (duplicates and corrupt
//     copies included; warm-up probes excluded);
//   - duplicated: copies of a (publisher, sequence) already delivered;
//   - reordered: first copies that arrived after a higher sequence number of
//     the same publisher;
//   - corrupt: deliveries whose header checksum or payload pattern is wrong;
//   - lost: expected minus the distinct (publisher, sequence) pairs
//     delivered. A corrupt copy whose header is intact still counts as
//     delivered; one whose header is damaged cannot be attributed, so its
//     message is counted lost as well as corrupt.
//
// In topic scenarios every subscriber expects every message; in the queue
// scenario the consumers share one expectation and a message delivered to
// two consumers is a duplicate.
//
// # Bounded time, and the generator's own ceiling
//
// Publishers stop after Messages each or after Duration. Subscribers then
// wait until every message arrived, until nothing arrived for Idle, or until
// Drain has passed; whatever is missing then is lost. Relay (a TCP relay
// that copies bytes, or injects faults) and Sink (a trivial MQTT broker that
// fans every PUBLISH out to every subscriber without checks) measure the
// generator itself, so that a report can show that the broker, not the
// generator, was the limit.
package bench
