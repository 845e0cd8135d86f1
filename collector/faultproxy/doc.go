// Package faultproxy puts a misbehaving network in front of a real collector, for the
// faults a real collector cannot produce on demand: a hang (TCP accepted, nothing ever
// answered), HTTP 503 with Retry-After, 429, a permanent 400, a redirect to another host,
// and the gRPC equivalents of the failures (Unavailable with RetryInfo, InvalidArgument).
// Everything it does not fail is forwarded to the real collector, so the records that get
// through are received by real receivers.
//
// Proxies listen on 127.0.0.1 only.
package faultproxy
